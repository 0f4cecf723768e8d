import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisSettings } from './redis-settings.js';

/** A connection to csrbot's Redis, whichever shape it has. Both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for:
 * - `store`: requests, drafts and enqueueing jobs from Slack listeners. A few
 *   retries, then the caller sees the error (a listener must answer within 3 s).
 * - `background`: the store as jobs and the reconciler use it. A command waits
 *   for Redis (a failover, an outage) instead of failing: a job that has already
 *   sent a DM must record it, or its retry sends the DM again (measured: a
 *   certificate DM'd twice when a Sentinel master crashed between the two).
 *   It waits up to REDIS_COMMAND_TIMEOUT, then fails and its job retries: on a
 *   Cluster, a command queued for a master that crashed stays in that node's
 *   queue after the slots moved (measured: a delivery hung for good), and the
 *   certificate DM is safe against a retry (delivery reads the DM first).
 * - `probe`: readiness. No offline queue, so a Redis that is down fails the probe at once.
 * - `worker`: a template BullMQ duplicates for its worker connections; it never
 *   connects itself. Workers block on Redis, so a command never gives up
 *   (`maxRetriesPerRequest: null`, which BullMQ insists on).
 */
export type RedisRole = 'store' | 'background' | 'probe' | 'worker';

const ROLE: Record<RedisRole, { maxRetriesPerRequest: number | null; enableOfflineQueue: boolean; lazyConnect: boolean }> = {
  store: { maxRetriesPerRequest: 3, enableOfflineQueue: true, lazyConnect: false },
  background: { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false },
  probe: { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false },
  worker: { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: true },
};

/** BZPOPMIN blocks up to 10 s (BullMQ's ceiling, then its own watchdog); a worker connection's timeout stays clear of it. */
const WORKER_MIN_COMMAND_TIMEOUT_MS = 20_000;

/**
 * REDIS_COMMAND_TIMEOUT for a role. A worker connection gets it too, but never
 * under 20 s: on a Cluster, a worker's command queued for a crashed master
 * otherwise waits for ever, and the worker takes no job again (measured).
 */
export function commandTimeoutFor(role: RedisRole, ms: number): number {
  return role === 'worker' ? Math.max(ms, WORKER_MIN_COMMAND_TIMEOUT_MS) : ms;
}

/**
 * After a failover the old master answers writes with READONLY until the
 * client moves (a managed endpoint whose DNS now names the new master, or a
 * Sentinel master demoted under us). A rejected write did nothing, so
 * reconnecting and sending it again is safe: 2 = reconnect and resend.
 */
function reconnectOnReadonly(err: Error): 2 | false {
  return err.message.startsWith('READONLY') ? 2 : false;
}

/**
 * The one place csrbot builds Redis connections: standalone, Sentinel or
 * Cluster, for the store, the readiness probe, or BullMQ's workers.
 */
export function createRedisClient(settings: RedisSettings, role: RedisRole): RedisClient {
  const r = { ...ROLE[role], ...(settings.commandTimeoutMs ? { commandTimeout: commandTimeoutFor(role, settings.commandTimeoutMs) } : {}) };
  const name = `csrbot-${role}`;
  const t = settings.topology;
  const auth = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
  };
  switch (t.kind) {
    case 'standalone': {
      const opts: RedisOptions = { ...auth, ...r, connectionName: name, reconnectOnError: reconnectOnReadonly };
      return new Redis(t.url, opts);
    }
    case 'sentinel': {
      const opts: RedisOptions = {
        ...auth,
        ...r,
        sentinels: t.sentinels,
        name: t.masterName,
        role: 'master',
        ...(t.sentinelUsername ? { sentinelUsername: t.sentinelUsername } : {}),
        ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
        ...(settings.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        // No failoverDetector: with it, a +switch-master that arrives while the client is reconnecting (asking a
        // sentinel for the master) cancels that attempt, and ioredis then ENDS the client for good: every command
        // fails with "Connection is closed." until a restart (measured in the crash suite under load; reproduced
        // in test/redis/sentinel-reconnect.test.ts). Without it nothing is slower where it matters: a crashed
        // master drops the connection at once, and a demoted one is told by the sentinels to kill its clients
        // (CLIENT KILL TYPE normal, part of their reconfiguration), so the client asks the sentinels again.
        failoverDetector: false,
        connectionName: name,
        reconnectOnError: reconnectOnReadonly,
      };
      return new Redis(opts);
    }
    case 'cluster': {
      const opts: ClusterOptions = {
        // A Cluster client retries a command on a dead node by itself, 16 times 100 ms apart by
        // default: less than a crash failover takes (cluster-node-timeout, 15 s by default, plus
        // the election). Background work waits up to about a minute instead.
        ...(r.maxRetriesPerRequest === null ? { retryDelayOnFailover: 500, retryDelayOnClusterDown: 500, maxRedirections: 120 } : {}),
        enableOfflineQueue: r.enableOfflineQueue,
        lazyConnect: r.lazyConnect,
        redisOptions: {
          ...auth,
          maxRetriesPerRequest: r.maxRetriesPerRequest,
          ...('commandTimeout' in r ? { commandTimeout: r.commandTimeout } : {}),
          connectionName: name,
          ...(settings.tls ? { tls: {} } : {}),
        },
        // ioredis resolves node names to IPs before connecting, but a TLS certificate names the
        // host: keep the names as given (what ioredis advises for TLS clusters such as ElastiCache).
        ...(settings.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
      };
      return new Cluster(t.nodes, opts);
    }
  }
}
