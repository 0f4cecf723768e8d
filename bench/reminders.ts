/**
 * Expiry reminders at 100k issued certificates: what they cost in Redis and
 * how fast they are scheduled and swept.
 *
 * - memory per certificate: the inventory record (facts + the stored CSR),
 *   its index entries and its reminders, summed with MEMORY USAGE over every
 *   key under the bench's prefix (exact on a shared server too), and
 *   used_memory before/after (exact only on a server of its own);
 * - baseline, same run: one delayed BullMQ job per certificate (the other
 *   design), measured the same way;
 * - the scheduling rate (record + schedule, 64 in flight);
 * - a full sweep's duration: nothing missing, then after deleting the due-set.
 *
 *   npm run bench -- reminders
 *   REDIS_URL=redis://127.0.0.1:7300 BENCH_CERTS=100000 npx node --import tsx bench/reminders.ts
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { RedisCertificateInventory } from '../src/adapters/store/redis-certificate-inventory.js';
import { RedisReminderSchedule } from '../src/adapters/store/redis-reminder-schedule.js';
import { scheduleReminders } from '../src/app/remind.js';
import { reminderPass } from '../src/app/sweep.js';
import type { CertificateRecord } from '../src/domain/inventory.js';
import { DEFAULT_LADDER } from '../src/domain/reminders.js';

const CERTS = Number(process.env.BENCH_CERTS ?? 100_000);
const HOLDERS = Math.max(1, Math.round(CERTS / 5));
const BASELINE_JOBS = Math.min(CERTS, 10_000);

function csr(name: string): string {
  return readFileSync(new URL(`../test/fixtures/csr/${name}`, import.meta.url), 'utf8');
}

function certificate(i: number, csrPem: string, now: number): CertificateRecord {
  const notBefore = now - (i % 3600) * 1000;
  return {
    serial: `${(0x5f000000 + i).toString(16)}${'0'.repeat(24)}`,
    fingerprint: 'ab'.repeat(32),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + 86_400_000).toISOString(),
    subject: 'CN=jane.doe, O=developers',
    username: 'jane.doe',
    groups: ['developers'],
    requesterId: `U${(i % HOLDERS).toString(36).toUpperCase().padStart(10, '0')}`,
    approvers: ['U0ALICE0ADMIN'],
    requestId: `r${i.toString(16).padStart(24, '0')}`,
    csrPem,
    keyFingerprint: 'cd'.repeat(32),
    dmChannel: 'D0123456789',
    issuedAt: new Date(notBefore).toISOString(),
    autoRenewals: 0,
    status: 'active',
  };
}

async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

async function memoryUsage(redis: Redis, keys: string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < keys.length; i += 2000) {
    const pipe = redis.pipeline();
    for (const k of keys.slice(i, i + 2000)) pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    for (const [err, v] of (await pipe.exec()) ?? []) if (!err) total += Number(v ?? 0);
  }
  return total;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function inParallel(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
}

async function cleanup(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

async function one(redis: Redis, label: string, csrPem: string): Promise<string> {
  const prefix = `bench-rem-${randomBytes(4).toString('hex')}`;
  const inventory = RedisCertificateInventory.create({ redis, prefix });
  const reminders = RedisReminderSchedule.create({ redis, prefix });
  const now = Date.now();
  const clock = { now: () => new Date(now) };
  const deps = { inventory, reminders, clock, settings: { reminders: { ladder: DEFAULT_LADDER } } };
  try {
    const before = await usedMemory(redis);
    const started = process.hrtime.bigint();
    await inParallel(CERTS, 64, async (i) => {
      const { record } = await inventory.record(certificate(i, csrPem, now));
      await scheduleReminders(deps, record);
    });
    const scheduleSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = (await usedMemory(redis)) - before;
    const keys = await keysUnder(redis, `${prefix}:*`);
    const bytes = await memoryUsage(redis, keys);
    const scheduled = await reminders.size();

    const pass = reminderPass(deps);
    let t = process.hrtime.bigint();
    const idle = await pass.run(new Date(now));
    const idleSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    await redis.del(`${prefix}:reminders:due`);
    t = process.hrtime.bigint();
    const restore = await pass.run(new Date(now));
    const restoreSeconds = Number(process.hrtime.bigint() - t) / 1e9;

    return `| ${label} | ${CERTS.toLocaleString('en')} | ${scheduled.toLocaleString('en')} | ${kib(bytes / CERTS)} | ${kib(used / CERTS)} | ${Math.round(CERTS / scheduleSeconds).toLocaleString('en')}/s | ${idleSeconds.toFixed(2)} s (${idle['restored'] ?? 0} restored) | ${restoreSeconds.toFixed(2)} s (${(restore['restored'] ?? 0).toLocaleString('en')} restored) |`;
  } finally {
    await cleanup(redis, prefix);
  }
}

/** The other design: one delayed BullMQ job per reminder. */
async function baselineJobBytes(redis: Redis): Promise<number> {
  const prefix = `bench-bull-${randomBytes(4).toString('hex')}`;
  const queue = new Queue('reminders', { connection: redis, prefix });
  try {
    const jobs = Array.from({ length: BASELINE_JOBS }, (_, i) => ({
      name: 'remind',
      data: { serial: `${(0x5f000000 + i).toString(16)}${'0'.repeat(24)}`, step: 'at-67pct' },
      opts: { jobId: `remind-${i}-at-67pct`, delay: 86_400_000, removeOnComplete: true },
    }));
    for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
    return (await memoryUsage(redis, await keysUnder(redis, `${prefix}:*`))) / BASELINE_JOBS;
  } finally {
    await queue.close();
    await cleanup(redis, prefix);
  }
}

export async function run(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
    console.log(
      `reminders: ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}, Redis ${version} at ${redis.options.host}:${redis.options.port}`,
    );
    console.log(
      `${CERTS.toLocaleString('en')} certificates of 24 h (ladder of 2 reminders; the next one in the due-set), ${HOLDERS.toLocaleString('en')} holders`,
    );
    console.log(
      '| CSR | certificates | reminders | memory/cert (MEMORY USAGE) | memory/cert (used_memory) | scheduling | sweep, none missing | sweep, due-set deleted |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    console.log(await one(redis, 'ECDSA P-256', csr('p256.csr')));
    console.log(await one(redis, 'RSA-2048', csr('rsa2048.csr')));
    const job = await baselineJobBytes(redis);
    console.log(
      `baseline: one delayed BullMQ job ${kib(job)} (MEMORY USAGE, ${BASELINE_JOBS.toLocaleString('en')} jobs); a certificate's 2 reminders as jobs would be ${kib(2 * job)}`,
    );
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
