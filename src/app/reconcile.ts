import type { CsrEventType, CsrObject } from '../ports.js';
import { APPROVAL_REASON, Annotations, DENIAL_REASON, type Deps } from './deps.js';
import { announce } from './announce.js';

/**
 * A CSR changed in the cluster. Decisions made outside Slack (kubectl
 * certificate approve|deny, a deleted CSR) move the request through the same
 * compare-and-set transitions as clicks, so with any number of replicas
 * watching, exactly one announces each change.
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
    const gone = await deps.store.transition(id, ['pending', 'approving', 'denying', 'approved'], 'deleted', {
      decision: r.decision ?? { by: [], outside: 'the cluster (CSR deleted)', at },
    });
    if (gone) {
      log.info('CSR deleted outside Slack');
      await announce(deps, gone, 'deleted');
    }
    return;
  }
  // The signer answered: the issue job may be parked between re-checks; run it now rather than at the end of its delay.
  if (r.state === 'approved' && (csr.state === 'issued' || csr.state === 'failed')) await deps.jobs.wake('issue', id);
  const d = csr.decision;
  if (!d) return;
  if (d.type === 'Approved' && d.reason !== APPROVAL_REASON) {
    // From denying too: kubectl approved while csrbot's denial was on its way, and Kubernetes keeps the first decision.
    const won = await deps.store.transition(id, ['pending', 'denying'], 'approved', { decision: { by: [], outside: outsideActor(d.reason, d.message), at } });
    if (won) {
      log.info({ reason: d.reason }, 'CSR approved outside Slack');
      await announce(deps, won, 'approved');
      await deps.jobs.enqueue('issue', id);
    }
  } else if (d.type === 'Denied' && d.reason !== DENIAL_REASON) {
    const won = await deps.store.transition(id, ['pending', 'approving'], 'denied', {
      decision: { by: [], outside: outsideActor(d.reason, d.message), at, reason: d.message },
    });
    if (won) {
      log.info({ reason: d.reason }, 'CSR denied outside Slack');
      await announce(deps, won, 'denied');
    }
  }
}

function outsideActor(reason?: string, message?: string): string {
  const what = [reason, message].filter(Boolean).join(': ');
  return `the cluster, outside Slack${what ? ` (${what})` : ''}`;
}

/**
 * Keeps Slack in step with the cluster: a full pass over csrbot's CSRs (what
 * happened while no replica was watching), then a watch.
 */
export async function startReconciler(deps: Deps): Promise<{ stop(): void }> {
  const handle = (type: CsrEventType, csr: CsrObject) =>
    onCsrEvent(deps, type, csr).catch((err: unknown) => deps.log.warn({ err, csrName: csr.name }, 'could not reconcile a CSR event'));
  // List, then watch from the list's version: each CSR is handled once at
  // start-up. Without a version (the list failed) the watch replays them all.
  let resourceVersion: string | undefined;
  try {
    const listed = await deps.csrApi.listManaged();
    for (const csr of listed.items) await handle('MODIFIED', csr);
    resourceVersion = listed.resourceVersion;
  } catch (err) {
    deps.log.warn({ err }, 'initial CSR resync failed; the watch will catch up');
  }
  return deps.csrApi.watch({ resourceVersion }, (type, csr) => void handle(type, csr));
}
