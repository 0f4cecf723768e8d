import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/** The card shows the decision (re-rendering is idempotent); the requester hears of it once, and the metrics count it once. */
export async function announce(deps: Deps, r: CertificateRequest, kind: 'approved' | 'denied' | 'failed' | 'deleted' | 'expired'): Promise<void> {
  await deps.chat.updateCard(r);
  await onceOnly(deps, r.id, `notice-${kind}`, async () => {
    await deps.chat.notifyRequester(r, { kind });
    deps.metrics?.requestEvent(kind);
    if (kind === 'approved' || kind === 'denied') {
      const seconds = (Date.parse(r.decision?.at ?? '') - Date.parse(r.createdAt)) / 1000;
      if (Number.isFinite(seconds)) deps.metrics?.decisionSeconds(kind, Math.max(0, seconds));
    }
  });
  await changed(deps, r);
}

/**
 * The one place a change to a request or certificate is announced to the
 * views (App Home). Cosmetic: a failure is logged and never fails the step
 * that made the change, nor makes a job retry it.
 */
export async function changed(deps: Deps, r: CertificateRequest): Promise<void> {
  if (!deps.onChange) return;
  try {
    await deps.onChange(r);
  } catch (err) {
    deps.log.warn({ err, requestId: r.id }, 'refreshing the views after a change failed');
  }
}
