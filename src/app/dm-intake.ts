import { describeError, isCsrbotError } from '../domain/errors.js';
import type { CertificateRequest, SlackPerson } from '../domain/lifecycle.js';
import { containsPrivateKey } from '../domain/private-key.js';
import type { DraftStore, Upload } from '../ports.js';
import type { Deps } from './deps.js';
import { PRE_ACK_PREVIEW_MS, checkCsr, requesterProfile, type IntakeDeps } from './intake.js';
import { requestIdFrom } from './request-id.js';
import { submitRequest } from './submit.js';

/** What the intake use cases need: the flow's deps, the policy, and where drafts wait for Submit. */
export interface IntakeFlow {
  deps: Deps;
  intake: IntakeDeps;
  drafts: DraftStore;
}

/** A message someone sent the bot in a DM. */
export interface DmMessage {
  userId: string;
  channel: string;
  ts: string;
  text?: string;
  file?: Upload;
}

/** Slack does not enforce max_length outside modals: a message input can send more. */
export const REASON_MAX_CHARS = 500;

const looksLikePem = (t: string) => /-----BEGIN [A-Z0-9 ]+-----/.test(t);

/**
 * Why this new request may not be recorded: a reason holding key material
 * (csrbot never stores a private key, and says so instead of failing), or the
 * requester's pending cap or hourly rate. A request that already exists (a
 * second click, a redelivery) is never refused here.
 */
async function refusalBeforeSubmit(flow: IntakeFlow, id: string, userId: string, reason: string | undefined): Promise<string | undefined> {
  const { deps } = flow;
  if (await deps.store.get(id)) return undefined;
  if (reason !== undefined && containsPrivateKey(reason)) return describeError('REASON_HAS_PRIVATE_KEY', { where: 'reason' });
  const { maxPendingPerUser, requestsPerHour } = deps.settings.limits ?? DEFAULT_LIMITS;
  const since = new Date(deps.clock.now().getTime() - 3600_000);
  const mine = await deps.store.byRequester(userId, since);
  if (mine.pending >= maxPendingPerUser) return describeError('REQUEST_LIMIT_PENDING', { pending: mine.pending, limit: maxPendingPerUser });
  if (mine.submitted >= requestsPerHour) return describeError('REQUEST_LIMIT_RATE', { submitted: mine.submitted, limit: requestsPerHour });
  return undefined;
}

export const DEFAULT_LIMITS = { maxPendingPerUser: 3, requestsPerHour: 10 } as const;

/**
 * A CSR sent in a DM, as a file or pasted: checked at once. The reply is
 * every problem with its fix, or a summary with Submit. The draft id comes
 * from the message, so a redelivered event answers once. A `replay` (the
 * inbox answering an event whose answer may never have been posted) posts the
 * summary even when the draft exists. True once this call posted the answer;
 * false for a redelivery that found the draft: the first answer may still be
 * posting, or may have died, so only it (or the inbox pass) closes the entry.
 */
export async function receiveCsr(flow: IntakeFlow, m: DmMessage, o: { replay?: boolean } = {}): Promise<boolean> {
  const { deps } = flow;
  let input: string | Uint8Array | undefined;
  try {
    input = m.file ? await deps.chat.readUpload(m.file) : m.text && looksLikePem(m.text) ? m.text : undefined;
  } catch (e) {
    if (!(isCsrbotError(e) && e.code === 'UPLOAD_HOST_REFUSED')) throw e;
    deps.log.warn({ user: m.userId, origin: e.details.origin }, 'upload from a host that is not Slack refused');
    await deps.chat.replyInDm(m.channel, { kind: 'problems', problems: [e.userMessage], warnings: [] });
    return true;
  }
  if (input === undefined) {
    await deps.chat.replyInDm(m.channel, { kind: 'how-to' });
    return true;
  }
  const person = await deps.directory.person(m.userId);
  const result = await checkCsr(flow.intake, input, person);
  if (!result.ok) {
    deps.log.info({ user: m.userId, problems: result.problems.length }, 'CSR refused at intake');
    await deps.chat.replyInDm(m.channel, { kind: 'problems', problems: result.problems, warnings: result.warnings });
    return true;
  }
  const draftId = requestIdFrom(person.teamId, m.channel, m.ts);
  const fresh = await flow.drafts.put(draftId, {
    requester: person,
    kubernetesUsername: result.username,
    csr: result.csr,
    dmChannel: m.channel,
    signerName: result.signerName,
  });
  if (!fresh && !o.replay) return false; // a redelivered event: the first answer posts the summary (or the inbox pass does)
  await deps.chat.replyInDm(m.channel, { kind: 'draft', draftId, username: result.username, csr: result.csr, lifetime: flow.intake.policy.lifetime });
  return true;
}

