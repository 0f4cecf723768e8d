import { type CsrbotError, describeFor, isCsrbotError } from '../domain/errors.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/** Errors worth telling the requester about while we keep retrying. */
export function isTransientClusterError(e: unknown): boolean {
  return isCsrbotError(e) && ['CLUSTER_UNREACHABLE', 'CLUSTER_TIMEOUT', 'CLUSTER_ERROR', 'CLUSTER_CONFLICT'].includes(e.code);
}

/** Tells the requester once that things are slow, and the admins once about a missing permission. */
export async function reportClusterTrouble(deps: Deps, r: CertificateRequest, e: unknown): Promise<void> {
  if (isTransientClusterError(e)) {
    await onceOnly(deps, r.id, 'delayed-notice', async () => {
      await deps.chat.notifyRequester(r, { kind: 'delayed', reason: describeFor('requester', (e as CsrbotError).code, (e as CsrbotError).details) });
    });
  }
  if (isCsrbotError(e) && e.code === 'CLUSTER_FORBIDDEN') {
    await onceOnly(deps, r.id, `forbidden-${String(e.details.verb)}-${String(e.details.resource)}`, () =>
      deps.chat.tellAdmins(`:warning: csrbot could not work on request ${r.id} (${r.csrName}): ${describeFor('admin', e.code, e.details)}`),
    );
  }
}
