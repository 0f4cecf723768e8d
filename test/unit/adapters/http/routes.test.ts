import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { prometheusMetrics } from '../../../../src/adapters/http/prometheus-metrics.js';
import { healthRoutes, type ReadinessProbe } from '../../../../src/adapters/http/routes.js';

let server: Server | undefined;
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
});
