/**
 * A load driver: people using csrbot through the Slack emulator, as many at
 * once as asked. Requesters upload CSRs in their DM with the bot or paste
 * them in the `/cert request` modal; admins approve, deny (with a reason in
 * the deny modal), double-click, cross each other, delete cards, and decide
 * with kubectl straight against the cluster. Every request it made is kept
 * with what happened and when, so a fault campaign can check invariants and
 * a benchmark can read timings (upload -> card, click -> certificate DM).
 *
 *   const driver = LoadDriver.create({ emu, admin, requesters, approvers, seed: 42 });
 *   await driver.run({ requests: 300, concurrency: 6 });
 *   driver.requests;   // TrackedRequest[]
 *   driver.timings();  // { uploadToCard, clickToCertificateDm } in ms
 *
 * It acts as people would when Slack shows an error: a click that was not
 * acknowledged (the bot was down) is clicked again, a modal that never
 * opened is asked for again. It never asserts; what it could not do is
 * recorded on the request (`problems`) for the caller to judge.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Message, SlackEmulator, UserDriver, View } from '@csrbot/slack-emulator';
import { opensslKeyAndCsr } from '../../integration/kubernetes/support.js';
import { kubectlDecide } from './kubectl.js';
export { seededRandom } from '../seeded-random.js';
import { seededRandom } from '../seeded-random.js';

/** How a request is made. */
export type Via = 'dm' | 'modal';

/** What the admins (or kubectl) do with a request once its card is up. */
export type DecisionKind =
  | 'approve' // one admin clicks Approve
  | 'double-approve' // one admin clicks Approve twice, another at the same time
  | 'deny' // one admin denies with a reason
  | 'approve-vs-deny' // one admin approves while another denies
  | 'kubectl-approve' // an operator approves with kubectl, nobody clicks
  | 'kubectl-deny'
  | 'deny-vs-kubectl-approve' // an admin denies in Slack while an operator approves with kubectl
  | 'approve-vs-kubectl-deny'
  | 'approve-then-delete-card' // the card is deleted right after the Approve click
  | 'delete-card-then-kubectl-approve'; // the card is deleted, then the CSR approved with kubectl

export const DEFAULT_MIX: Readonly<Record<DecisionKind, number>> = {
  approve: 26,
  'double-approve': 14,
  deny: 10,
  'approve-vs-deny': 8,
  'kubectl-approve': 10,
  'kubectl-deny': 7,
  'deny-vs-kubectl-approve': 8,
  'approve-vs-kubectl-deny': 7,
  'approve-then-delete-card': 5,
  'delete-card-then-kubectl-approve': 5,
};

export interface TrackedRequest {
  /** Order in which the driver started it, from 1. */
  seq: number;
  requester: UserDriver;
  via: Via;
  decision: DecisionKind;
  /** csrbot's request id, read from the card; undefined if no card was seen. */
  id?: string;
  csrName?: string;
  /** The card as first seen (channel and ts). */
  card?: Message;
  /** Epoch ms: the upload (or modal submission), the card, the first decision click, the certificate DM. */
  startedAt: number;
  cardAt?: number;
  clickAt?: number;
  certificateDmAt?: number;
  /** Cards deleted by the driver (their ts). */
  deletedCards: string[];
  /** What the driver could not do or see, in order. Not verdicts: the caller judges. */
  problems: string[];
  /** Whether the driver's part of this request has ended. */
  done: boolean;
}

export interface LoadTarget {
  emu: SlackEmulator;
  /** A cluster-admin KubeConfig: kubectl-style decisions are made with it. */
  admin: KubeConfig;
  /** People who request certificates (their username must be allowed by csrbot's policy: CN = username). */
  requesters: UserDriver[];
  /** At least two admins (SLACK_ADMIN_USERS) in the admin channel. */
  approvers: UserDriver[];
  /** Kubernetes groups every CSR asks for (O=). Default none. */
  groups?: string[];
}

export interface LoadOptions {
  /** Seed of every random choice (mix, requester, timing jitter). Default 1. */
  seed?: number;
  /** Weights of the decisions. Default DEFAULT_MIX. */
  mix?: Partial<Record<DecisionKind, number>>;
  /** Share of requests made through the /cert request modal; the rest by DM upload. Default 0.3. */
  modalShare?: number;
  /** How long the driver waits for one thing csrbot should show (a summary, a card, a modal) before it gives up on that request. Default 180 s. */
  stepTimeoutMs?: number;
  /** How long it waits for the outcome (certificate DM or denial) after deciding. Default 90 s. */
  outcomeTimeoutMs?: number;
  /** Called when a request's card is up and before deciding, e.g. for a fault campaign. */
  log?: (line: string) => void;
  /** How the first requests are made and decided, in the order they start (a fixed load for a short run); the rest are drawn from `mix`. Default none. */
  script?: ReadonlyArray<{ via: Via; decision: DecisionKind }>;
}

