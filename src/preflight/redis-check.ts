import { Redis } from 'ioredis';
import { checkRedisReachable, createRedisClient, type RedisSettings } from '../adapters/redis/index.js';
import { CsrbotError } from '../domain/errors.js';
import { fromError, pass, type CheckResult } from './check-result.js';

/** Redis replies that mean the credentials in REDIS_URL are wrong (or missing), not that Redis is down. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|ERR AUTH|ERR invalid password|ERR Client sent AUTH)/;

/**
 * Redis answers PING. Down is a warning (csrbot starts and readiness waits
 * for it); refused credentials are a setting to fix. The reason never
 * carries REDIS_URL, which may hold a password.
 */
export async function checkRedis(url: string, o: { timeoutMs?: number } = {}): Promise<CheckResult> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const errors: Error[] = [];
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  redis.on('error', (e: Error) => errors.push(e));
  try {
    await redis.connect();
    await redis.ping();
    return pass('redis', 'Redis answers PING');
  } catch (e) {
    const all = [...errors, e as Error];
    const auth = all.find((x) => AUTH_REPLY.test(x.message));
    if (auth) return fromError('redis', new CsrbotError('REDIS_AUTH', { reason: auth.message.split('.')[0] }));
    const first = all[0]!;
    const reason = (first as NodeJS.ErrnoException).code ?? first.message;
    return fromError('redis', new CsrbotError('REDIS_UNREACHABLE', { reason }), true);
  } finally {
    redis.disconnect();
  }
}

/** Sentinel or Cluster: the server holding csrbot's keys answers, found the way the bot finds it. */
export async function checkRedisTopology(settings: RedisSettings, o: { timeoutMs?: number } = {}): Promise<CheckResult> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const client = createRedisClient(settings, 'probe');
  const errors: Error[] = [];
  client.on('error', (e: Error) => errors.push(e));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      checkRedisReachable(client, settings.prefix),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return pass('redis', `Redis (${settings.topology.kind}) answers`);
  } catch (e) {
    const all = [...errors, e as Error];
    const auth = all.find((x) => AUTH_REPLY.test(x.message));
    if (auth) return fromError('redis', new CsrbotError('REDIS_AUTH', { reason: auth.message.split('.')[0] }));
    const first = all[0]!;
    return fromError('redis', new CsrbotError('REDIS_UNREACHABLE', { reason: (first as NodeJS.ErrnoException).code ?? first.message }), true);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
