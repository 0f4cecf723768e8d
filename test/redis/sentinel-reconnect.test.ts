/**
 * A csrbot connection to Redis through Sentinel must never give up for good.
 *
 * Found in the crash suite under load (2026-12-03): after a Sentinel failover
 * every command on csrbot's background connection failed with "Connection is
 * closed." for the rest of the run (jobs retried, the sweep failed, no card
 * or DM came). ioredis had ended the connection: with `failoverDetector` on,
 * a `+switch-master` that arrives while the client is reconnecting, in the
 * middle of asking a sentinel for the master, cancels that attempt, and a
 * cancelled attempt ends the client instead of retrying. A slow sentinel (a
 * loaded machine) makes that window wide. Here a proxy holds the sentinels'
 * replies for a second, the client's connection is killed, and a real
 * failover happens while it asks for the master.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRedisClient, type RedisClient } from '../../src/adapters/redis/index.js';
import { MASTER_NAME, RedisSentinelHarness, sleep, waitUntil, withNode } from '../support/redis-ha/index.js';

/** A TCP proxy to `port` that holds every reply `delayMs` (a sentinel on a busy machine). */
async function slowProxy(port: number, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) sockets.add(s);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => setTimeout(() => client.writable && client.write(d), delayMs));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a csrbot connection through Sentinel', () => {
  let harness: RedisSentinelHarness;
  let proxies: Array<{ port: number; close(): Promise<void> }> = [];
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    harness = await RedisSentinelHarness.start({ basePort: 7040 });
    proxies = await Promise.all(harness.sentinelPorts.map((p) => slowProxy(p, 1_000)));
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const p of proxies) await p.close();
    await harness?.stop();
    // ioredis gives each sentinel connection it closed 2 s to end.
    await sleep(2_100);
  }, 60_000);

  it.each(['store', 'background'] as const)(
    '%s: a failover while it asks a slow sentinel for the master does not end it; it reconnects to the new master',
    async (role) => {
      const client = createRedisClient(
        {
          topology: { kind: 'sentinel', sentinels: proxies.map((p) => ({ host: '127.0.0.1', port: p.port })), masterName: MASTER_NAME },
          prefix: `t-${role}`,
          tls: false,
        },
        role,
      );
      clients.push(client);
      client.on('error', () => undefined);
      await client.set(`t-${role}:before`, '1');
      const { master, replica } = await harness.master();

      // Drop csrbot's connection: it asks a sentinel (through the slow proxy) where the master is...
      await withNode(master, (r) => r.call('CLIENT', 'KILL', 'TYPE', 'normal'));
      await sleep(200);
      // ...and meanwhile the sentinels fail over and announce +switch-master.
      await harness.failover();

      await waitUntil(
        `the ${role} connection to reach the new master`,
        async () => ((await client.get(`t-${role}:before`)) === '1' ? true : undefined),
        30_000,
        500,
      );
      expect((client as unknown as { status: string }).status).toBe('ready');
      expect(await withNode(replica, (r) => r.info('replication'))).toContain('role:master');
      await harness.waitSettled();
    },
    120_000,
  );
});
