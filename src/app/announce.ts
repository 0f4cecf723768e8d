import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { refreshCard } from './card.js';
import { onceOnly } from './once-only.js';
import { recordAudit } from './audit.js';

/** The card shows the decision, best effort (re-rendering is idempotent); the requester hears of it once, and the metrics count it once. */
export async function announce(deps: Deps, r: CertificateRequest, kind: 'approved' | 'denied' | 'failed' | 'deleted'): Promise<void> {
  // The card is cosmetic: a failure to update it never stops the requester hearing, nor the job that follows.
  await refreshCard(deps, r);
  await onceOnly(deps, r.id, `notice-${kind}`, async () => {
    await deps.chat.notifyRequester(r, { kind });
    deps.metrics?.requestEvent(kind);
    const d = r.decision;
    await recordAudit(deps, {
      type: kind,
      requestId: r.id,
      via: d?.outside ? 'kubernetes' : d?.auto || kind === 'failed' ? 'csrbot' : 'slack',
      ...(d?.by.length ? { actor: d.by.map((p) => p.userId).join(',') } : {}),
      ...(d?.outside ? { detail: d.outside } : d?.auto ? { detail: d.auto } : d?.reason ? { detail: d.reason } : r.failure ? { detail: r.failure.code } : {}),
    });
    if (kind === 'approved' || kind === 'denied') {
      const seconds = (Date.parse(r.decision?.at ?? '') - Date.parse(r.createdAt)) / 1000;
      if (Number.isFinite(seconds)) deps.metrics?.decisionSeconds(kind, Math.max(0, seconds));
    }
  });
}
