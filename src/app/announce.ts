import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/** The card shows the decision (re-rendering is idempotent); the requester hears of it once. */
export async function announce(deps: Deps, r: CertificateRequest, kind: 'approved' | 'denied' | 'failed' | 'deleted'): Promise<void> {
  await deps.chat.updateCard(r);
  await onceOnly(deps, r.id, `notice-${kind}`, async () => {
    await deps.chat.notifyRequester(r, { kind });
    deps.metrics?.requestEvent(kind);
  });
}
