/**
 * Requests nobody decides. One threaded nudge on the card once a request has
 * waited PENDING_REMINDER; at PENDING_EXPIRY (before Kubernetes deletes an
 * undecided CSR at 24 h) the request ends `expired`: the card says so and the
 * requester is told how to ask again. A pass of the product's one sweeper.
 */
import { announce } from './announce.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';
import type { SweepPass } from './sweep.js';

export interface PendingSettings {
  /** Seconds a request waits before its one nudge. Default 4 h (PENDING_REMINDER). */
  reminderSeconds: number;
  /** Seconds after creation when an undecided request is closed as expired. Default 23 h (PENDING_EXPIRY). */
  expireAfterSeconds: number;
}

function waited(seconds: number): string {
  if (seconds >= 5400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.max(1, Math.floor(seconds / 60))} min`;
}

/** Idempotent: the nudge is a once-flag per request, the expiry a compare-and-set from `pending`. */
export async function pendingPass(deps: Deps, s: PendingSettings): Promise<{ nudged: number; expired: number }> {
  const now = deps.clock.now().getTime();
  let nudged = 0;
  let expired = 0;
  for (const r of await deps.store.listOpen()) {
    if (r.state !== 'pending') continue;
    const age = (now - Date.parse(r.createdAt)) / 1000;
    if (!(age >= 0)) continue;
    if (age >= s.expireAfterSeconds) {
      const closed = await deps.store.transition(r.id, ['pending'], 'expired', {});
      if (closed) {
        deps.log.info({ requestId: r.id }, 'undecided request expired');
        await announce(deps, closed, 'expired');
        expired += 1;
      }
      continue;
    }
    // No card yet (the submit job has not posted it): nothing to thread under; the next pass nudges.
    if (age >= s.reminderSeconds && r.card) {
      const group = deps.settings.adminGroup ? `<!subteam^${deps.settings.adminGroup}> ` : '';
      await onceOnly(deps, r.id, 'pending-nudge', async () => {
        await deps.chat.replyOnCard(
          r,
          `${group}:bell: This request has waited ${waited(age)} for a decision. Undecided, it expires ${waited(s.expireAfterSeconds)} after it was made.`,
        );
        nudged += 1;
      });
    }
  }
  return { nudged, expired };
}

/** pendingPass as a pass of the product's sweep (SWEEP_INTERVAL: the nudge and the expiry are at most that late). */
export function pendingRequestsPass(deps: Deps, s: PendingSettings): SweepPass {
  return { name: 'pending-requests', run: () => pendingPass(deps, s) };
}
