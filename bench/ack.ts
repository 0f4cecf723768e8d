/**
 * Ack times of every interactive path, 50 users at once, against a bare Bolt
 * app (handlers that only ack, and open a modal where csrbot opens one) on the
 * same emulator in the same run. Each path runs with a healthy Slack, with
 * Slack answering every Web API call in 2 s, and with Slack answering 429 to
 * every call. The ack time is the emulator's (as Slack measures it: from the
 * delivery to the ack). Also: the time until the modal is open, and whether
 * each csrbot user was told the outcome once Slack recovered.
 *
 * Needs the control plane (built on first use, as the tests do) and Redis
 * (REDIS_URL, default redis://127.0.0.1:6379).
 *
 *   npm run bench -- ack
 *   BENCH_USERS=20 npx node --import tsx bench/ack.ts
 */
import bolt from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { SlackEmulator, type FaultSpec, type Message, type UserDriver, type View } from '@csrbot/slack-emulator';
import { ensureBinaries, freePort, kubeconfigPaths, startControlPlane, stopControlPlane } from '@csrbot/control-plane';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log/logger.js';
import { start } from '../src/main.js';
import { opensslKeyAndCsr } from '../test/integration/kubernetes/support.js';

const USERS = Number(process.env.BENCH_USERS ?? 50);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LATE_MS = 300_000;
const progress = (line: string) => process.stderr.write(`bench/ack: ${line}\n`);

type Condition = { name: string; fault?: FaultSpec };
const CONDITIONS: Condition[] = [
  { name: 'healthy Slack' },
  { name: 'Slack answers in 2 s', fault: { delayMs: 2000 } },
  { name: 'Slack answers 429', fault: { status: 429, retryAfterSec: 1 } },
];
const PATHS = ['/cert list', '/cert request', 'request modal submit', 'DM Submit', 'Approve', 'Deny', 'Deny modal submit', 'Renew'] as const;
type PathName = (typeof PATHS)[number];

/** Per path: ack times (ms), and modal-open times where the path opens one. */
type Samples = Record<PathName, { ack: number[]; open: number[]; notAcked: number }>;
const emptySamples = (): Samples => Object.fromEntries(PATHS.map((p) => [p, { ack: [], open: [], notAcked: 0 }])) as unknown as Samples;

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface Fixtures {
  requesters: UserDriver[];
  admins: UserDriver[];
  dmOf: Map<string, string>;
  csrOf: Map<string, string>;
  /** One real card per requester (their first request), for Approve copies. */
  cardBlocks: unknown[][];
  /** One real DM summary per requester, for Submit copies. */
  summaryBlocks: Map<string, unknown[]>;
}

