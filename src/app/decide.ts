import { checkApprover } from '../domain/approvers.js';
import { approvalMessage, denialMessage } from '../domain/decision-message.js';
import { CsrbotError, isCsrbotError } from '../domain/errors.js';
import { distinctApprovals, type Approval, type CertificateRequest, type SlackPerson } from '../domain/lifecycle.js';
import { kubernetesUsernameFor } from '../domain/policy/index.js';
import { containsPrivateKey } from '../domain/private-key.js';
import { accountProblem } from '../domain/slack-account.js';
import type { DecisionClick } from '../ports.js';
import { APPROVAL_REASON, AUTO_RENEWAL_REASON, CLIENT_USAGES, DENIAL_REASON, type Deps } from './deps.js';
import { adminGroupMembersFor } from './admins.js';
import { announce } from './announce.js';
import { refreshCard } from './card.js';
import { approvedWhileDenying, tellDenyOverruled } from './crossed-decision.js';
import { reportClusterTrouble } from './cluster-trouble.js';

/** Where a decision came from in Slack, to answer the clicker privately. */
export interface DecisionSource {
  userId: string;
  channel: string;
}

export type DecisionOutcome =
  | {
      kind: 'refused';
      code: 'NOT_AN_APPROVER' | 'SELF_APPROVAL' | 'SELF_APPROVAL_SAME_IDENTITY' | 'REQUEST_ALREADY_DECIDED' | 'REQUEST_NOT_FOUND' | 'REASON_HAS_PRIVATE_KEY';
    }
  | { kind: 'recorded'; approvals: number; quorum: number }
  | { kind: 'decided' };

/** The Kubernetes username this Slack account would get under the username rule; undefined when none (or no rule configured). */
function kubernetesUsernameOf(deps: Deps, p: SlackPerson): string | undefined {
  const rule = deps.settings.usernameRule;
  if (!rule) return undefined;
  try {
    return kubernetesUsernameFor({ id: p.userId, username: p.name, email: p.email }, rule);
  } catch {
    return undefined;
  }
}

/**
 * At the moment the quorum is reached, the approvals that still count: each
 * approver is still an admin (SLACK_ADMIN_USERS or the group now), still an
 * active member, and is one Kubernetes identity, counted once.
 */
async function stillValid(deps: Deps, approvals: readonly Approval[]): Promise<Approval[]> {
  const { adminGroup, adminUsers } = deps.settings;
  const groupMembers = adminGroup ? await deps.directory.groupMembers(adminGroup) : [];
  const valid: Approval[] = [];
  for (const a of distinctApprovals(approvals)) {
    if (!adminUsers.includes(a.userId) && !groupMembers.includes(a.userId)) continue;
    const person = await deps.directory.person(a.userId);
    if (accountProblem(person)) continue;
    valid.push(a);
  }
  return valid;
}

type RefusalCode = Extract<DecisionOutcome, { kind: 'refused' }>['code'];
interface Refusal {
  code: RefusalCode;
  details: Record<string, string>;
}

/** Why this person may not decide this request now, or undefined when they may. Tells nobody (see authorise). */
async function refusalOf(deps: Deps, r: CertificateRequest | undefined, id: string, who: DecisionSource): Promise<Refusal | undefined> {
  if (!r) return { code: 'REQUEST_NOT_FOUND', details: { id } };
  const { adminGroup, adminUsers, allowSelfApproval } = deps.settings;
  const adminGroupMembers = await adminGroupMembersFor(deps, who.userId);
  const verdict = checkApprover({ approverId: who.userId, requesterId: r.requester.userId, adminUsers, adminGroupMembers, allowSelfApproval });
  if (!verdict.ok) {
    deps.log.warn({ requestId: id, userId: who.userId, why: verdict.why }, 'decision refused');
    return { code: verdict.why === 'not-admin' ? 'NOT_AN_APPROVER' : 'SELF_APPROVAL', details: adminGroup ? { group: adminGroup } : {} };
  }
  if (!allowSelfApproval) {
    const theirs = kubernetesUsernameOf(deps, await deps.directory.person(who.userId));
    if (theirs !== undefined && theirs.toLowerCase() === r.kubernetesUsername.toLowerCase()) {
      deps.log.warn({ requestId: id, userId: who.userId, why: 'same-kubernetes-identity' }, 'decision refused');
      return { code: 'SELF_APPROVAL_SAME_IDENTITY', details: { username: r.kubernetesUsername, slackUser: who.userId } };
    }
  }
  if (r.state !== 'pending') return { code: 'REQUEST_ALREADY_DECIDED', details: alreadyDecided(r) };
  return undefined;
}

