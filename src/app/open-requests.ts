import { OPEN_STATES, type OpenState } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';

export interface OpenRequestStats {
  state: OpenState;
  count: number;
  /** How long the longest-waiting request has been in this state; 0 when there is none. */
  oldestAgeSeconds: number;
}

/**
 * Requests waiting for admins (pending) or for the signer (approved), read
 * from the store when Prometheus scrapes: an alert on "approved for 10
 * minutes" needs the age of what is still waiting, which no event counter
 * can give.
 */
export async function openRequestStats(deps: Pick<Deps, 'store' | 'clock'>): Promise<OpenRequestStats[]> {
  const open = await deps.store.openRequests();
  const now = deps.clock.now().getTime();
  return OPEN_STATES.map((state) => {
    const since = open[state].oldestSince;
    return { state, count: open[state].count, oldestAgeSeconds: since ? Math.max(0, (now - since.getTime()) / 1000) : 0 };
  });
}
