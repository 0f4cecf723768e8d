import { Gauge, type Registry } from 'prom-client';
import { isCsrbotError } from '../../domain/errors.js';
import type { ReadinessProbe } from '../http/routes.js';

/**
 * Is the API server answering csrbot? For readiness *details* (never a
 * reason to leave the Service: a cluster outage would take every replica
 * out at once) and the csrbot_kubernetes_reachable gauge, refreshed in the
 * background so the metric stays current without anyone calling /readyz.
 */
export class KubernetesReachability {
  private timer: NodeJS.Timeout | undefined;
  private readonly gauge: Gauge;

  constructor(
    /** A GET of a CSR; a 404 for a name that never exists proves the API answers and lets csrbot read CSRs. */
    private readonly get: (name: string) => Promise<unknown>,
    registry: Registry,
    private readonly intervalMs = 30_000,
  ) {
    this.gauge = new Gauge({
      name: 'csrbot_kubernetes_reachable',
      help: '1 when the Kubernetes API answered csrbot at the last check (every 30 s and on /readyz), 0 when it did not or refused it.',
      registers: [registry],
    });
  }

  /** Resolves when the API answers; rejects with the error's code and reason only (no server URL). */
  async check(): Promise<void> {
    try {
      await this.get('csrbot-readiness-probe');
    } catch (e) {
      if (isCsrbotError(e) && e.code === 'CSR_NOT_FOUND') return void this.gauge.set(1);
      this.gauge.set(0);
      if (!isCsrbotError(e)) throw new Error('CLUSTER_ERROR');
      const why = e.details.reason ?? e.details.status;
      throw new Error(`${e.code}${why !== undefined ? ` (${String(why)})` : ''}`);
    }
    this.gauge.set(1);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  probe(): ReadinessProbe {
    return { name: 'kubernetes', required: false, check: () => this.check() };
  }
}
