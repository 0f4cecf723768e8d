/**
 * The job schedulers (sweep, reminder drain) against real Redis: they come
 * back after Redis forgets them, and a task whose replica died runs again
 * as soon as the configured lock and stalled check allow.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { needsDeclaring, startScheduler, type RunningScheduler } from '../../../../src/adapters/queue/scheduler.js';
import { createLogger } from '../../../../src/log/logger.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../../support/redis.js';

const log = createLogger({ level: 'silent' });
let url: string;
let redis: Redis;
const prefixes: string[] = [];
const running: RunningScheduler[] = [];

beforeAll(async () => {
  url = await redisUrlForTests();
  redis = new Redis(url);
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.close(0);
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('needsDeclaring', () => {
  const task = { everyMs: 1000 };
  it('declares what Redis does not hold, or holds with another period', () => {
    expect(needsDeclaring(undefined, task, false)).toBe(true);
    expect(needsDeclaring({ every: 2000, next: 5 }, task, true)).toBe(true);
  });
  it('leaves a scheduler alone while the job of its next iteration exists', () => {
    expect(needsDeclaring({ every: 1000, next: 10_000 }, task, true)).toBe(false);
  });
  it('declares again a scheduler whose chain broke: no next time, or no job for it', () => {
    expect(needsDeclaring({ every: 1000, next: null }, task, false)).toBe(true);
    expect(needsDeclaring({ every: 1000, next: 10_000 }, task, false)).toBe(true);
  });
});

/**
 * A scheduler with one task, `sweep`, every `everyMs`, counting its runs and
 * noting when the first one ran; closed after the test. `o` overrides the
 * prefix (a replica's, to share its keys), the lock and stalled check, and the watch.
 */
function countingScheduler(
  name: string,
  everyMs: number,
  o: { prefix?: string; lockDurationMs?: number; stalledIntervalMs?: number; watchEveryMs?: number } = { watchEveryMs: 200 },
): { s: RunningScheduler; prefix: string; runs: () => number; firstRunAt: () => number } {
  const prefix = o.prefix ?? uniquePrefix(name);
  if (!o.prefix) prefixes.push(prefix);
  let runs = 0;
  let firstRunAt = 0;
  const s = startScheduler({
    connection: url,
    workerConnection: url,
    prefix,
    queueName: 'sched',
    log,
    ...(o.watchEveryMs !== undefined ? { watchEveryMs: o.watchEveryMs } : {}),
    ...(o.lockDurationMs !== undefined ? { lockDurationMs: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs !== undefined ? { stalledIntervalMs: o.stalledIntervalMs } : {}),
    tasks: [{ name: 'sweep', everyMs, run: async () => void (runs++, (firstRunAt ||= Date.now())) }],
  });
  running.push(s);
  return { s, prefix, runs: () => runs, firstRunAt: () => firstRunAt };
}

describe('startScheduler', () => {
  it('runs its tasks again after Redis lost every key (a restart without persistence), without a restart of csrbot', async () => {
    const { s, prefix, runs } = countingScheduler('sched-loss', 300);
    await until('the first runs', () => runs() >= 2);
    // What a Redis restart without persistence leaves: nothing under the prefix.
    await cleanupPrefix(redis, prefix);
    const after = runs();
    await until('a run after the keys were lost', () => runs() > after + 1);
    expect((await s.queue.getJobScheduler('sweep'))?.every).toBe(300);
  });

  it('runs its tasks again after Redis lost the last write (the next iteration), as a crashed master does', async () => {
    const { s, prefix, runs } = countingScheduler('sched-chain', 60_000);
    await s.declared;
    await until('the first run', () => runs() >= 1);
    const next = (await s.queue.getJobScheduler('sweep'))?.next;
    expect(typeof next).toBe('number');
    // Forget the next iteration's job, and with it the only way the chain goes on.
    const id = `repeat:sweep:${next}`;
    expect(await redis.zrem(`${prefix}:sched:delayed`, id)).toBe(1);
    await redis.del(`${prefix}:sched:${id}`);
    await until('the scheduler declared again', async () => {
      const found = await s.queue.getJobScheduler('sweep');
      return typeof found?.next === 'number' && (await s.queue.getJob(`repeat:sweep:${found.next}`)) !== undefined;
    });
    expect(runs()).toBe(1);
  });

  it("runs a task again after its replica was SIGKILLed mid-task, within the configured lock and stalled check (not BullMQ's 30 s defaults)", async () => {
    const prefix = uniquePrefix('sched-kill');
    prefixes.push(prefix);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/redis/adapters/queue/scheduler-replica.ts', url, prefix, 'sched', '1000', '500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await until('the replica to start its task', () => out.includes('task started'), 60_000);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const killedAt = Date.now();
    // The survivor's period is a minute: only the dead replica's iteration, recovered, can run in this test's time.
    const { firstRunAt } = countingScheduler('sched-kill', 60_000, { prefix, lockDurationMs: 1000, stalledIntervalMs: 500 });
    // With BullMQ's defaults this takes 30 s for the lock plus up to two 30 s stalled checks.
    await until('the dead replica’s task to run again', () => firstRunAt() > 0, 25_000);
    expect(firstRunAt() - killedAt).toBeLessThan(25_000);
  }, 90_000);
});
