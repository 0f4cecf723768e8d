/**
 * Real Redis for tests. Tests never flush a database: each one works under its
 * own key prefix and deletes only that prefix, so test files can run in
 * parallel against one shared server (and against a developer's own Redis).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { Redis } from 'ioredis';
import { freePort } from '@csrbot/control-plane';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

let resolved: Promise<string> | undefined;
let started: ChildProcess | undefined;

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
  if (!hasRedisServer()) {
    throw new Error(
      'These tests need Redis and none was found: REDIS_URL is unset, nothing answers on 127.0.0.1:6379, and `redis-server` is not installed. ' +
        'To resolve, install it (`apt-get install redis-server`, or `brew install redis`) or set REDIS_URL=redis://host:port to a Redis the tests may write to.',
    );
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  started = child;
  // The server must not outlive the test process, nor keep it alive.
  child.unref();
  process.once('exit', () => started?.kill('SIGTERM'));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    if (await answersPing('127.0.0.1', port)) return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function hasRedisServer(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
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