/** Tells the clicker privately why their click does not count. */
async function tellRefusal(deps: Deps, who: DecisionSource, refusal: Refusal): Promise<Extract<DecisionOutcome, { kind: 'refused' }>> {
  await deps.chat.tellUser(who.channel, who.userId, new CsrbotError(refusal.code, refusal.details).userMessage);
  return { kind: 'refused', code: refusal.code };
}

async function authorise(
  deps: Deps,
  r: CertificateRequest | undefined,
  id: string,
  who: DecisionSource,
): Promise<Extract<DecisionOutcome, { kind: 'refused' }> | undefined> {
  const refusal = await refusalOf(deps, r, id, who);
  return refusal && tellRefusal(deps, who, refusal);
}

/** Details for REQUEST_ALREADY_DECIDED: the outcome in words, and who, as Slack mentions (Slack renders the names). */
function alreadyDecided(r: CertificateRequest | undefined): Record<string, string> {
  const state = !r ? 'decided' : r.state === 'approving' ? 'approved' : r.state === 'denying' ? 'denied' : r.state;
  const by = r?.decision ? (r.decision.outside ?? r.decision.by.map((d) => `<@${d.userId}>`).join(', ')) : '';
  return { state, by };
}

async function tellAlreadyDecided(deps: Deps, id: string, who: DecisionSource): Promise<DecisionOutcome> {
  const now = await deps.store.get(id);
  await deps.chat.tellUser(who.channel, who.userId, new CsrbotError('REQUEST_ALREADY_DECIDED', alreadyDecided(now)).userMessage);
  return { kind: 'refused', code: 'REQUEST_ALREADY_DECIDED' };
}

/**
 * An Approve click or a submitted Deny, made durable before Slack is acked:
 * one Redis write (the decide job), no Slack call. Who clicked is checked by
 * the job (processDecision), which needs Slack; a refusal reaches the clicker
 * there as an ephemeral message. Throws when Redis cannot take it.
 */
export async function recordDecision(deps: Pick<Deps, 'jobs'>, click: DecisionClick): Promise<void> {
  await deps.jobs.enqueueDecision(click);
}

/**
 * Job: one recorded click, authorised and counted as if made now. Every check
 * of approveRequest/denyRequest runs here (admin now, self-approval by Slack id
 * and Kubernetes identity, guests, the quorum re-validated), against Slack as it
 * answers now; nothing about group membership is cached.
 */
export async function processDecision(deps: Deps, click: DecisionClick | undefined): Promise<void> {
  if (!click) throw new CsrbotError('REQUEST_NOT_FOUND', { id: '(a decide job without its click)' });
  const who = { userId: click.userId, channel: click.channel };
  if (click.kind === 'approve') await approveRequest(deps, click.requestId, who);
  else await denyRequest(deps, click.requestId, who, click.reason ?? '');
}

/** What the Deny modal needs, read from Redis only (no Slack call: the trigger_id lives 3 s); undefined when the request is unknown. */
export async function denyTarget(deps: Pick<Deps, 'store'>, id: string): Promise<{ username: string; pending: boolean } | undefined> {
  const r = await deps.store.get(id);
  return r && { username: r.kubernetesUsername, pending: r.state === 'pending' };
}

/**
 * The Deny button: may this admin deny, and for whom? Asked before the
 * reason modal opens, so a non-admin is not asked for a reason that cannot count.
 */
export async function prepareDeny(deps: Deps, id: string, who: DecisionSource): Promise<{ kind: 'refused' } | { kind: 'ask-reason'; username: string }> {
  const next = await denyVerdict(deps, id, who);
  if (next.kind === 'ask-reason') return next;
  await next.tell();
  return { kind: 'refused' };
}

/**
 * prepareDeny's answer as soon as it is known, before the clicker is told a
 * refusal (`tell`): the Deny listener races it against the trigger_id's life,
 * and a refusal known in time means no modal opens at all.
 */
