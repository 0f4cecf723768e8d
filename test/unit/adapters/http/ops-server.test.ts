import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { startOpsServer, type OpsServer } from '../../../../src/adapters/http/ops-server.js';
import { healthRoutes, sanitizeReason, type Phase, type ReadinessProbe } from '../../../../src/adapters/http/routes.js';
import { CsrbotError } from '../../../../src/domain/errors.js';

let ops: OpsServer | undefined;
afterEach(async () => {
  await ops?.close();
  ops = undefined;
});

async function serve(probes: ReadinessProbe[], phase: () => Phase = () => 'running'): Promise<string> {
  ops = await startOpsServer({ port: 0, host: '127.0.0.1', routes: healthRoutes(probes, new Registry(), { phase }) });
  return `http://127.0.0.1:${ops.port}`;
}

const failing =
  (message: string): ReadinessProbe['check'] =>
  () =>
    Promise.reject(new Error(message));

describe('the ops port', () => {
  it('is ready only when start-up is done and every required probe passes; advisory probes only show', async () => {
    let phase: Phase = 'starting';
    let slackUp = true;
    const base = await serve(
      [
        { name: 'slack', check: () => (slackUp ? Promise.resolve() : Promise.reject(new Error('Socket Mode connection not open (reconnecting)'))) },
        { name: 'kubernetes', required: false, check: failing('CLUSTER_UNREACHABLE (ECONNREFUSED)') },
      ],
      () => phase,
    );
    // Alive while starting, but not ready.
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true, phase: 'starting' });
    const starting = await fetch(`${base}/readyz`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toMatchObject({ ok: false, phase: 'starting' });

    phase = 'running';
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ok: true,
      phase: 'running',
      checks: [
        { name: 'slack', ok: true },
        { name: 'kubernetes', ok: false, required: false, error: 'CLUSTER_UNREACHABLE (ECONNREFUSED)' },
      ],
    });

    slackUp = false;
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: unknown[] }).checks[0]).toEqual({
      name: 'slack',
      ok: false,
      error: 'Socket Mode connection not open (reconnecting)',
    });

    phase = 'stopping';
    slackUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('never shows an address, a URL or a token in readiness details', async () => {
    const base = await serve([
      {
        name: 'kubernetes',
        check: failing('connect ECONNREFUSED 10.96.0.1:443 at https://10.96.0.1:443/apis/x token xoxb-123-abc and redis://:pw@redis:6379'),
      },
    ]);
    const body = await (await fetch(`${base}/readyz`)).text();
    expect(body).not.toMatch(/10\.96|https:|redis:|xoxb|pw@/);
    expect(sanitizeReason('reached 127.0.0.1:6379')).toBe('reached <address>');
  });

  it('serves only its three paths', async () => {
    const base = await serve([]);
    expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/metrics`)).headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${base}/readyz?verbose=1`)).status).toBe(200);
  });

  it('a port in use is a setting to fix, named OPS_PORT', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startOpsServer({ port, host: '127.0.0.1', routes: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CsrbotError);
      expect((err as CsrbotError).code).toBe('PORT_IN_USE');
      expect((err as CsrbotError).userMessage).toBe(
        `OPS_PORT ${port} cannot be opened (EADDRINUSE: another process listens there). To fix, stop what listens there or set OPS_PORT to a free port (and the probes' port with it).`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
