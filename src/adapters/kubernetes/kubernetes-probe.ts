import { isCsrbotError } from '../../domain/errors.js';
import type { ReadinessProbe } from '../http/routes.js';

/**
 * Is the API server answering csrbot? Readiness *details* only (required:
 * false): a cluster outage must not take every replica out of the Service
 * at once. On /metrics it is csrbot_readiness_check{check="kubernetes"}.
 * `get` reads a CSR: an answer for a name that never exists (none: a 404)
 * proves the API answers and lets csrbot read CSRs. The reason is the error's code and
 * cause only, never the server's URL.
 */
export function kubernetesProbe(get: (name: string) => Promise<unknown>): ReadinessProbe {
  return {
    name: 'kubernetes',
    required: false,
    check: async () => {
      try {
        await get('csrbot-readiness-probe');
      } catch (e) {
        if (!isCsrbotError(e)) throw new Error('CLUSTER_ERROR');
        const why = e.details.reason ?? e.details.status;
        throw new Error(`${e.code}${why !== undefined ? ` (${String(why)})` : ''}`);
      }
    },
  };
}
