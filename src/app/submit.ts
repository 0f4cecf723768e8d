import { randomBytes } from 'node:crypto';
import { CsrbotError, isCsrbotError } from '../domain/errors.js';
import { csrNameFor, type CertificateRequest } from '../domain/lifecycle.js';
import { holdsCsrbotPowers, isClusterAdminLevel } from '../domain/privilege.js';
import { announce, changed } from './announce.js';
import { recordAudit } from './audit.js';
import { considerAutoRenewal } from './auto-renewal.js';
import { reportClusterTrouble } from './cluster-trouble.js';
import { onceOnly } from './once-only.js';
import { Annotations, CLIENT_USAGES, type Deps } from './deps.js';

/** What a submission carries; `id` is deterministic: the same Slack interaction gives the same id, so a redelivery finds the request it already made. */
export type NewRequest = Pick<
  CertificateRequest,
  'id' | 'requester' | 'kubernetesUsername' | 'csr' | 'signerName' | 'lifetimeSeconds' | 'reason' | 'dmChannel' | 'renewalOf'
>;

/** APPROVAL_QUORUM, raised to CLUSTER_ADMIN_QUORUM (default 2) for an identity that would be cluster-admin. */
export function quorumFor(deps: Pick<Deps, 'settings'>, r: Pick<CertificateRequest, 'kubernetesUsername' | 'csr'>): number {
  const { quorum, clusterAdminQuorum = 2 } = deps.settings;
  const p = r.csr.permissions;
  const adminLevel = p !== undefined && isClusterAdminLevel({ identity: { username: r.kubernetesUsername, groups: r.csr.groups }, abilities: p.abilities });
  return adminLevel ? Math.max(quorum, clusterAdminQuorum) : quorum;
}

/**
 * Records the request and hands the slow part (cluster, card) to a durable
 * job. Safe to call twice with the same id.
 */
export async function submitRequest(deps: Deps, input: NewRequest): Promise<{ created: boolean; request: CertificateRequest }> {
  const request: CertificateRequest = {
    ...input,
    // The random part is made here once; a redelivery keeps the stored request's (store.create keeps the first).
    csrName: csrNameFor(input.id, input.kubernetesUsername, randomBytes(5).toString('hex')),
    state: 'pending',
    createdAt: deps.clock.now().toISOString(),
    approvals: [],
    quorum: quorumFor(deps, input),
  };
  const result = await deps.store.create(request);
  await deps.jobs.enqueue('submit', input.id);
  deps.log.info({ requestId: input.id, csrName: result.request.csrName, created: result.created }, 'request submitted');
  if (result.created) {
    deps.metrics?.requestEvent('submitted');
    await recordAudit(deps, {
      type: input.renewalOf ? 'renewal-requested' : 'requested',
      requestId: input.id,
      actor: input.requester.userId,
      via: 'slack',
      ...(input.renewalOf ? { serial: input.renewalOf, detail: `renewal of ${input.renewalOf}` } : {}),
    });
  }
  return result;
}

/**
 * Job: create the CSR object, post the card, confirm to the requester. Each
 * step checks what is already done, so a retry after a crash or an outage
 * resumes where it stopped.
 */