export async function denyVerdict(
  deps: Deps,
  id: string,
  who: DecisionSource,
): Promise<{ kind: 'refused'; tell: () => Promise<unknown> } | { kind: 'ask-reason'; username: string }> {
  const r = await deps.store.get(id);
  const refusal = await refusalOf(deps, r, id, who);
  if (refusal) return { kind: 'refused', tell: () => tellRefusal(deps, who, refusal) };
  return { kind: 'ask-reason', username: r!.kubernetesUsername };
}

/**
 * An admin clicked Approve. Counts the approval once per admin; the click
 * that reaches the quorum wins the pending->approved transition (only one
 * can) and enqueues the cluster write.
 */
export async function approveRequest(deps: Deps, id: string, who: DecisionSource): Promise<DecisionOutcome> {
  const r = await deps.store.get(id);
  const refused = await authorise(deps, r, id, who);
  if (refused || !r) return refused ?? { kind: 'refused', code: 'REQUEST_NOT_FOUND' };
  const person = await deps.directory.person(who.userId);
  const theirs = kubernetesUsernameOf(deps, person);
  const all = await deps.store.addApproval(id, {
    userId: who.userId,
    name: person.realName || person.name,
    at: deps.clock.now().toISOString(),
    ...(theirs !== undefined ? { kubernetesUsername: theirs } : {}),
  });
  // Counted only when it could decide: re-validated then, so an admin removed since (or a second account) does not count.
  const approvals = distinctApprovals(all).length < r.quorum ? distinctApprovals(all) : await stillValid(deps, all);
  if (approvals.length < r.quorum) {
    await refreshCard(deps, { ...r, approvals });
    return { kind: 'recorded', approvals: approvals.length, quorum: r.quorum };
  }
  const by = approvals.map((a) => ({ userId: a.userId, name: a.name }));
  const won = await deps.store.transition(id, ['pending'], 'approving', { decision: { by, at: deps.clock.now().toISOString() } });
  if (!won) {
    // Another click (or replica) reached the quorum first. If that quorum counted this click, it is this click's decision too.
    const now = await deps.store.get(id);
    if (now && now.decision?.by.some((d) => d.userId === who.userId) && ['approving', 'approved', 'issued'].includes(now.state)) return { kind: 'decided' };
    return tellAlreadyDecided(deps, id, who);
  }
  deps.log.info({ requestId: id, approvers: approvals.map((a) => a.userId) }, 'request approved in Slack');
  await queueDecided(deps, 'approve', id);
  return { kind: 'decided' };
}

/** An admin submitted the Deny modal. */
export async function denyRequest(deps: Deps, id: string, who: DecisionSource, reason: string): Promise<DecisionOutcome> {
  const r = await deps.store.get(id);
  const refused = await authorise(deps, r, id, who);
  if (refused || !r) return refused ?? { kind: 'refused', code: 'REQUEST_NOT_FOUND' };
  if (containsPrivateKey(reason)) {
    // Stored nowhere, said plainly: the request stays pending for a deny without it.
    await deps.chat.tellUser(who.channel, who.userId, new CsrbotError('REASON_HAS_PRIVATE_KEY').userMessage);
    return { kind: 'refused', code: 'REASON_HAS_PRIVATE_KEY' };
  }
  const person = await deps.directory.person(who.userId);
  const won = await deps.store.transition(id, ['pending'], 'denying', {
    decision: { by: [{ userId: who.userId, name: person.realName || person.name }], at: deps.clock.now().toISOString(), reason },
  });
  if (!won) return tellAlreadyDecided(deps, id, who);
  deps.log.info({ requestId: id, by: who.userId }, 'request denied in Slack');
  await queueDecided(deps, 'deny', id);
  return { kind: 'decided' };
}

/**
 * Queues the job that writes a decision already stored. The decision is
 * what counts: if the queue is unreachable now, the stuck-requests sweep
 * finds the request in the open index (written with the decision) and queues it.
 */
async function queueDecided(deps: Deps, kind: 'approve' | 'deny', id: string): Promise<void> {
  try {
    await deps.jobs.enqueue(kind, id);
  } catch (err) {
    deps.log.warn({ err, requestId: id, job: kind }, 'decision stored but its job could not be queued; the sweep queues it');
  }
}

