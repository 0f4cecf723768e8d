/**
 * The invariants of issue 11, checked per request once csrbot has settled:
 *   - the final state in Redis equals the cluster's decisive condition;
 *   - the Approved/Denied condition names the people of the winning decision,
 *     and no request is both denied in Slack and approved in the cluster;
 *   - exactly one certificate DM per issued certificate (and none otherwise);
 *   - no request left non-final;
 *   - no live buttons on a decided card.
 * Plus what the driver saw: every request it made got a card, and no card
 * names a request nobody made (a duplicate of one upload would).
 */
import { CertificatesV1Api, type KubeConfig, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { Message, SlackEmulator } from '@csrbot/slack-emulator';
import type { RequestStore } from '../../../src/ports.js';
import type { CertificateRequest, RequestState } from '../../../src/domain/lifecycle.js';
import { approvalMessage, namedDeciders } from '../../../src/domain/decision-message.js';
import { APPROVAL_REASON, DENIAL_REASON } from '../../../src/app/deps.js';
import { isCertificateDmFor, requestIdOnCard, type TrackedRequest } from '../load/driver.js';

export const FINAL_STATES: readonly RequestState[] = ['issued', 'denied', 'failed', 'deleted', 'expired'];

export interface Violation {
  request: string;
  rule: string;
  detail: string;
}

export interface CheckInput {
  emu: SlackEmulator;
  admin: KubeConfig;
  store: RequestStore;
  tracked: readonly TrackedRequest[];
  /** Every request id seen on a card in the admin channel. */
  cardIds: ReadonlySet<string>;
}

const hasLiveButtons = (m: Message) => /"action_id":"csrbot_(approve|deny)"/.test(JSON.stringify(m.blocks ?? []));

/** Every violation; empty when csrbot kept every promise. */
export async function checkInvariants(c: CheckInput): Promise<Violation[]> {
  const out: Violation[] = [];
  const api = c.admin.makeApiClient(CertificatesV1Api);
  const csrs = new Map<string, V1CertificateSigningRequest>();
  for (const csr of (await api.listCertificateSigningRequest()).items) csrs.set(csr.metadata?.name ?? '', csr);

  for (const t of c.tracked) {
    if (t.id === undefined)
      out.push({ request: `#${t.seq} (@${t.requester.name}, ${t.via})`, rule: 'every request gets a card', detail: t.problems.join('; ') });
  }
  const byId = new Map(c.tracked.filter((t) => t.id !== undefined).map((t) => [t.id!, t]));
  for (const id of c.cardIds)
    if (!byId.has(id)) {
      const r = await c.store.get(id);
      out.push({
        request: id,
        rule: 'no request nobody made',
        detail: `a card names it (state ${r?.state ?? 'missing'}, requester ${r?.requester.name ?? '?'}); no request of the driver's got it`,
      });
    }

  for (const id of c.cardIds) {
    const r = await c.store.get(id);
    const t = byId.get(id);
    const v = (rule: string, detail: string) => out.push({ request: `${id}${t ? ` (#${t.seq} ${t.decision})` : ''}`, rule, detail });
    if (!r) {
      v('the request is recorded', 'no record in Redis');
      continue;
    }
    checkOne(c, r, r.csrName ? csrs.get(r.csrName) : undefined, v);
  }
  return out;
}

function checkOne(c: CheckInput, r: CertificateRequest, csr: V1CertificateSigningRequest | undefined, v: (rule: string, detail: string) => void): void {
  const conditions = csr?.status?.conditions ?? [];
  const approved = conditions.find((x) => x.type === 'Approved' && x.status === 'True');
  const denied = conditions.find((x) => x.type === 'Denied' && x.status === 'True');
  const failed = conditions.find((x) => x.type === 'Failed' && x.status === 'True');
  const certificate = csr?.status?.certificate ? Buffer.from(csr.status.certificate, 'base64').toString('utf8').trim() : undefined;

  if (!FINAL_STATES.includes(r.state)) v('no request left non-final', `state ${r.state}`);

  // The cluster's decisive condition against the final state.
  const expected: RequestState[] = !csr ? ['deleted'] : denied ? ['denied'] : approved ? (failed ? ['failed'] : ['issued']) : ['pending'];
  if (!expected.includes(r.state))
    v(
      'final state equals the cluster',
      `Redis says ${r.state}; the cluster says ${csr ? conditions.map((x) => `${x.type}(${x.reason})`).join(', ') || 'undecided' : 'no CSR'}`,
    );

  // The condition names the winning decision's people.
  const cond = approved ?? denied;
  if (cond) {
    const by = r.decision?.by ?? [];
    if (cond.reason === APPROVAL_REASON) {
      if (by.length === 0 || cond.message !== approvalMessage(by))
        v('the condition names the deciders', `Approved says "${cond.message}"; Redis records ${JSON.stringify(r.decision)}`);
    } else if (cond.reason === DENIAL_REASON) {
      if (by.length === 0 || !cond.message?.startsWith(`Denied in Slack by ${namedDeciders(by)}`))
        v('the condition names the deciders', `Denied says "${cond.message}"; Redis records ${JSON.stringify(r.decision)}`);
    } else if (by.length > 0 || !r.decision?.outside) {
      v('the condition names the deciders', `${cond.type} by ${cond.reason} ("${cond.message}") outside Slack; Redis records ${JSON.stringify(r.decision)}`);
    }
  }

  // Never denied in Slack while the cluster approved.
  const requester = c.emu.user(r.requester.userId);
  const dms = requester.dms().filter((m) => m.user === c.emu.botUserId);
  const cards = c.emu.workspace.messages.filter((m) => m.channel === c.emu.adminChannelId && !m.deleted && requestIdOnCard(m) === r.id);
  if (approved) {
    const toldDenied = dms.filter((m) => m.text.includes(`\`${r.id}\``) && m.text.includes('was denied'));
    if (toldDenied.length) v('never denied in Slack and approved in the cluster', `the requester was told: "${toldDenied[0]!.text.slice(0, 200)}"`);
    const cardDenied = cards.filter((m) => JSON.stringify(m.blocks ?? []).includes('Denied by'));
    if (cardDenied.length) v('never denied in Slack and approved in the cluster', `a card at ${cardDenied[0]!.ts} says Denied`);
  }

  // Exactly one certificate DM per issued certificate.
  const certDms = dms.filter(isCertificateDmFor(r.id));
  const wanted = r.state === 'issued' ? 1 : 0;
  if (certDms.length !== wanted) v('one certificate DM per issued certificate', `${certDms.length} certificate DM(s) for a request in state ${r.state}`);
  for (const m of certDms) {
    const crt = (m.files ?? []).find((f) => String(f.name).endsWith('.crt'));
    const text = crt ? (c.emu.file(String(crt.id))?.content?.toString('utf8').trim() ?? '') : '';
    if (certificate === undefined || text !== certificate)
      v('one certificate DM per issued certificate', `the DM at ${m.ts} carries a certificate the cluster did not issue for ${r.csrName}`);
  }

  // No live buttons on a decided card (and a decided request still has a card).
  if (FINAL_STATES.includes(r.state))
    for (const m of cards.filter(hasLiveButtons)) v('no live buttons on a decided card', `card ${m.ts} still offers Approve/Deny (state ${r.state})`);
  if (cards.length === 0) v('the request has a card', 'every card naming it was deleted and none was posted again');
}
