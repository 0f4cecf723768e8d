import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** A dependency the bot needs before it can do real work (Slack, Redis, the cluster). */
export interface ReadinessProbe {
  name: string;
  /** Resolves when healthy; rejects with the reason otherwise. The reason is shown in /readyz: no secrets, no URLs. */
  check(): Promise<void>;
  /**
   * Default true: a failure makes /readyz answer 503. false: shown in the
   * details (and metrics) only, for dependencies whose outage must not take
   * every replica out of the Service at once (the Kubernetes API) and for
   * advisory checks.
   */
  required?: boolean;
}

export interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** starting: the ops port is up, start-up checks or the Slack connection are under way. stopping: SIGTERM received. */
export type Phase = 'starting' | 'running' | 'stopping';

const PROBE_TIMEOUT_MS = 2_000;

/** Readiness is served to anyone who reaches the ops port: never an address, a token or a password. */
export function sanitizeReason(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/\bx(?:ox[abpre]|app)-[A-Za-z0-9-]+/g, '<token>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .slice(0, 300);
}

async function runProbe(p: ReadinessProbe): Promise<{ name: string; ok: boolean; error?: string; required?: false }> {
  let timer: NodeJS.Timeout | undefined;
  const required = p.required === false ? { required: false as const } : {};
  try {
    await Promise.race([
      p.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { name: p.name, ok: true, ...required };
  } catch (e) {
    return { name: p.name, ok: false, error: sanitizeReason(e instanceof Error ? e.message : String(e)), ...required };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthRouteOptions {
  /** Where start-up is; /readyz is 503 unless running. Default: always running. */
  phase?: () => Phase;
}

/**
 * Liveness, readiness and Prometheus metrics (served on OPS_PORT by
 * ops-server.ts). /healthz: the process is alive and not wedged; restarting
 * it would not fix a dependency, so it does not look at any. /readyz: this
 * pod can serve Slack: start-up is done and every required probe passes.
 */
export function healthRoutes(probes: ReadinessProbe[], registry: Registry, opts: HealthRouteOptions = {}): Route[] {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const phaseOf = () => (opts.phase ? { phase: opts.phase() } : {});
  return [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => json(res, 200, { ok: true, ...phaseOf() }) },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        void Promise.all(probes.map(runProbe)).then((checks) => {
          const p = phaseOf();
          const ok = (p.phase === undefined || p.phase === 'running') && checks.every((c) => c.ok || c.required === false);
          json(res, ok ? 200 : 503, { ok, ...p, checks });
        });
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        void registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (err: unknown) => json(res, 500, { ok: false, error: sanitizeReason(err instanceof Error ? err.message : String(err)) }),
        );
      },
    },
  ];
}
