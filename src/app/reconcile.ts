import { approversFromMessage, denialFromMessage } from '../domain/decision-message.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Logger } from '../log/logger.js';
import type { CsrEventType, CsrObject } from '../ports.js';
import { APPROVAL_REASON, AUTO_RENEWAL_REASON, Annotations, DENIAL_REASON, type Deps } from './deps.js';
import { announce } from './announce.js';
import { captureCertificate } from './capture.js';
import { approvedWhileDenying, tellDenyOverruled } from './crossed-decision.js';
import type { SweepPass } from './sweep.js';

/**
 * A CSR changed in the cluster. Decisions made outside Slack (kubectl
 * certificate approve|deny, a deleted CSR) move the request through the same
 * compare-and-set transitions as clicks, so with any number of replicas
 * watching, exactly one announces each change. csrbot's own decisions do too
 * when Redis lost them: the cluster is the truth.
 */
export async function onCsrEvent(deps: Deps, type: CsrEventType, csr: CsrObject): Promise<void> {
  const id = csr.annotations[Annotations.requestId];
  if (!id) return;
  const r = await deps.store.get(id);
  // The annotation is only a pointer: anyone who can create CSRs can copy it.
  // The request's own CSR is the one with the name csrbot gave it.
  if (!r || r.csrName !== csr.name) return;
  const at = deps.clock.now().toISOString();
  const log = deps.log.child({ requestId: id, csrName: csr.name, event: type });

  if (type === 'DELETED') {
    // Garbage-collected after issuance, the certificate already captured: the issue job delivers it from the request.
    if (r.state === 'approved' && r.certificatePem !== undefined) {
      await deps.jobs.wake('issue', id);
      return;
    }
    const gone = await deps.store.transition(id, ['pending', 'approving', 'denying', 'approved'], 'deleted', {
      decision: r.decision ?? { by: [], outside: 'the cluster (CSR deleted)', at },
    });
    if (gone) {
      log.info('CSR deleted outside Slack');
      await announce(deps, gone, 'deleted');
    }
    return;
  }
  // The signer answered: capture the certificate the first time it is seen (the CSR is deleted an hour later),
  // and run the issue job, which may be parked between re-checks, now rather than at the end of its delay.
  if (r.state === 'approved' && csr.state === 'issued' && csr.certificatePem && r.certificatePem === undefined) {
    // Unreadable output is the issue job's to report; the watch only must not stop waking it.
    await captureCertificate(deps, r, csr.certificatePem).catch((err: unknown) => log.warn({ err }, 'could not capture the issued certificate'));
  }
  if (r.state === 'approved' && (csr.state === 'issued' || csr.state === 'failed')) await deps.jobs.wake('issue', id);
  const d = csr.decision;
  if (!d) return;
  if (d.type === 'Approved' && (d.reason === APPROVAL_REASON || d.reason === AUTO_RENEWAL_REASON)) await recoverOwnApproval(deps, r, d.message, log);
  else if (d.type === 'Denied' && d.reason === DENIAL_REASON) await recoverOwnDenial(deps, r, d.message, log);
  else if (d.type === 'Approved') {
    // From denying too: kubectl approved while csrbot's denial was on its way, and Kubernetes keeps the first decision.
    const outside = r.state === 'denying' ? approvedWhileDenying(r, d.message) : outsideActor(d.reason, d.message);
    const won = await deps.store.transition(id, [r.state === 'denying' ? 'denying' : 'pending'], 'approved', { decision: { by: [], outside, at } });
    if (won) {
      log.info({ reason: d.reason }, 'CSR approved outside Slack');
      if (r.state === 'denying') await tellDenyOverruled(deps, r, d.message);
      await announce(deps, won, 'approved');
      await deps.jobs.enqueue('issue', id);
    }
  } else {
    const won = await deps.store.transition(id, ['pending', 'approving'], 'denied', {
      decision: { by: [], outside: outsideActor(d.reason, d.message), at, reason: d.message },
    });
    if (won) {
      log.info({ reason: d.reason }, 'CSR denied outside Slack');
      await announce(deps, won, 'denied');
    }
  }
}

/**
 * csrbot's own approval is in the cluster. Usually the approve job that wrote
 * it is moving the request on, and whichever of the two gets there first
 * wins the same compare-and-set. But a crashed Redis master can forget the
 * click (the record says pending) or the job (approving, nothing queued)
 * while the cluster keeps the condition: a lost write, with no other way
 * forward. The condition's message names the approvers, so they are
 * restored from it, and the certificate is delivered.
 */
