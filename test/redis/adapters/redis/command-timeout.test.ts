/**
 * REDIS_COMMAND_TIMEOUT: a command that gets no answer fails instead of
 * waiting for ever (a job then retries); BullMQ's worker connections, whose
 * commands block up to 10 s by design, get at least 20 s.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createServer, type Server, type Socket } from 'node:net';
import { createRedisClient, type RedisClient } from '../../../../src/adapters/redis/index.js';
import { loadRedisSettings } from '../../../../src/config/redis-schema.js';

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
let silent: Server;
let port = 0;
const sockets: Socket[] = [];
beforeAll(async () => {
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('REDIS_COMMAND_TIMEOUT', () => {
  it('is 60 s unless set, and refuses what is not a duration with the fix in the message', () => {
    expect(loadRedisSettings({}).commandTimeoutMs).toBe(60_000);
    expect(loadRedisSettings({ REDIS_COMMAND_TIMEOUT: '2m' }).commandTimeoutMs).toBe(120_000);
    expect(() => loadRedisSettings({ REDIS_COMMAND_TIMEOUT: 'soon' })).toThrow(/REDIS_COMMAND_TIMEOUT="soon" is not a duration.*e\.g\. 60s/);
  });

  it('fails a background command Redis never answers, after the timeout', async () => {
    const client: RedisClient = createRedisClient(
      { ...loadRedisSettings({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT: '1s' }) },
      'background',
    );
    client.on('error', () => undefined);
    try {
      await expect(client.get('anything')).rejects.toThrow(/Command timed out/);
    } finally {
      client.disconnect();
    }
  });

  it("gives the worker template (BullMQ duplicates it, blocking connections included) at least 20 s, clear of BZPOPMIN's 10 s", () => {
    const client = createRedisClient(loadRedisSettings({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT: '1s' }), 'worker');
    const longer = createRedisClient(loadRedisSettings({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT: '2m' }), 'worker');
    try {
      expect((client as Redis).options.commandTimeout).toBe(20_000);
      expect((longer as Redis).options.commandTimeout).toBe(120_000);
    } finally {
      client.disconnect();
      longer.disconnect();
    }
  });
});
