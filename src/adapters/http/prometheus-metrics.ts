import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OpenRequestStats } from '../../app/open-requests.js';
import type { FlowMetrics } from '../../ports.js';
import type { ReadinessProbe } from './routes.js';

/** What the adapters (not the use cases) report: the worker's failures and Slack's refusals. */
export interface OpsMetrics {
  /** A job attempt failed; `final` when it will not be retried. */
  jobFailed(failure: { job: string; code: string; final: boolean }): void;
  /** A Slack Web API call failed with this error (`invalid_auth`, `ratelimited`, ...); `auth` when the token no longer works. */
  slackApiError(failure: { method: string; error: string; auth: boolean }): void;
}

/** Label values known in advance start at 0, so increase() and rate() see their first event. */
const REQUEST_EVENTS = ['submitted', 'approved', 'denied', 'failed', 'deleted', 'expired', 'issued'] as const;
const DECISIONS = ['approved', 'denied'] as const;

/** FlowMetrics and OpsMetrics as Prometheus series on the registry /metrics serves. */
export function prometheusMetrics(registry: Registry): FlowMetrics & OpsMetrics {
  const events = new Counter({
    name: 'csrbot_request_events_total',
    help: 'Certificate requests by event: submitted, approved, denied, failed, deleted, expired, issued.',
    labelNames: ['event'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'csrbot_intake_refusals_total',
    help: 'CSRs refused at intake, by error code (one request can have several).',
    labelNames: ['code'],
    registers: [registry],
  });
  const issuance = new Histogram({
    name: 'csrbot_issuance_seconds',
    help: "Time from the decision to the certificate in the requester's DM.",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  const decision = new Histogram({
    name: 'csrbot_decision_seconds',
    help: 'Time from submission to the decision (approved or denied, in Slack or with kubectl).',
    labelNames: ['decision'],
    // People decide: from a minute to days.
    buckets: [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200],
    registers: [registry],
  });
  // job_name, not job: Prometheus's own `job` target label would rename ours to exported_job.
  const jobFailures = new Counter({
    name: 'csrbot_job_failures_total',
    help: 'Failed job attempts by job name and error code; final="true" when the job will not be retried.',
    labelNames: ['job_name', 'code', 'final'],
    registers: [registry],
  });
  const slackErrors = new Counter({
    name: 'csrbot_slack_api_errors_total',
    help: 'Slack Web API calls that failed, by method and Slack error.',
    labelNames: ['method', 'error'],
    registers: [registry],
  });
  const slackAuth = new Counter({
    name: 'csrbot_slack_auth_failures_total',
    help: 'Slack Web API calls refused because the bot token no longer works (invalid_auth, not_authed, token_revoked, token_expired, account_inactive).',
    registers: [registry],
  });
  for (const event of REQUEST_EVENTS) events.inc({ event }, 0);
  for (const d of DECISIONS) decision.zero({ decision: d });
  return {
    requestEvent: (event) => events.inc({ event }),
    intakeRefused: (code) => refusals.inc({ code }),
    issuanceSeconds: (s) => issuance.observe(s),
    decisionSeconds: (d, s) => decision.observe({ decision: d }, s),
    jobFailed: (f) => jobFailures.inc({ job_name: f.job, code: f.code, final: String(f.final) }),
    slackApiError: (f) => {
      slackErrors.inc({ method: f.method, error: f.error });
      if (f.auth) slackAuth.inc();
    },
  };
}

/** Where the gauges read at scrape time come from; each is optional. */
export interface ScrapeSources {
  /** Job counts per queue and state, e.g. [{ queue: 'csrbot', counts: { waiting: 0, active: 1 } }]. */
  queueCounts?: () => Promise<Array<{ queue: string; counts: Record<string, number> }>>;
  openRequests?: () => Promise<OpenRequestStats[]>;
  /** The readiness probes, run again for csrbot_readiness_check. */
  probes?: readonly ReadinessProbe[];
  /** A source that does not answer within this leaves its series out of that scrape. Default 2000 ms. */
  timeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Gauges read when Prometheus scrapes, not kept up to date by events: queue
 * depth from BullMQ, open requests from the store, and the readiness checks.
 * Every replica reports the same queue and store (they share Redis): use
 * max(), not sum(), across pods. A source that fails or hangs (Redis down)
 * leaves its series out instead of failing the whole scrape; the readiness
 * series then says why.
 */
export function registerScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  const timeoutMs = sources.timeoutMs ?? 2_000;
  const { queueCounts, openRequests, probes } = sources;
  if (queueCounts) {
    new Gauge({
      name: 'csrbot_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed), read at scrape time.',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        const queues = await withTimeout(queueCounts(), timeoutMs).catch(() => []);
        // Reset after the await, so a concurrent scrape never sees the gauge half empty.
        this.reset();
        for (const q of queues) for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, n);
      },
    });
  }
  if (openRequests) {
    // Both gauges come from one store read per scrape: prom-client collects them concurrently, so
    // the second joins the read in flight. Nothing is kept after it settles: a value must never be
    // older than the scrape that reports it.
    let inFlight: Promise<OpenRequestStats[]> | undefined;
    const read = (): Promise<OpenRequestStats[]> =>
      (inFlight ??= withTimeout(openRequests(), timeoutMs)
        .catch(() => [])
        .finally(() => {
          inFlight = undefined;
        }));
    new Gauge({
      name: 'csrbot_open_requests',
      help: 'Requests waiting for admins (state="pending") or for the signer (state="approved").',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const stats = await read();
        this.reset();
        for (const s of stats) this.set({ state: s.state }, s.count);
      },
    });
    new Gauge({
      name: 'csrbot_oldest_open_request_age_seconds',
      help: 'How long the longest-waiting request has been pending (since submitted) or approved (since decided); 0 when none.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const stats = await read();
        this.reset();
        for (const s of stats) this.set({ state: s.state }, s.oldestAgeSeconds);
      },
    });
  }
  if (probes && probes.length > 0) {
    new Gauge({
      name: 'csrbot_readiness_check',
      help: 'Readiness checks at scrape time: 1 passing, 0 failing (the /readyz checks, by name).',
      labelNames: ['check'],
      registers: [registry],
      async collect() {
        const results = await Promise.all(
          probes.map((p) =>
            withTimeout(p.check(), timeoutMs).then(
              () => 1,
              () => 0,
            ),
          ),
        );
        this.reset();
        probes.forEach((p, i) => this.set({ check: p.name }, results[i]!));
      },
    });
  }
}