/** Job: write the approval to the cluster as `kubectl certificate approve` does, then announce it. */
export async function processApprove(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (!r) throw new CsrbotError('REQUEST_NOT_FOUND', { id });
  if (r.state === 'approving') {
    try {
      // The object the card showed, and nothing else: no uid recorded means csrbot cannot tell, so it approves nothing.
      if (r.csrUid === undefined) throw new CsrbotError('CSR_CONTENT_CHANGED', { name: r.csrName, field: 'uid (none recorded at creation)' });
      const expected = { uid: r.csrUid, csrPem: r.csr.pem, signerName: r.signerName, usages: CLIENT_USAGES, expirationSeconds: r.lifetimeSeconds };
      await deps.csrApi.approve(
        r.csrName,
        r.decision?.auto
          ? { reason: AUTO_RENEWAL_REASON, message: `Renewal of ${r.renewalOf ?? '?'} approved by csrbot under ${r.decision.auto}` }
          : // The people of the winning decision: a click counted after the quorum was reached is in approvals, not in it.
            { reason: APPROVAL_REASON, message: approvalMessage(r.decision?.by.length ? r.decision.by : r.approvals) },
        expected,
      );
    } catch (e) {
      if (isCsrbotError(e) && e.code === 'CSR_CONTENT_CHANGED') {
        // Swapped or changed after the card went up: refuse, mark the card, tell the admins. Retrying cannot make it the same object.
        deps.log.warn({ requestId: id, csrName: r.csrName, field: e.details.field }, 'CSR changed after the card was posted; nothing approved');
        const failed = await deps.store.transition(id, ['approving'], 'failed', { failure: { code: e.code, details: e.details } });
        if (failed) {
          await deps.chat.tellAdmins(`:rotating_light: ${e.userMessage}`);
          await announce(deps, failed, 'failed');
        }
        return;
      }
      if (isCsrbotError(e) && e.code === 'CSR_ALREADY_DECIDED') {
        // Denied outside Slack between the click and now: the cluster's word stands.
        const at = deps.clock.now().toISOString();
        const denied = await deps.store.transition(id, ['approving'], 'denied', { decision: { by: [], outside: 'the cluster (denied outside Slack)', at } });
        if (denied) await announce(deps, denied, 'denied');
        return;
      }
      if (isCsrbotError(e) && e.code === 'CSR_NOT_FOUND') {
        // Deleted (kubectl delete csr) before the approval reached it; retrying cannot bring it back.
        const gone = await deps.store.transition(id, ['approving'], 'deleted', {});
        if (gone) await announce(deps, gone, 'deleted');
        return;
      }
      await reportClusterTrouble(deps, r, e);
      throw e;
    }
    await deps.store.transition(id, ['approving'], 'approved', {});
  }
  // Also reached on a retry after a crash between the transition and the enqueue: both steps are idempotent.
  const now = (await deps.store.get(id)) ?? r;
  if (now.state === 'approved') {
    await announce(deps, now, 'approved');
    await deps.jobs.enqueue('issue', id);
  }
}

/** Job: write the denial to the cluster, then announce it. If the cluster approved first, the approval stands. */
export async function processDeny(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (!r) throw new CsrbotError('REQUEST_NOT_FOUND', { id });
  if (r.state === 'denying') {
    try {
      await deps.csrApi.deny(r.csrName, { reason: DENIAL_REASON, message: denialMessage(r.decision?.by ?? [], r.decision?.reason) });
    } catch (e) {
      if (isCsrbotError(e) && e.code === 'CSR_ALREADY_DECIDED') {
        // Approved outside Slack (kubectl) while this denial was on its way: Kubernetes keeps the first decision.
        const at = deps.clock.now().toISOString();
        const words = typeof e.details.by === 'string' ? e.details.by : undefined;
        const approved = await deps.store.transition(id, ['denying'], 'approved', { decision: { by: [], outside: approvedWhileDenying(r, words), at } });
        if (approved) {
          await tellDenyOverruled(deps, r, words);
          await announce(deps, approved, 'approved');
          await deps.jobs.enqueue('issue', id);
        }
        return;
      }
      // CSR_NOT_FOUND: deleted before the denial was written. Nothing can ever be issued for it, so the admin's denial stands.
      if (!(isCsrbotError(e) && e.code === 'CSR_NOT_FOUND')) {
        await reportClusterTrouble(deps, r, e);
        throw e;
      }
    }
    await deps.store.transition(id, ['denying'], 'denied', {});
  }
  const now = (await deps.store.get(id)) ?? r;
  if (now.state === 'denied') await announce(deps, now, 'denied');
}