async function waitFor<T>(probe: () => T | undefined, what: string, ms = LATE_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench/ack: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The value of the button `actionId` in a message's blocks. */
function buttonValue(m: Message, actionId: string): string {
  const elements = (m.blocks ?? []).flatMap((b) => (b as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? []);
  return elements.find((e) => e.action_id === actionId)?.value ?? '';
}

const hasAction = (m: Message, id: string) => JSON.stringify(m.blocks ?? []).includes(`"action_id":"${id}"`);

/** Times one user action: the ack as the emulator measured it. */
function record(s: Samples, path: PathName, r: { acked: boolean; ackMs?: number }): void {
  if (r.acked && r.ackMs !== undefined) s[path].ack.push(r.ackMs);
  else s[path].notAcked += 1;
}

/** Opens every modal-bearing path and the clicks for one condition, all users at once per path. */
async function runPaths(fx: Fixtures, s: Samples, o: { bare: boolean; cards: Message[][]; summaries: Message[]; renews: Message[] }): Promise<void> {
  const { requesters, admins } = fx;
  const all = <T>(xs: T[], f: (x: T, i: number) => Promise<void>) => Promise.all(xs.map(f));

  await all(requesters, async (u) => record(s, '/cert list', await u.slash('/cert', 'list')));

  // /cert request: the ack, then how long until a modal is open (the trigger_id's 3 s), then its submission.
  const opened: Array<View | undefined> = [];
  await all(requesters, async (u, i) => {
    const before = new Set(u.openViews().map((v) => v.id));
    const t0 = Date.now();
    const r = await u.slash('/cert', 'request');
    record(s, '/cert request', r);
    const view = await waitFor(() => u.openViews().find((v) => !before.has(v.id)) ?? (Date.now() - t0 > 4000 ? null : undefined), 'a modal').catch(() => null);
    if (view) s['/cert request'].open.push(Date.now() - t0);
    opened[i] = view ?? undefined;
  });
  await all(requesters, async (u, i) => {
    const v = opened[i];
    if (!v) return;
    // csrbot's form may come after a "checking" modal: wait for the CSR field.
    const form = o.bare
      ? v
      : await waitFor(() => u.openViews().find((x) => x.id === v.id && JSON.stringify(x.blocks).includes('csr_input')), 'the form').catch(() => undefined);
    if (!form) return;
    record(s, 'request modal submit', await u.submitView(form, { csr_input: fx.csrOf.get(u.id)! }));
  });

  await all(requesters, async (u, i) => record(s, 'DM Submit', await u.click(o.summaries[i]!, 'csrbot_submit_request')));

  const [approveCards, denyCards] = o.cards;
  await all(admins, async (a, i) => record(s, 'Approve', await a.click(approveCards![i]!, 'csrbot_approve')));

  const denyViews: Array<View | undefined> = [];
  await all(admins, async (a, i) => {
    const before = new Set(a.openViews().map((v) => v.id));
    const t0 = Date.now();
    record(s, 'Deny', await a.click(denyCards![i]!, 'csrbot_deny'));
    const view = await waitFor(() => a.openViews().find((v) => !before.has(v.id)) ?? (Date.now() - t0 > 4000 ? null : undefined), 'the Deny modal').catch(
      () => null,
    );
    if (view) s.Deny.open.push(Date.now() - t0);
    denyViews[i] = view ?? undefined;
  });
  await all(admins, async (a, i) => {
    const v = denyViews[i];
    if (v) record(s, 'Deny modal submit', await a.submitView(v, { deny_reason_input: 'bench' }));
  });

  await all(requesters, async (u, i) => record(s, 'Renew', await u.click(o.renews[i]!, 'csrbot_renew')));
}

/** Per condition, posted while Slack is healthy: a copy of each requester's summary, and a message with a Renew button. */
async function dmCopies(emu: SlackEmulator, fx: Fixtures, post: WebClient): Promise<{ summaries: Message[]; renews: Message[] }> {
  const postIn = async (u: UserDriver, text: string, blocks: unknown[]) => {
    const m = await post.chat.postMessage({ channel: fx.dmOf.get(u.id)!, text, blocks: blocks as never });
    return waitFor(() => emu.messagesIn(fx.dmOf.get(u.id)!).find((x) => x.ts === m.ts), `the ${text} copy`);
  };
  const renew = [
    { type: 'actions', elements: [{ type: 'button', action_id: 'csrbot_renew', text: { type: 'plain_text', text: 'Renew' }, value: 'no-such-serial' }] },
  ];
  return {
    summaries: await Promise.all(fx.requesters.map((u) => postIn(u, 'summary', fx.summaryBlocks.get(u.id)!))),
    renews: await Promise.all(fx.requesters.map((u) => postIn(u, 'renew', renew))),
  };
}

/** Copies of cards for one condition: Approve on copies of decided-or-not cards (the click is recorded either way), Deny on pending ones. */
async function cardCopies(emu: SlackEmulator, post: WebClient, blocks: unknown[][]): Promise<Message[]> {
  return Promise.all(
    blocks.map(async (b) => {
      const m = await post.chat.postMessage({ channel: emu.adminChannelId, text: 'card', blocks: b as never });
      return waitFor(() => emu.messagesIn(emu.adminChannelId).find((x) => x.ts === m.ts), 'a card copy');
    }),
  );
}

function bareBolt(emu: SlackEmulator): InstanceType<typeof bolt.App> {
  const app = new bolt.App({
    token: emu.botToken,
    appToken: emu.appToken,
    socketMode: true,
    logLevel: bolt.LogLevel.ERROR,
    clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  });
  const modal = (callback_id: string, input: string) => ({
    type: 'modal' as const,
    callback_id,
    title: { type: 'plain_text' as const, text: 'Bare' },
    submit: { type: 'plain_text' as const, text: 'Submit' },
    blocks: [
      {
        type: 'input' as const,
        block_id: `${input}_block`,
        label: { type: 'plain_text' as const, text: 'x' },
        element: { type: 'plain_text_input' as const, action_id: input },
      },
    ],
  });
  app.command('/cert', async ({ ack, command, client }) => {
    await ack();
    if (command.text.trim() === 'request')
      await client.views.open({ trigger_id: command.trigger_id, view: modal('csrbot_request_modal', 'csr_input') }).catch(() => undefined);
  });
  for (const id of ['csrbot_approve', 'csrbot_submit_request', 'csrbot_renew', 'csrbot_lifetime'])
    app.action(id, async ({ ack }) => {
      await ack();
    });
  app.action('csrbot_deny', async ({ ack, body, client }) => {
    await ack();
    await client.views
      .open({ trigger_id: (body as { trigger_id: string }).trigger_id, view: modal('csrbot_deny_modal', 'deny_reason_input') })
      .catch(() => undefined);
  });
  app.view('csrbot_request_modal', async ({ ack }) => ack());
  app.view('csrbot_deny_modal', async ({ ack }) => ack());
  return app;
}

/** One request per requester through csrbot with a healthy Slack; returns the cards. */
async function makeRequests(emu: SlackEmulator, fx: Fixtures): Promise<Message[]> {
  return Promise.all(
    fx.requesters.map(async (u) => {
      const dm = fx.dmOf.get(u.id)!;
      const seen = emu.messagesIn(dm).length;
      await u.dm(emu.bot).upload(`${u.name}.csr`, fx.csrOf.get(u.id)!);
      const summary = await waitFor(
        () =>
          emu
            .messagesIn(dm)
            .slice(seen)
            .find((m) => hasAction(m, 'csrbot_submit_request')),
        'a summary',
      );
      // Read before the click: Submit replaces the summary.
      if (!fx.summaryBlocks.has(u.id)) fx.summaryBlocks.set(u.id, structuredClone(summary.blocks ?? []));
      const id = buttonValue(summary, 'csrbot_submit_request');
      await u.click(summary, 'csrbot_submit_request');
      return waitFor(
        () => emu.messagesIn(emu.adminChannelId).find((m) => hasAction(m, 'csrbot_approve') && JSON.stringify(m.blocks).includes(`"value":"${id}"`)),
        'a card',
      );
    }),
  );
}

export async function run(): Promise<void> {
  const binDir = await ensureBinaries();
  const stateFile = await startControlPlane({ binDir, ownerPid: process.pid });
  process.env.CLUSTER_STATE_FILE = stateFile;
  const emu = await SlackEmulator.start({ waitTimeoutMs: LATE_MS });
  const prefix = `bench-ack-${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const fx: Fixtures = { requesters: [], admins: [], dmOf: new Map(), csrOf: new Map(), cardBlocks: [], summaryBlocks: new Map() };
    for (let i = 0; i < USERS; i++) {
      const u = emu.addUser({ name: `user${i}`, email: `user${i}@example.com`, realName: `User ${i}` });
      fx.requesters.push(u);
      fx.csrOf.set(u.id, opensslKeyAndCsr({ cn: `user${i}`, o: ['dev-team'] }).csrPem);
      fx.admins.push(emu.addUser({ name: `admin${i}`, email: `admin${i}@example.com`, realName: `Admin ${i}` }));
    }
    emu.join(fx.admins.map((a) => a.id));
    const post = new WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
    for (const u of fx.requesters) fx.dmOf.set(u.id, (await post.conversations.open({ users: u.id })).channel!.id!);

    const config = loadConfig({
      SLACK_BOT_TOKEN: emu.botToken,
      SLACK_APP_TOKEN: emu.appToken,
      SLACK_API_URL: emu.apiUrl,
      SLACK_ADMIN_CHANNEL: emu.adminChannelId,
      SLACK_ADMIN_USERS: fx.admins.map((a) => a.id).join(','),
      KUBECONFIG: kubeconfigPaths().csrbot,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      USERNAME_RULE: 'email-local-part',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      ALLOWED_GROUPS: 'dev-team',
      MAX_PENDING_PER_USER: '100',
      JOB_RETRY_MAX_DELAY: '4s',
      JOB_CONCURRENCY: '16',
      MAX_REQUESTS_PER_HOUR: '1000',
      OPS_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    });
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) });
    const bot = await start(config, createLogger({ level: 'warn', destination, secrets: [emu.botToken, emu.appToken] }));
    let botStopped = false;
    stops.push(() => (botStopped ? Promise.resolve() : bot.stop()));

    // Real cards: one set to approve (copied per condition), and per condition a pending set to deny.
    progress(`csrbot up; ${USERS} requests to approve`);
    const approveCards = await makeRequests(emu, fx);
    fx.cardBlocks = approveCards.map((c) => c.blocks ?? []);
    const csrbot: Record<string, Samples> = {};
    const bare: Record<string, Samples> = {};
    const told: Record<string, string> = {};
    for (const c of CONDITIONS) {
      progress(`${c.name}: ${USERS} requests to deny`);
      const denyBlocks = (await makeRequests(emu, fx)).map((m) => m.blocks ?? []);
      progress(`${c.name}: csrbot`);
      const cards = [await cardCopies(emu, post, fx.cardBlocks), await cardCopies(emu, post, denyBlocks)];
      const copies = await dmCopies(emu, fx, post);
      const ephemeralsBefore = emu.workspace.ephemerals.length;
      const messagesBefore = emu.workspace.messages.length;
      if (c.fault) emu.faults.always(c.fault);
      csrbot[c.name] = emptySamples();
      await runPaths(fx, csrbot[c.name]!, { bare: false, cards, ...copies });
      emu.faults.always(undefined);
      // Told once Slack recovers: each Renew gets its answer; each approver hears back (an ephemeral, or the card they
      // approved is decided: a first approval answers with the card, not a message); each denial reaches its requester.
      const t0 = Date.now();
      const denials = csrbot[c.name]!['Deny modal submit'].ack.length;
      const heard = () => {
        const e = emu.workspace.ephemerals.slice(ephemeralsBefore);
        const renewAnswers = e.filter((x) => x.text.includes('no-such-serial')).length;
        // Answers to Approve clicks (already decided, in these copies), not the Deny modal's "click Deny again".
        const answered = new Set(e.filter((x) => fx.admins.some((a) => a.id === x.user) && x.text.includes('already')).map((x) => x.user)).size;
        const decided = approveCards.filter((card) => !hasAction(emu.messagesIn(card.channel).find((m) => m.ts === card.ts) ?? card, 'csrbot_approve')).length;
        const denied = emu.workspace.messages.slice(messagesBefore).filter((m) => m.text.includes('was denied')).length;
        return { renewAnswers, approvers: c === CONDITIONS[0] ? decided : answered, denied };
      };
      const all = await waitFor(() => {
        const h = heard();
        return h.renewAnswers >= USERS && h.approvers >= USERS && h.denied >= denials ? h : undefined;
      }, 'the users told').catch(() => heard());
      told[c.name] =
        `${all.renewAnswers}/${USERS} Renew answers, ${all.approvers}/${USERS} approvers answered, ${all.denied}/${denials} denials delivered, ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s after recovery`;
    }
    await bot.stop();
    botStopped = true;

    const app = bareBolt(emu);
    await app.start();
    stops.push(() => app.stop());
    for (const c of CONDITIONS) {
      const cards = [await cardCopies(emu, post, fx.cardBlocks), await cardCopies(emu, post, fx.cardBlocks)];
      const copies = await dmCopies(emu, fx, post);
      if (c.fault) emu.faults.always(c.fault);
      bare[c.name] = emptySamples();
      progress(`${c.name}: bare Bolt`);
      await runPaths(fx, bare[c.name]!, { bare: true, cards, ...copies });
      emu.faults.always(undefined);
    }

    const fmt = (x: number) => (Number.isNaN(x) ? '–' : String(Math.round(x)));
    const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}x`);
    console.log(
      `## ack — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${USERS} users at once`,
    );
    for (const c of CONDITIONS) {
      console.log(`\n### ${c.name}\n`);
      console.log(
        '| path | csrbot ack p50 / p90 / p99 ms | bare Bolt p50 / p90 / p99 ms | p99 ratio | max ack ms | not acked | modal open p99 ms (csrbot / bare) |',
      );
      console.log('|---|---:|---:|---:|---:|---:|---:|');
      for (const p of PATHS) {
        const a = csrbot[c.name]![p];
        const b = bare[c.name]![p];
        const open = a.open.length || b.open.length ? `${fmt(pct(a.open, 99))} (${a.open.length}) / ${fmt(pct(b.open, 99))} (${b.open.length})` : '';
        console.log(
          `| ${p} | ${fmt(pct(a.ack, 50))} / ${fmt(pct(a.ack, 90))} / ${fmt(pct(a.ack, 99))} (${a.ack.length}) | ${fmt(pct(b.ack, 50))} / ${fmt(pct(b.ack, 90))} / ${fmt(pct(b.ack, 99))} (${b.ack.length}) | ${ratio(pct(a.ack, 99), pct(b.ack, 99))} | ${fmt(a.ack.length ? Math.max(...a.ack) : NaN)} | ${a.notAcked} | ${open} |`,
        );
      }
      console.log(`\ncsrbot, once Slack recovered: ${told[c.name]}`);
    }
  } catch (e) {
    progress(`failed; csrbot's last log lines:\n${logs.slice(-20).join('')}`);
    throw e;
  } finally {
    emu.faults.clear();
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await emu.stop();
    await stopControlPlane(stateFile);
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