export interface RunOptions {
  /** Requests to make (at least). */
  requests: number;
  /** Requests in flight at once (each uses its own requester). Default 4. */
  concurrency?: number;
  /** Keep making requests past `requests` while this says so (e.g. until a fault campaign's kills are done). */
  more?: () => boolean;
  /** Called as each request starts, with how many have started. */
  onStart?: (started: number) => void;
  /** Start no more requests once this says so (e.g. a time budget), whatever `requests` and `more` say. */
  stop?: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Slack timestamps as microseconds, comparable as numbers. */
function tsValue(ts: string): number {
  const [s = '0', us = '0'] = ts.split('.');
  return Number(s) * 1e6 + Number(us.padEnd(6, '0'));
}

const hasAction = (actionId: string) => (m: Message) => JSON.stringify(m.blocks ?? []).includes(`"action_id":"${actionId}"`);

/** The request id a card (live or decided) names: "request `<id>`" in its facts. */
export function requestIdOnCard(m: Message): string | undefined {
  return /request `([^`]+)`/.exec(JSON.stringify(m.blocks ?? []))?.[1];
}

/** The CSR name a card names. */
export function csrNameOnCard(m: Message): string | undefined {
  return /`(csrbot-[a-z0-9.-]+)`/.exec(JSON.stringify(m.blocks ?? []))?.[1];
}

/** The certificate DM for request `id`: its .crt is titled "<file> (request <id>)". */
export function isCertificateDmFor(id: string) {
  return (m: Message) => (m.files ?? []).some((f) => String(f.name).endsWith('.crt') && String(f.title ?? '').includes(`(request ${id})`));
}

export class LoadDriver {
  readonly requests: TrackedRequest[] = [];
  private readonly random: () => number;
  private readonly mix: Array<[DecisionKind, number]>;
  private readonly idle: UserDriver[];
  /** Request ids the driver has attributed to one of its requests. */
  private readonly claimed = new Set<string>();
  private readonly o: Required<Omit<LoadOptions, 'mix' | 'log' | 'seed'>> & { log: (line: string) => void };

  private constructor(
    private readonly t: LoadTarget,
    o: LoadOptions,
  ) {
    if (t.approvers.length < 2) throw new Error('the load driver needs at least two approvers');
    this.random = seededRandom(o.seed ?? 1);
    this.mix = Object.entries({ ...DEFAULT_MIX, ...o.mix }).filter(([, w]) => w > 0) as Array<[DecisionKind, number]>;
    this.idle = [...t.requesters];
    this.o = {
      modalShare: o.modalShare ?? 0.3,
      stepTimeoutMs: o.stepTimeoutMs ?? 180_000,
      outcomeTimeoutMs: o.outcomeTimeoutMs ?? 90_000,
      script: o.script ?? [],
      log: o.log ?? (() => undefined),
    };
  }

  static create(t: LoadTarget, o: LoadOptions = {}): LoadDriver {
    return new LoadDriver(t, o);
  }

  /** Makes `requests` requests (more while `more()` says so), `concurrency` at a time. */
  async run(r: RunOptions): Promise<void> {
    const concurrency = Math.min(r.concurrency ?? 4, this.t.requesters.length);
    let started = 0;
    const lane = async (): Promise<void> => {
      while (!(r.stop?.() ?? false) && (started < r.requests || (r.more?.() ?? false))) {
        const requester = this.idle.shift();
        if (!requester) return; // every requester is stuck with a request csrbot never answered
        started += 1;
        r.onStart?.(started);
        const scripted = this.o.script[started - 1];
        const ok = await (scripted ? this.request(requester, scripted.via, scripted.decision) : this.request(requester));
        // A requester whose request csrbot never showed is retired: a late card must not be taken for their next request.
        if (ok) this.idle.push(requester);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }

  /** One request from start to its outcome; false if csrbot never showed its card. */
  async request(requester: UserDriver, via: Via = this.random() < this.o.modalShare ? 'modal' : 'dm', decision: DecisionKind = this.pick()): Promise<boolean> {
    const groups = this.t.groups ?? [];
    const { csrPem } = opensslKeyAndCsr({ cn: requester.name, o: groups });
    const tr: TrackedRequest = { seq: this.requests.length + 1, requester, via, decision, startedAt: Date.now(), deletedCards: [], problems: [], done: false };
    this.requests.push(tr);
    const since = this.mark();
    try {
      if (via === 'dm') await this.viaDm(tr, csrPem, since);
      else await this.viaModal(tr, csrPem);
      const card = await this.waitForCard(tr, since);
      if (!card) return false;
      this.o.log(`#${tr.seq} ${tr.id} ${via} card up, ${decision}`);
      await this.decide(tr, card);
      await this.waitForOutcome(tr);
      return true;
    } catch (e) {
      tr.problems.push(`driver error: ${(e as Error).message.split('\n')[0]}`);
      return tr.id !== undefined;
    } finally {
      tr.done = true;
    }
  }

  /** Milliseconds, per request that has them. */
  timings(): { uploadToCard: number[]; clickToCertificateDm: number[] } {
    const uploadToCard: number[] = [];
    const clickToCertificateDm: number[] = [];
    for (const r of this.requests) {
      if (r.cardAt !== undefined) uploadToCard.push(r.cardAt - r.startedAt);
      if (r.clickAt !== undefined && r.certificateDmAt !== undefined) clickToCertificateDm.push(r.certificateDmAt - r.clickAt);
    }
    return { uploadToCard, clickToCertificateDm };
  }

  /** Every request id seen on a card, and which of them the driver attributed to a request of its own. */
  cardsSeen(): { all: Set<string>; claimed: ReadonlySet<string> } {
    const all = new Set<string>();
    for (const m of this.t.emu.workspace.messages)
      if (m.channel === this.t.emu.adminChannelId && m.user === this.t.emu.botUserId) {
        const id = requestIdOnCard(m);
        if (id) all.add(id);
      }
    return { all, claimed: this.claimed };
  }

  private pick(): DecisionKind {
    const total = this.mix.reduce((n, [, w]) => n + w, 0);
    let x = this.random() * total;
    for (const [k, w] of this.mix) if ((x -= w) < 0) return k;
    return this.mix[0]![0];
  }

  private mark(): string {
    let last = '0.000000';
    for (const m of [...this.t.emu.workspace.messages, ...this.t.emu.workspace.ephemerals]) if (tsValue(m.ts) > tsValue(last)) last = m.ts;
    return last;
  }

  private async poll<T>(probe: () => T | undefined, timeoutMs: number, everyMs = 200): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) return undefined;
      await sleep(everyMs);
    }
  }

  private async viaDm(tr: TrackedRequest, csrPem: string, since: string): Promise<void> {
    const emu = this.t.emu;
    const user = tr.requester;
    await user.dm(emu.bot).upload(`${user.name}.csr`, csrPem);
    const summary = await this.poll(
      () => user.dms().find((m) => m.user === emu.botUserId && tsValue(m.ts) > tsValue(since) && hasAction('csrbot_submit_request')(m)),
      this.o.stepTimeoutMs,
    );
    if (!summary) throw new Error(`no summary with Submit within ${this.o.stepTimeoutMs} ms of the upload`);
    // Told the Submit was not taken (csrbot could not reach its store), a person clicks it again; the summary
    // turning into "Submitted" means it was. Neither within a few seconds: on to waiting for the card.
    const deadline = Date.now() + this.o.stepTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const clickedAt = this.mark();
      if (!(await this.clickUntilAcked(tr, user, summary, 'csrbot_submit_request'))) return;
      const answer = await this.poll(() => {
        const refused = user.ephemerals().find((e) => tsValue(e.ts) > tsValue(clickedAt) && e.text.includes('was not submitted'));
        if (refused) return refused;
        const now = this.current(summary);
        return now && hasAction('csrbot_submit_request')(now) ? undefined : 'taken';
      }, 5_000);
      if (answer === undefined || answer === 'taken') return;
      const refused = answer;
      tr.problems.push(`Submit not taken (attempt ${attempt}): ${refused.text}`);
      if (Date.now() > deadline) throw new Error('Submit was never taken');
      await sleep(2000);
    }
  }

  private async viaModal(tr: TrackedRequest, csrPem: string): Promise<void> {
    const user = tr.requester;
    const deadline = Date.now() + this.o.stepTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const modal = await this.openModal(tr, user, () => user.slash('/cert', 'request'), 'csrbot_request_modal');
      // The modal opens as "Checking your Slack account…" and becomes the form (with Submit) once csrbot has checked.
      // A person waits for the form; if it never comes (the replica died in between) they close it and ask again.
      const form = await this.poll(() => user.openViews().find((v) => v.id === modal.id && v.submit !== undefined), 15_000);
      if (form) return this.submitUntilAcked(tr, user, form, { csr_input: csrPem, reason_input: `load #${tr.seq}` });
      tr.problems.push(`the request modal never became the form (attempt ${attempt})`);
      await user.closeView(modal).catch(() => undefined);
      if (Date.now() > deadline) throw new Error('the request form never appeared');
    }
  }

  /** Asks for a modal (slash command or click) until it opens: a replica killed between the ack and views.open shows nothing. */
  private async openModal(
    tr: TrackedRequest,
    user: UserDriver,
    ask: () => Promise<{ acked: boolean }>,
    callbackId: string,
    /** Which request's modal it is: an admin denying two requests at once has two Deny modals. */
    isFor: (v: View) => boolean = () => true,
  ): Promise<View> {
    const deadline = Date.now() + this.o.stepTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const before = new Set(user.openViews().map((v) => v.id));
      const told = new Set(user.ephemerals().map((e) => e.ts));
      const res = await ask();
      if (!res.acked) tr.problems.push(`${callbackId}: not acknowledged (attempt ${attempt})`);
      // csrbot opens a modal at once or tells the user to try again (Slack refused it, e.g. a 429): a person clicks
      // again as soon as they read that, or after a few seconds of nothing. A modal that says "Checking…" (no
      // Submit) while csrbot waits on Slack is not the form yet: a person waits for the form to replace it.
      const seen = await this.poll(
        () =>
          user.openViews().find((v) => !before.has(v.id) && v.callback_id === callbackId && v.submit !== undefined && isFor(v)) ??
          (user.ephemerals().some((e) => !told.has(e.ts) && / again/.test(e.text)) ? 'try again' : undefined),
        res.acked ? 5_000 : 2_000,
      );
      if (seen !== undefined && seen !== 'try again') return seen;
      if (seen === 'try again') tr.problems.push(`${callbackId}: csrbot said to try again (attempt ${attempt})`);
      if (Date.now() > deadline) throw new Error(`${callbackId} never opened`);
      if (seen === 'try again') await sleep(1000);
    }
  }

  private async submitUntilAcked(tr: TrackedRequest, user: UserDriver, view: View, values: Record<string, unknown>): Promise<void> {
    const deadline = Date.now() + this.o.stepTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const res = await user.submitView(view, values);
      if (res.acked) {
        if (res.responseAction === 'errors' || res.error) tr.problems.push(`${String(view.callback_id)} refused: ${JSON.stringify(res.errors ?? res.error)}`);
        return;
      }
      tr.problems.push(`${String(view.callback_id)} submission not acknowledged (attempt ${attempt})`);
      if (Date.now() > deadline) throw new Error(`${String(view.callback_id)} submission never acknowledged`);
      await sleep(1000);
    }
  }

  /** Clicks until Slack says the app acknowledged, as a person does after "This app did not respond". False if the button is gone. */
  private async clickUntilAcked(tr: TrackedRequest, user: UserDriver, target: Message, actionId: string): Promise<boolean> {
    const deadline = Date.now() + this.o.stepTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const now = this.current(target);
      if (!now || !hasAction(actionId)(now)) return false;
      let res;
      try {
        res = await user.click(now, actionId);
      } catch {
        return false; // gone or changed between the look and the click
      }
      if (res.acked) return true;
      tr.problems.push(`${actionId} by @${user.name} not acknowledged (attempt ${attempt})`);
      if (Date.now() > deadline) return false;
      await sleep(1000);
    }
  }

  private current(m: Message): Message | undefined {
    return this.t.emu.workspace.findMessage(m.channel, m.ts);
  }

  private async waitForCard(tr: TrackedRequest, since: string): Promise<Message | undefined> {
    const emu = this.t.emu;
    const card = await this.poll(
      () =>
        emu.workspace.messages.find((m) => {
          if (m.channel !== emu.adminChannelId || m.user !== emu.botUserId || m.deleted || tsValue(m.ts) <= tsValue(since)) return false;
          const id = requestIdOnCard(m);
          return id !== undefined && !this.claimed.has(id) && hasAction('csrbot_approve')(m) && m.text.includes(`for ${tr.requester.name}`);
        }),
      this.o.stepTimeoutMs,
    );
    if (!card) {
      tr.problems.push(`no card within ${this.o.stepTimeoutMs} ms`);
      return undefined;
    }
    tr.id = requestIdOnCard(card)!;
    this.claimed.add(tr.id);
    const csrName = csrNameOnCard(card);
    if (csrName) tr.csrName = csrName;
    tr.card = card;
    tr.cardAt = Date.now();
    return card;
  }

  private async decide(tr: TrackedRequest, card: Message): Promise<void> {
    const [a, b] = this.twoApprovers();
    const click = (who: UserDriver) => {
      tr.clickAt ??= Date.now();
      return this.clickUntilAcked(tr, who, card, 'csrbot_approve');
    };
    const deny = async (who: UserDriver) => {
      tr.clickAt ??= Date.now();
      const current = this.current(card);
      if (!current || !hasAction('csrbot_deny')(current)) return;
      let modal: View;
      try {
        modal = await this.openModal(
          tr,
          who,
          () => {
            const now = this.current(card);
            if (!now || !hasAction('csrbot_deny')(now)) throw new Error('the card no longer offers Deny');
            return who.click(now, 'csrbot_deny');
          },
          'csrbot_deny_modal',
          (v) => v.private_metadata.includes(`"${tr.id}"`),
        );
      } catch (e) {
        tr.problems.push(`deny by @${who.name}: ${(e as Error).message.split('\n')[0]}`);
        return;
      }
      await this.submitUntilAcked(tr, who, modal, { deny_reason_input: `load #${tr.seq}: not this week` });
    };
    const kubectl = async (decision: 'approve' | 'deny') => {
      if (!tr.csrName) return tr.problems.push('no CSR name on the card for kubectl');
      // The apiserver may be restarting: an operator tries again until it answers.
      const deadline = Date.now() + this.o.stepTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        try {
          await kubectlDecide(this.t.admin, tr.csrName, decision);
          return;
        } catch (e) {
          tr.problems.push(`kubectl ${decision} (attempt ${attempt}): ${(e as Error).message.split('\n')[0]}`);
          if (Date.now() > deadline) return;
          await sleep(2000);
        }
      }
    };
    const deleteCard = () => {
      if (this.t.emu.deleteMessage(card.channel, card.ts)) tr.deletedCards.push(card.ts);
    };
    switch (tr.decision) {
      case 'approve':
        await click(a);
        break;
      case 'double-approve':
        await Promise.all([click(a), click(a), click(b)]);
        break;
      case 'deny':
        await deny(a);
        break;
      case 'approve-vs-deny':
        await Promise.all([click(a), deny(b)]);
        break;
      case 'kubectl-approve':
        await kubectl('approve');
        break;
      case 'kubectl-deny':
        await kubectl('deny');
        break;
      case 'deny-vs-kubectl-approve':
        await Promise.all([deny(a), sleep(this.random() * 500).then(() => kubectl('approve'))]);
        break;
      case 'approve-vs-kubectl-deny':
        await Promise.all([click(a), sleep(this.random() * 500).then(() => kubectl('deny'))]);
        break;
      case 'approve-then-delete-card':
        await click(a);
        deleteCard();
        break;
      case 'delete-card-then-kubectl-approve':
        deleteCard();
        await kubectl('approve');
        break;
    }
  }

  /** Waits (bounded) for the requester to hear the end: the certificate DM, or a DM that the request was denied. */
  private async waitForOutcome(tr: TrackedRequest): Promise<void> {
    const id = tr.id!;
    const user = tr.requester;
    const botId = this.t.emu.botUserId;
    const certificate = isCertificateDmFor(id);
    const seen = await this.poll(
      () => user.dms().find((m) => m.user === botId && (certificate(m) || (m.text.includes(`\`${id}\``) && /denied|deleted|failed/.test(m.text)))),
      this.o.outcomeTimeoutMs,
      300,
    );
    if (!seen) tr.problems.push(`no outcome DM within ${this.o.outcomeTimeoutMs} ms`);
    else if (certificate(seen)) tr.certificateDmAt = Date.now();
  }

  private twoApprovers(): [UserDriver, UserDriver] {
    const list = this.t.approvers;
    const i = Math.floor(this.random() * list.length);
    const j = (i + 1 + Math.floor(this.random() * (list.length - 1))) % list.length;
    return [list[i]!, list[j]!];
  }
}