async function recoverOwnApproval(deps: Deps, r: CertificateRequest, message: string | undefined, log: Logger): Promise<void> {
  const at = deps.clock.now().toISOString();
  let won: CertificateRequest | undefined;
  if (r.state === 'approving') {
    won = await deps.store.transition(r.id, ['approving'], 'approved', {});
  } else if (r.state === 'pending') {
    const approvers = approversFromMessage(message);
    // Each approver counts once (addApproval is idempotent), so a repeated pass or a second replica adds nothing.
    for (const a of approvers ?? []) await deps.store.addApproval(r.id, { ...a, at });
    const decision = approvers ? { by: approvers, at } : { by: [], outside: outsideActor(APPROVAL_REASON, message), at };
    won = await deps.store.transition(r.id, ['pending'], 'approved', { decision });
    if (won) log.warn({ approvers: approvers?.map((a) => a.userId) }, "csrbot's approval is in the cluster but Redis had lost it; delivering");
  }
  if (won) {
    await announce(deps, won, 'approved');
    await deps.jobs.enqueue('issue', r.id);
  }
}

/** The same for csrbot's own denial: Redis lost the Deny (pending), or an Approve clicked after it was lost is still being written (approving). */
async function recoverOwnDenial(deps: Deps, r: CertificateRequest, message: string | undefined, log: Logger): Promise<void> {
  const at = deps.clock.now().toISOString();
  const denial = denialFromMessage(message);
  const decision = denial ? { ...denial, at } : { by: [], outside: outsideActor(DENIAL_REASON, message), at, reason: message };
  const won = await deps.store.transition(r.id, ['pending', 'approving'], 'denied', { decision });
  if (won) {
    log.warn({ deniers: denial?.by.map((d) => d.userId) }, "csrbot's denial is in the cluster but Redis had lost it");
    await announce(deps, won, 'denied');
  }
}

function outsideActor(reason?: string, message?: string): string {
  const what = [reason, message].filter(Boolean).join(': ');
  return `the cluster, outside Slack${what ? ` (${what})` : ''}`;
}

/** Handles one CSR event; a failure is logged and counted, never thrown, so one bad CSR does not stop the rest. */
async function handleLogged(deps: Deps, type: CsrEventType, csr: CsrObject): Promise<boolean> {
  try {
    await onCsrEvent(deps, type, csr);
    return true;
  } catch (err) {
    deps.log.warn({ err, csrName: csr.name }, 'could not reconcile a CSR event');
    return false;
  }
}

/**
 * The full pass: every CSR csrbot manages goes through onCsrEvent, as if
 * the watch had just delivered it. Every transition is a compare-and-set, so
 * a repeated pass, or one on each replica at once, moves each request once.
 */
async function resyncAll(deps: Deps): Promise<{ csrs: number; failed: number; resourceVersion?: string }> {
  const listed = await deps.csrApi.listManaged();
  let failed = 0;
  for (const csr of listed.items) if (!(await handleLogged(deps, 'MODIFIED', csr))) failed += 1;
  return { csrs: listed.items.length, failed, resourceVersion: listed.resourceVersion };
}

/**
 * Keeps Slack in step with the cluster: a full pass over csrbot's CSRs (what
 * happened while no replica was watching), then a watch.
 */
export async function startReconciler(deps: Deps): Promise<{ stop(): void }> {
  // List, then watch from the list's version: each CSR is handled once at
  // start-up. Without a version (the list failed) the watch replays them all.
  let resourceVersion: string | undefined;
  try {
    const done = await resyncAll(deps);
    resourceVersion = done.resourceVersion;
    deps.log.info({ csrs: done.csrs }, 'CSR resync done');
  } catch (err) {
    deps.log.warn({ err }, 'initial CSR resync failed; the watch will catch up');
  }
  return deps.csrApi.watch({ resourceVersion }, (type, csr) => void handleLogged(deps, type, csr));
}

/**
 * The same full pass, on every sweep: the watch only reports CSRs that
 * change, so when Redis forgets csrbot's writes (a crashed master) while the
 * CSRs stay as they are, this is what finds the request and moves it on,
 * without a restart. The sweep interval bounds the delay.
 */
export function reconcilePass(deps: Deps): SweepPass {
  return {
    name: 'reconcile',
    async run() {
      const { csrs, failed } = await resyncAll(deps);
      return { csrs, failed };
    },
  };
}
