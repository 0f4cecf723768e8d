import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { prometheusMetrics, registerScrapeGauges } from '../../../../src/adapters/http/prometheus-metrics.js';
import { healthRoutes, type ReadinessProbe } from '../../../../src/adapters/http/routes.js';

let server: Server | undefined;

function withMetrics(): Registry {
  const registry = new Registry();
  prometheusMetrics(registry);
  return registry;
}
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(probes: ReadinessProbe[], registry = new Registry()): Promise<string> {
  const routes = healthRoutes(probes, registry);
  server = createServer((req, res) => {
    const route = routes.find((r) => r.path === req.url && r.method.includes(req.method ?? ''));
    if (route) route.handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('health routes', () => {
  it('is live regardless of dependencies, and ready only when every probe passes', async () => {
    let redisUp = false;
    const base = await serve([
      {
        name: 'redis',
        check: async () => {
          if (!redisUp) throw new Error('connection refused');
        },
      },
      { name: 'kubernetes', check: async () => undefined },
    ]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      ok: false,
      checks: [
        { name: 'redis', ok: false, error: 'connection refused' },
        { name: 'kubernetes', ok: true },
      ],
    });
    redisUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('a probe that hangs fails readiness within its timeout instead of hanging it', async () => {
    const base = await serve([{ name: 'kubernetes', check: () => new Promise(() => undefined) }]);
    const started = Date.now();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.stringify(await res.json())).toContain('no answer within');
  });

  it('serves the flow metrics in Prometheus text format', async () => {
    const registry = new Registry();
    const m = prometheusMetrics(registry);
    m.requestEvent('submitted');
    m.requestEvent('submitted');
    m.requestEvent('issued');
    m.intakeRefused('CSR_PRIVATE_KEY');
    m.issuanceSeconds(3.2);
    const base = await serve([], registry);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('csrbot_request_events_total{event="submitted"} 2');
    expect(text).toContain('csrbot_request_events_total{event="issued"} 1');
    expect(text).toContain('csrbot_intake_refusals_total{code="CSR_PRIVATE_KEY"} 1');
    expect(text).toContain('csrbot_issuance_seconds_bucket{le="5"} 1');
  });

  it('serves time to decision and job failures with the labels the alerts use', async () => {
    const registry = new Registry();
    const m = prometheusMetrics(registry);
    m.decisionSeconds('approved', 45);
    m.decisionSeconds('denied', 4000);
    m.jobFailed({ job: 'issue', code: 'CLUSTER_UNREACHABLE', final: false });
    m.jobFailed({ job: 'issue', code: 'CLUSTER_UNREACHABLE', final: false });
    m.jobFailed({ job: 'submit', code: 'CSR_REJECTED_BY_API', final: true });
    m.slackApiError({ method: 'chat.update', error: 'message_not_found', auth: false });
    const text = await (await fetch(`${await serve([], registry)}/metrics`)).text();
    expect(text).toContain('csrbot_decision_seconds_bucket{le="60",decision="approved"} 1');
    expect(text).toContain('csrbot_decision_seconds_bucket{le="3600",decision="denied"} 0');
    expect(text).toContain('csrbot_decision_seconds_count{decision="denied"} 1');
    expect(text).toContain('csrbot_job_failures_total{job_name="issue",code="CLUSTER_UNREACHABLE",final="false"} 2');
    expect(text).toContain('csrbot_job_failures_total{job_name="submit",code="CSR_REJECTED_BY_API",final="true"} 1');
    expect(text).toContain('csrbot_slack_api_errors_total{method="chat.update",error="message_not_found"} 1');
    expect(text).toContain('csrbot_slack_auth_failures_total 0');
  });

  it('starts known series at 0, so alerts on increase() see the first event', async () => {
    const text = await (await fetch(`${await serve([], withMetrics())}/metrics`)).text();
    for (const event of ['submitted', 'approved', 'denied', 'failed', 'deleted', 'expired', 'issued']) {
      expect(text).toContain(`csrbot_request_events_total{event="${event}"} 0`);
    }
    expect(text).toContain('csrbot_decision_seconds_count{decision="approved"} 0');
    expect(text).toContain('csrbot_decision_seconds_count{decision="denied"} 0');
    expect(text).toContain('csrbot_slack_auth_failures_total 0');
  });

  it('reads queue depth, open requests and readiness when scraped, not before', async () => {
    const registry = new Registry();
    let waiting = 0;
    let redisUp = true;
    let storeReads = 0;
    registerScrapeGauges(registry, {
      queueCounts: async () => [{ queue: 'csrbot', counts: { waiting, active: 1, delayed: 0, failed: 2 } }],
      openRequests: async () => {
        storeReads += 1;
        return [
          { state: 'pending', count: 3 - storeReads + 1, oldestAgeSeconds: 120 },
          { state: 'approved', count: 0, oldestAgeSeconds: 0 },
        ];
      },
      probes: [
        {
          name: 'redis',
          check: async () => {
            if (!redisUp) throw new Error('down');
          },
        },
      ],
    });
    const base = await serve([], registry);
    let text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('csrbot_queue_jobs{queue="csrbot",state="waiting"} 0');
    expect(text).toContain('csrbot_queue_jobs{queue="csrbot",state="failed"} 2');
    expect(text).toContain('csrbot_open_requests{state="pending"} 3');
    expect(text).toContain('csrbot_oldest_open_request_age_seconds{state="pending"} 120');
    expect(text).toContain('csrbot_oldest_open_request_age_seconds{state="approved"} 0');
    expect(text).toContain('csrbot_readiness_check{check="redis"} 1');
    waiting = 7;
    redisUp = false;
    text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('csrbot_queue_jobs{queue="csrbot",state="waiting"} 7');
    expect(text).toContain('csrbot_readiness_check{check="redis"} 0');
    // One store read per scrape serves both request gauges, and a scrape never reports an older read.
    expect(storeReads).toBe(2);
    expect(text).toContain('csrbot_open_requests{state="pending"} 2');
  });

  it('a source that hangs or fails leaves its series out instead of failing the scrape', async () => {
    const registry = new Registry();
    const m = prometheusMetrics(registry);
    m.requestEvent('submitted');
    registerScrapeGauges(registry, {
      timeoutMs: 200,
      queueCounts: () => new Promise(() => undefined),
      openRequests: async () => {
        throw new Error('READONLY You cannot write against a read only replica.');
      },
      probes: [{ name: 'redis', check: () => new Promise(() => undefined) }],
    });
    const started = Date.now();
    const res = await fetch(`${await serve([], registry)}/metrics`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    const text = await res.text();
    expect(text).toContain('csrbot_request_events_total{event="submitted"} 1');
    expect(text).not.toMatch(/^csrbot_queue_jobs\{/m);
    expect(text).not.toMatch(/^csrbot_open_requests\{/m);
    expect(text).toContain('csrbot_readiness_check{check="redis"} 0');
  });
});
