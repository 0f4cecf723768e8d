import { openBucket, type CertificateRequest } from '../domain/lifecycle.js';
import type { Deps, ViewChange } from './deps.js';
import { refreshCard } from './card.js';
import { onceOnly } from './once-only.js';
import { recordAudit } from './audit.js';

/**
 * The card shows the decision, best effort (re-rendering is idempotent); the requester hears of it once, and the metrics
 * count it once. A final state leaves the store's unannounced outbox only once all that is done, so a process killed
 * between the state change and this (a watch handler or a sweep pass, outside any job) leaves it to the sweep.
 */
export async function announce(deps: Deps, r: CertificateRequest, kind: 'approved' | 'denied' | 'failed' | 'deleted' | 'expired'): Promise<void> {
  // The card is cosmetic: a failure to update it never stops the requester hearing, nor the job that follows.
  await refreshCard(deps, r);
  await onceOnly(deps, r.id, `notice-${kind}`, async () => {
    await deps.chat.notifyRequester(r, { kind });
    deps.metrics?.requestEvent(kind);
    const d = r.decision;
    await recordAudit(deps, {
      type: kind,
      requestId: r.id,
      via: d?.outside ? 'kubernetes' : d?.auto || kind === 'failed' || kind === 'expired' ? 'csrbot' : 'slack',
      ...(d?.by.length ? { actor: d.by.map((p) => p.userId).join(',') } : {}),
      ...(d?.outside ? { detail: d.outside } : d?.auto ? { detail: d.auto } : d?.reason ? { detail: d.reason } : r.failure ? { detail: r.failure.code } : {}),
    });
    if (kind === 'approved' || kind === 'denied') {
      const seconds = (Date.parse(r.decision?.at ?? '') - Date.parse(r.createdAt)) / 1000;
      if (Number.isFinite(seconds)) deps.metrics?.decisionSeconds(kind, Math.max(0, seconds));
    }
  });
  await changed(deps, r);
  if (!openBucket(r.state)) await deps.store.announced(r.id);
}

/** What the issue job does once the request is issued: the card shows the certificate (the certificate DM is the requester's notice). */
export async function announceIssued(deps: Deps, r: CertificateRequest): Promise<void> {
  await refreshCard(deps, r);
  await changed(deps, r);
  await deps.store.announced(r.id);
}

/**
 * The one place a change to a request or certificate is announced to the
 * views (App Home). Cosmetic: a failure is logged and never fails the step
 * that made the change, nor makes a job retry it.
 */
export async function changed(deps: Deps, r: CertificateRequest): Promise<void> {
  await tellViews(deps, { userId: r.requester.userId, queue: true, requestId: r.id });
}

/** A certificate changed (dismissed, snoozed, offboarded): its holder's views only. */
export async function certificateChanged(deps: Deps, c: { requesterId: string; serial: string }): Promise<void> {
  await tellViews(deps, { userId: c.requesterId, queue: false });
}

async function tellViews(deps: Deps, change: ViewChange): Promise<void> {
  if (!deps.onChange) return;
  try {
    await deps.onChange(change);
  } catch (err) {
    deps.log.warn({ err, userId: change.userId, requestId: change.requestId }, 'refreshing the views after a change failed');
  }
}