export type DraftSubmitOutcome = { kind: 'expired' } | { kind: 'not-yours' } | { kind: 'refused' } | { kind: 'submitted'; request: CertificateRequest };

/**
 * Submit on a DM summary: only the requester's own click counts. The CSR is
 * checked again with the chosen lifetime (the policy owns the limits, not
 * the select), then the request is stored and its job enqueued.
 */
export async function submitDraft(
  flow: IntakeFlow,
  a: { draftId: string; userId: string; lifetimeSeconds?: number; reason?: string },
  /** Called once the outcome is settled in Redis and before any Slack call (the listener's ack). Default: nothing. */
  o: { settled?: () => Promise<void> } = {},
): Promise<DraftSubmitOutcome> {
  const draft = await flow.drafts.get(a.draftId);
  if (!draft) return { kind: 'expired' };
  if (draft.requester.userId !== a.userId) return { kind: 'not-yours' };
  const reason = a.reason?.trim().slice(0, REASON_MAX_CHARS) || undefined;
  const result = await checkCsr(flow.intake, draft.csr.pem, draft.requester, a.lifetimeSeconds ?? flow.intake.policy.lifetime.defaultSeconds, {
    previewWithinMs: PRE_ACK_PREVIEW_MS,
  });
  if (!result.ok) {
    await o.settled?.();
    await flow.deps.chat.replyInDm(draft.dmChannel, { kind: 'problems', problems: result.problems, warnings: result.warnings });
    return { kind: 'refused' };
  }
  const refusal = await refusalBeforeSubmit(flow, a.draftId, a.userId, reason);
  if (refusal) {
    await o.settled?.();
    await flow.deps.chat.replyInDm(draft.dmChannel, { kind: 'problems', problems: [refusal], warnings: [] });
    return { kind: 'refused' };
  }
  const { request } = await submitRequest(flow.deps, {
    id: a.draftId,
    requester: draft.requester,
    kubernetesUsername: draft.kubernetesUsername,
    csr: result.csr,
    signerName: result.signerName,
    lifetimeSeconds: result.lifetimeSeconds,
    reason,
    dmChannel: draft.dmChannel,
  });
  return { kind: 'submitted', request };
}

/** What the `/cert request` form shows this user, or why they cannot ask. */
export async function requestForm(
  flow: IntakeFlow,
  userId: string,
): Promise<{ username: string; groups: string[]; lifetime: { defaultSeconds: number; maxSeconds: number }; person: SlackPerson } | { problem: string }> {
  const person = await flow.deps.directory.person(userId);
  const profile = await requesterProfile(flow.intake, person);
  if ('problem' in profile) return profile;
  return { username: profile.username, groups: profile.groups, lifetime: flow.intake.policy.lifetime, person };
}

/**
 * The `/cert request` form was submitted. Durable before the ack: once the
 * modal closes, the request exists. The id comes from the view, so a
 * redelivered submission lands on the same request.
 */
export async function submitForm(
  flow: IntakeFlow,
  a: { userId: string; teamId?: string; viewId: string; pem: string; lifetimeSeconds?: number; reason?: string; person?: SlackPerson },
): Promise<{ kind: 'refused'; problems: string[] } | { kind: 'submitted'; request: CertificateRequest }> {
  // The profile read when the form opened (as a DM draft keeps it): no users.info before the submission's ack.
  const person = a.person?.userId === a.userId ? a.person : await flow.deps.directory.person(a.userId);
  const result = await checkCsr(flow.intake, a.pem, person, a.lifetimeSeconds ?? flow.intake.policy.lifetime.defaultSeconds, {
    previewWithinMs: PRE_ACK_PREVIEW_MS,
  });
  if (!result.ok) return { kind: 'refused', problems: result.problems };
  const id = requestIdFrom(a.teamId ?? person.teamId, a.viewId);
  const reason = a.reason?.trim().slice(0, REASON_MAX_CHARS) || undefined;
  const refusal = await refusalBeforeSubmit(flow, id, a.userId, reason);
  if (refusal) return { kind: 'refused', problems: [refusal] };
  const { request } = await submitRequest(flow.deps, {
    id,
    requester: person,
    kubernetesUsername: result.username,
    csr: result.csr,
    signerName: result.signerName,
    lifetimeSeconds: result.lifetimeSeconds,
    reason,
  });
  return { kind: 'submitted', request };
}
