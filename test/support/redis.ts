/**
 * Real Redis for tests. Tests never flush a database: each one works under its
 * own key prefix and deletes only that prefix, so test files can run in
 * parallel against one shared server (and against a developer's own Redis).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import { Redis } from 'ioredis';
import { answersPing, freePort, missingRedisBinaries, startRedisServer } from '@csrbot/control-plane';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

let resolved: Promise<string> | undefined;

/**
 * Where tests find Redis: `REDIS_URL` if set, else 127.0.0.1:6379 if it answers
 * PING, else a throwaway `redis-server` (no persistence) stopped at process exit.
 */
export function redisUrlForTests(): Promise<string> {
  resolved ??= resolveUrl().catch((e: unknown) => {
    resolved = undefined;
    throw e;
  });
  return resolved;
}

async function resolveUrl(): Promise<string> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) return fromEnv;
  if (await answersPing('127.0.0.1', 6379)) return DEFAULT_URL;
  if (missingRedisBinaries().length > 0) {
    throw new Error(
      'These tests need Redis and none was found: REDIS_URL is unset, nothing answers on 127.0.0.1:6379, and `redis-server` is not installed. ' +
        'To resolve, install it (`apt-get install redis-server`, or `brew install redis`) or set REDIS_URL=redis://host:port to a Redis the tests may write to.',
    );
  }
  const server = await startRedisServer({
    port: await freePort(),
    dir: mkdtempSync(join(tmpdir(), 'csrbot-test-redis-')),
    args: ['--save', '', '--appendonly', 'no'],
  });
  // The server must not outlive the test process, nor keep it alive.
  server.child.unref();
  process.once('exit', () => server.child.kill('SIGTERM'));
  return server.url;
}

/** A key prefix no other test uses, e.g. `test-store-3f9a1c2b`. No `:` so it is also a valid BullMQ name. */
export function uniquePrefix(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  return `test-${slug}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (SCAN + DEL); never FLUSHDB/FLUSHALL. */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<number> {
  if (!prefix) throw new Error('cleanupPrefix needs a non-empty prefix');
  // Escape glob metacharacters so the prefix matches itself only.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * One Redis connection for a test file, and key prefixes deleted when the file
 * is done. Call it at the top level of a test file (it registers beforeAll and
 * afterAll).
 */
export function redisForSuite(): { readonly redis: Redis; prefix(name: string): string } {
  let client: Redis | undefined;
  const prefixes: string[] = [];
  beforeAll(async () => {
    client = new Redis(await redisUrlForTests());
  });
  afterAll(async () => {
    if (!client) return;
    for (const p of prefixes) await cleanupPrefix(client, p);
    await client.quit();
  });
  return {
    get redis(): Redis {
      if (!client) throw new Error('redisForSuite(): the connection opens in beforeAll; use it inside a test');
      return client;
    },
    prefix(name: string): string {
      const p = uniquePrefix(name);
      prefixes.push(p);
      return p;
    },
  };
}
