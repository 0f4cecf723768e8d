import type { Deps } from './deps.js';
import { announce, announceIssued } from './announce.js';
import type { SweepPass } from './sweep.js';

export interface UnannouncedOptions {
  /** A request final for less than this is left alone: whoever made it final may still be announcing it (Slack slow, retrying). Default 30000 ms. */
  graceMs?: number;
  /** Requests read per pass. Default 1000. */
  pageSize?: number;
}

/**
 * A pass of the product's sweep: every request that reached a final state and
 * whose announcement was never finished gets it now. The final state and the
 * outbox entry are one atomic write in the store, and announce() clears the
 * entry last; so when the step that made a request final ran outside a job (the
 * CSR watch seeing a `kubectl certificate deny`, a sweep pass) and its process
 * died before the card was updated, the card does not keep live Approve/Deny
 * buttons for good, and the requester is still told. Announcing again is
 * harmless: the card is re-rendered from the record, notices are once-only.
 */
export function unannouncedPass(deps: Deps, opts: UnannouncedOptions = {}): SweepPass {
  const graceMs = opts.graceMs ?? 30_000;
  const pageSize = opts.pageSize ?? 1000;
  return {
    name: 'unannounced',
    async run(now) {
      const counts = { announced: 0, gone: 0, failed: 0 };
      for (const { id, since } of await deps.store.unannounced(new Date(now.getTime() - graceMs), pageSize)) {
        const r = await deps.store.get(id);
        const state = r?.state;
        // Past its retention (or, impossibly, open again) there is nothing left to show.
        if (!r || !(state === 'issued' || state === 'denied' || state === 'failed' || state === 'deleted' || state === 'expired')) {
          await deps.store.announced(id);
          counts.gone += 1;
          continue;
        }
        try {
          if (state === 'issued') await announceIssued(deps, r);
          else await announce(deps, r, state);
          counts.announced += 1;
          deps.log.warn({ requestId: id, state, finalSince: since.toISOString() }, 'a final state had not been announced; announced it');
        } catch (err) {
          // Left in the outbox: the next pass tries again.
          counts.failed += 1;
          deps.log.warn({ err, requestId: id, state }, 'could not announce a final state; the next sweep tries again');
        }
      }
      return counts;
    },
  };
}