export async function processSubmit(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (!r) throw new CsrbotError('REQUEST_NOT_FOUND', { id });
  const log = deps.log.child({ requestId: id, csrName: r.csrName });
  if (r.state === 'failed') {
    // The API refused the CSR on an earlier attempt, whose announcement may not have got through
    // (announce is idempotent: the card re-renders, the requester is told once).
    await announce(deps, await ensureCard(deps, r), 'failed');
    return;
  }
  if (r.state === 'pending' && r.csr.permissions === undefined && deps.permissions) {
    // Intake could not ask the cluster (an outage): ask now, before the CSR exists or a card shows "not checked".
    let preview;
    try {
      preview = await deps.permissions.preview({ username: r.kubernetesUsername, groups: r.csr.groups });
    } catch (e) {
      await reportClusterTrouble(deps, r, e);
      throw e;
    }
    if (holdsCsrbotPowers(preview) && !deps.settings.allowCsrbotPowers) {
      const details = { username: r.kubernetesUsername, groups: r.csr.groups.length ? r.csr.groups : undefined, abilities: [...preview.abilities] };
      const failed = await deps.store.transition(id, ['pending'], 'failed', { failure: { code: 'IDENTITY_HOLDS_CSRBOT_POWERS', details } });
      if (failed) await announce(deps, await ensureCard(deps, failed), 'failed');
      return;
    }
    const csr = { ...r.csr, permissions: { abilities: [...preview.abilities] } };
    await deps.store.update(id, { csr, quorum: quorumFor(deps, { ...r, csr }) });
    return processSubmit(deps, id);
  }
  if (r.state === 'pending') {
    try {
      const created = await deps.csrApi.create({
        name: r.csrName,
        csrPem: r.csr.pem,
        signerName: r.signerName,
        usages: CLIENT_USAGES,
        expirationSeconds: r.lifetimeSeconds,
        annotations: {
          [Annotations.requestId]: r.id,
          [Annotations.slackUser]: r.requester.userId,
          [Annotations.slackTeam]: r.requester.teamId,
          ...(r.reason ? { [Annotations.reason]: r.reason.slice(0, 1000) } : {}),
          ...(r.renewalOf ? { [Annotations.renewalOf]: `renewal of ${r.renewalOf}` } : {}),
        },
      });
      // The approval later writes to this object only (processApprove checks the uid on every attempt).
      if (r.csrUid === undefined) await deps.store.update(id, { csrUid: created.uid });
    } catch (e) {
      if (isCsrbotError(e) && (e.code === 'CSR_REJECTED_BY_API' || e.code === 'CSR_NAME_TAKEN')) {
        // Retrying cannot change the API server's mind: tell everyone once and stop.
        // The admins get a card too (without buttons): a refused request is theirs to know about.
        const failed = await deps.store.transition(id, ['pending'], 'failed', { failure: { code: e.code, details: e.details } });
        if (failed) await announce(deps, await ensureCard(deps, failed), 'failed');
        return;
      }
      await reportClusterTrouble(deps, r, e);
      throw e;
    }
  }
  let latest = (await deps.store.get(id)) ?? r;
  // Before the card exists: an automatic renewal gets an informational card, without buttons.
  if (latest.state === 'pending' && latest.renewalOf !== undefined && !latest.card) latest = await considerAutoRenewal(deps, latest);
  const current = await ensureCard(deps, latest);
  log.debug({ card: current.card }, 'approval card in place');
  // Decided (e.g. by kubectl) before the card went up: the requester was told that instead.
  if (current.state !== 'pending') return;
  await onceOnly(deps, id, 'submitted-notice', () => deps.chat.notifyRequester(current, { kind: 'submitted' }));
  await changed(deps, current);
}

/** Posts the card unless the request has one; returns the request with it. */
async function ensureCard(deps: Deps, r: CertificateRequest): Promise<CertificateRequest> {
  if (r.card) return r;
  // An attempt before this one may have posted the card and died before recording it (SIGKILL, no catch runs):
  // that card is adopted, not left live next to a second one. Only a repeated attempt looks (one history read).
  const repeated = !(await deps.store.once(r.id, 'card-posting'));
  const orphan = repeated ? await deps.chat.findCard(r) : undefined;
  if (orphan) deps.log.warn({ requestId: r.id, card: orphan }, 'found the card an earlier attempt posted without recording it; using it');
  const card = orphan ?? (await deps.chat.postCard(r));
  if (!orphan) deps.log.info({ requestId: r.id, card }, 'approval card posted');
  try {
    return await deps.store.update(r.id, { card });
  } catch (e) {
    // Unrecorded, this card would never be updated and its buttons would stay live next to the card the retry posts.
    await deps.chat.retractCard(card).catch((err: unknown) => deps.log.warn({ err, requestId: r.id, card }, 'could not delete an unrecorded card'));
    throw e;
  }
}
