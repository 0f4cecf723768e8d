/**
 * The e2e world on a Redis that fails over: a Cluster or a Sentinel
 * deployment of the test's own, csrbot's view of it (its settings, its
 * store, its queue) and a way to wait until csrbot has nothing left to do.
 */
import { Queue } from 'bullmq';
import { createRedisClient, type RedisClient } from '../../../src/adapters/redis/index.js';
import { RedisRequestStore } from '../../../src/adapters/store/redis-request-store.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { RedisClusterHarness, RedisSentinelHarness, sleep, waitUntil } from '../../support/redis-ha/index.js';
import type { World } from './world.js';

export interface HaRedis {
  name: string;
  env: Record<string, string>;
  /** A coordinated failover of the master holding csrbot's keys. */
  failover(prefix: string): Promise<{ from: number; to: number; ms: number }>;
  /** SIGKILL that master; resolves once its replica took over. */
  crashMaster(prefix: string): Promise<{ from: number; to: number; ms: number }>;
  /** Until the last failover is complete: the old master replicates from the new one, in sync. */
  settle(): Promise<void>;
  /** Redis forgets what csrbot writes during `during`: the replica is down meanwhile, then the master crashes and the replica takes over. */
  loseWritesDuring(prefix: string, during: () => Promise<void>): Promise<{ from: number; to: number; ms: number }>;
  stop(): Promise<void>;
}

export async function startCluster(basePort: number, o: { aof?: boolean } = {}): Promise<HaRedis> {
  const h = await RedisClusterHarness.start({ basePort, ...o });
  return {
    name: 'Redis Cluster',
    env: h.env,
    failover: (prefix) => h.failover(`${prefix}:x`),
    settle: () => h.waitHealthy(),
    crashMaster: (prefix) => h.crashMaster(`${prefix}:x`),
    loseWritesDuring: (prefix, during) => h.loseWritesDuring(`${prefix}:x`, during),
    stop: () => h.stop(),
  };
}

export async function startSentinel(basePort: number, o: { aof?: boolean } = {}): Promise<HaRedis> {
  const h = await RedisSentinelHarness.start({ basePort, ...o });
  return {
    name: 'Redis Sentinel',
    env: h.env,
    failover: () => h.failover({ coordinated: true }),
    settle: () => h.waitSettled(),
    crashMaster: () => h.crashMaster(),
    loseWritesDuring: (_prefix, during) => h.loseWritesDuring(during),
    stop: async () => {
      await h.stop();
      // ioredis lets each closed sentinel connection end for up to 2 s (see test/redis/sentinel.test.ts).
      await sleep(2_100);
    },
  };
}

/** csrbot's store and queue as the bot sees them, for assertions. Close it. */
export function botsRedis(w: World): { store: RedisRequestStore; queue: Queue; redis: RedisClient; close(): Promise<void> } {
  const settings = loadConfig(w.env).redis;
  const redis = createRedisClient(settings, 'store');
  redis.on('error', () => undefined);
  const queue = new Queue('csrbot', { connection: redis, prefix: settings.prefix });
  queue.on('error', () => undefined);
  return {
    store: RedisRequestStore.create({ redis, prefix: settings.prefix }),
    queue,
    redis,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}

/** Nothing left to do: no job waiting, running or delayed, and no Slack delivery in flight. */
export async function quiet(w: World, queue: Queue, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    'csrbot to be idle (no job waiting, active or delayed)',
    async () => {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).every((n) => n === 0) ? true : undefined;
    },
    timeoutMs,
    200,
  );
  await w.emu.idle();
}
