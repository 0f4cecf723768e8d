/**
 * The queue against real Redis: each test has its own queue name and key
 * prefix, and deletes only those keys.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { BullMqJobs, jobIdFor } from '../../../../src/adapters/queue/bullmq-jobs.js';
import { startWorker, type JobHandler, type RunningWorker, type StartWorkerOptions } from '../../../../src/adapters/queue/start-worker.js';
import { CsrbotError, isRetryable } from '../../../../src/domain/errors.js';
import { UndoStack } from '../../../../src/lifecycle/undo-stack.js';
import { createLogger } from '../../../../src/log/logger.js';
import { NotYet, type JobKind } from '../../../../src/ports.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../../support/redis.js';
import { waitForQuiet } from '../../../support/wait-for-quiet.js';

const log = createLogger({ level: 'silent' });
let url: string;
let redis: Redis;
const prefixes: string[] = [];
const toClose: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  url = await redisUrlForTests();
  redis = new Redis(url);
});
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

function setup(name: string): { prefix: string; queueName: string; jobs: BullMqJobs } {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const queueName = `q-${name}`;
  const jobs = BullMqJobs.create({ connection: url, prefix, queueName });
  toClose.push(jobs);
  return { prefix, queueName, jobs };
}

const noop: JobHandler = async () => {};
function handlers(overrides: Partial<Record<JobKind, JobHandler>>): Record<JobKind, JobHandler> {
  return { submit: noop, approve: noop, deny: noop, issue: noop, card: noop, decide: noop, ...overrides };
}

function worker(opts: Omit<StartWorkerOptions, 'connection' | 'log'>): RunningWorker {
  const w = startWorker({ connection: url, log, backoff: { baseMs: 50, capMs: 200 }, ...opts });
  toClose.push(w);
  return w;
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Until BullMQ has nothing left to run in this queue: no job waiting, active,
 * or delayed (where a scheduled retry would be). Only the test enqueues, so
 * what the queue holds then is final.
 */
const queueIdle = (jobs: BullMqJobs) => waitForQuiet({ queues: [jobs.bullQueue] }, { quietMs: 100, timeoutMs: 10_000 });

/** Every state BullMQ counts, so an unexpected job anywhere shows up in the assertion. */
const allCounts = (jobs: BullMqJobs) => jobs.bullQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed');
const counts = (c: Partial<Record<string, number>>) => ({
  waiting: 0,
  active: 0,
  delayed: 0,
  prioritized: 0,
  'waiting-children': 0,
  completed: 0,
  failed: 0,
  ...c,
});

describe('BullMqJobs + startWorker', () => {
  it('runs a step once however often it is enqueued, even after it completed', async () => {
    const { prefix, queueName, jobs } = setup('dedupe');
    const runs: string[] = [];
    await jobs.enqueue('submit', 'req1');
    await jobs.enqueue('submit', 'req1');
    await jobs.enqueue('approve', 'req1');
    worker({
      prefix,
      queueName,
      handlers: handlers({ submit: async (id) => void runs.push(`submit ${id}`), approve: async (id) => void runs.push(`approve ${id}`) }),
    });
    await until(() => runs.length >= 2, 10_000, 'two runs');
    await jobs.enqueue('submit', 'req1'); // a late duplicate: the completed job is kept, so this is ignored
    await queueIdle(jobs);
    expect(runs.sort()).toEqual(['approve req1', 'submit req1']);
    // Had the duplicate been added, it would be waiting, active or a third completed job.
    expect(await allCounts(jobs)).toEqual(counts({ completed: 2 }));
    const job = await jobs.bullQueue.getJob('submit-req1');
    expect(job?.data).toEqual({ requestId: 'req1' });
    expect(await job?.getState()).toBe('completed');
    expect(job?.attemptsMade).toBe(1);
  });

  it('ensure(): a job that failed for good, which enqueue() cannot bring back, runs again; a missing one is queued; a live one is left alone', async () => {
    const { prefix, queueName, jobs } = setup('ensure');
    const runs: string[] = [];
    let broken = true;
    worker({
      prefix,
      queueName,
      retryable: () => false,
      handlers: handlers({
        approve: async (id) => {
          runs.push(id);
          if (broken) throw new CsrbotError('CLUSTER_FORBIDDEN', { verb: 'update', resource: 'certificatesigningrequests/approval' });
        },
      }),
    });
    await jobs.enqueue('approve', 'req1');
    await until(async () => (await allCounts(jobs)).failed === 1, 10_000, 'the job to fail for good');
    await jobs.enqueue('approve', 'req1'); // retained failed job: ignored
    await queueIdle(jobs);
    expect(runs).toEqual(['req1']);

    broken = false;
    const check = await jobs.ensure('approve', 'req1');
    expect(check.found).toBe('failed');
    expect(check.lastError).toMatch(/CLUSTER_FORBIDDEN/);
    await until(async () => (await allCounts(jobs)).completed === 1, 10_000, 'the job to run again');
    expect(runs).toEqual(['req1', 'req1']);

    await expect(jobs.ensure('deny', 'req2')).resolves.toEqual({ found: 'missing' });
    await queueIdle(jobs);
    expect(await allCounts(jobs)).toEqual(counts({ completed: 2 }));
  });

  it('retries a failing handler with growing delays until it succeeds', async () => {
    const { prefix, queueName, jobs } = setup('retry');
    const attempts: Array<{ at: number }> = [];
    const failures: unknown[] = [];
    worker({
      prefix,
      queueName,
      onFailed: (f) => failures.push(f),
      handlers: handlers({
        issue: async () => {
          attempts.push({ at: Date.now() });
          if (attempts.length < 3) throw new CsrbotError('CLUSTER_UNREACHABLE');
        },
      }),
    });
    await jobs.enqueue('issue', 'req2');
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req2'))?.getState()) === 'completed', 10_000, 'completion');
    expect(attempts).toHaveLength(3);
    expect((await jobs.bullQueue.getJob('issue-req2'))?.attemptsMade).toBe(3);
    const [a0, a1, a2] = attempts.map((a) => a.at) as [number, number, number];
    // 50 ms, then 100 ms, each jittered down to no less than half (timer slack allowed).
    expect(a1 - a0).toBeGreaterThanOrEqual(20);
    expect(a2 - a1).toBeGreaterThanOrEqual(45);
    // Each failed attempt is reported for the metrics, by its error code, as one that will be retried.
    expect(failures).toEqual([
      { job: 'issue', code: 'CLUSTER_UNREACHABLE', final: false },
      { job: 'issue', code: 'CLUSTER_UNREACHABLE', final: false },
    ]);
  });

  it('NotYet parks the job (delayed, not failed, no attempt used) and runs it again after the delay', async () => {
    const { prefix, queueName, jobs } = setup('not-yet');
    const runs: number[] = [];
    const w = worker({
      prefix,
      queueName,
      handlers: handlers({
        issue: async () => {
          runs.push(Date.now());
          if (runs.length < 3) throw new NotYet(300, 'the signer has not answered');
        },
      }),
    });
    await jobs.enqueue('issue', 'req-wait');
    await until(() => runs.length === 1, 10_000, 'the first run');
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req-wait'))?.getState()) === 'delayed', 10_000, 'the job parked as delayed');
    // Parked, the job holds no worker slot: closing the worker does not wait for it.
    const closing = Date.now();
    await w.worker.close();
    expect(Date.now() - closing).toBeLessThan(2_000);
    worker({ prefix, queueName, handlers: handlers({ issue: async () => void runs.push(Date.now()) }) });
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req-wait'))?.getState()) === 'completed', 10_000, 'completion');
    const job = await jobs.bullQueue.getJob('issue-req-wait');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[1]! - runs[0]!).toBeGreaterThanOrEqual(280);
    // Waiting is not failing: no retry attempt was spent.
    expect(job?.failedReason ?? '').toBe('');
    expect(job?.attemptsMade ?? 0).toBeLessThanOrEqual(1);
  });

  it('wake() runs a parked job now instead of at the end of its delay, and is a no-op otherwise', async () => {
    const { prefix, queueName, jobs } = setup('wake');
    const runs: number[] = [];
    worker({
      prefix,
      queueName,
      handlers: handlers({
        issue: async () => {
          runs.push(Date.now());
          if (runs.length === 1) throw new NotYet(60_000, 'the signer has not answered');
        },
      }),
    });
    await jobs.wake('issue', 'req-wake'); // no such job yet: nothing happens
    await jobs.enqueue('issue', 'req-wake');
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req-wake'))?.getState()) === 'delayed', 10_000, 'the job parked for a minute');
    await jobs.wake('issue', 'req-wake');
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req-wake'))?.getState()) === 'completed', 10_000, 'the woken job to complete');
    expect(runs).toHaveLength(2);
    expect(runs[1]! - runs[0]!).toBeLessThan(30_000);
    await jobs.wake('issue', 'req-wake'); // completed: nothing happens
  });

  it('does not retry an error whose code retrying cannot fix', async () => {
    const { prefix, queueName, jobs } = setup('unrecoverable');
    let runs = 0;
    const failures: unknown[] = [];
    worker({
      prefix,
      queueName,
      retryable: isRetryable,
      onFailed: (f) => failures.push(f),
      handlers: handlers({
        approve: async () => {
          runs += 1;
          throw new CsrbotError('CSR_ALREADY_DECIDED', { name: 'csrbot-jane-1' });
        },
      }),
    });
    await jobs.enqueue('approve', 'req3');
    await until(async () => (await (await jobs.bullQueue.getJob('approve-req3'))?.getState()) === 'failed', 10_000, 'failure');
    // 'failed' is BullMQ's final state: a retry would have made the job delayed instead.
    await queueIdle(jobs);
    expect(runs).toBe(1);
    expect(await allCounts(jobs)).toEqual(counts({ failed: 1 }));
    const job = await jobs.bullQueue.getJob('approve-req3');
    expect(job?.failedReason).toMatch(/CSR_ALREADY_DECIDED/);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.finishedOn).toEqual(expect.any(Number));
    // Wrapped in an UnrecoverableError to stop retries, it is still counted under its own code.
    expect(failures).toEqual([{ job: 'approve', code: 'CSR_ALREADY_DECIDED', final: true }]);
    expect((await jobs.depth()).counts).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
  });

  it('reports queue depth by state', async () => {
    const { jobs, queueName } = setup('depth');
    expect(await jobs.depth()).toEqual({ queue: queueName, counts: { waiting: 0, active: 0, delayed: 0, failed: 0 } });
    await jobs.enqueue('submit', 'd1');
    await jobs.enqueue('submit', 'd2');
    await jobs.enqueue('submit', 'd2');
    expect((await jobs.depth()).counts).toEqual({ waiting: 2, active: 0, delayed: 0, failed: 0 });
  });

  it('does not retry errors marked unrecoverable, or refused by the retryable predicate', async () => {
    const { prefix, queueName, jobs } = setup('predicate');
    const runs: string[] = [];
    worker({
      prefix,
      queueName,
      retryable: (err) => !(err instanceof Error && err.message === 'nope'),
      handlers: handlers({
        deny: async (id) => {
          runs.push(id);
          throw Object.assign(new Error('flagged'), { unrecoverable: true });
        },
        submit: async (id) => {
          runs.push(id);
          throw new Error('nope');
        },
      }),
    });
    await jobs.enqueue('deny', 'a');
    await jobs.enqueue('submit', 'b');
    await until(async () => (await jobs.bullQueue.getJobCounts('failed')).failed === 2, 10_000, 'two failures');
    await queueIdle(jobs);
    expect(runs.sort()).toEqual(['a', 'b']);
    expect(await allCounts(jobs)).toEqual(counts({ failed: 2 }));
    for (const id of ['deny-a', 'submit-b']) expect((await jobs.bullQueue.getJob(id))?.attemptsMade).toBe(1);
  });

  it('a job whose worker died mid-run is picked up by another worker', async () => {
    const { prefix, queueName, jobs } = setup('stalled');
    const calls: Array<{ worker: string }> = [];
    const first = worker({
      prefix,
      queueName,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      handlers: handlers({
        issue: () => {
          calls.push({ worker: 'first' });
          return new Promise<void>(() => {}); // hangs, as a crashed process would never finish
        },
      }),
    });
    await jobs.enqueue('issue', 'req5');
    await until(() => calls.length === 1, 10_000, 'first worker to start the job');
    // Crash: stop without waiting for the job and without renewing its lock.
    await first.worker.close(true);
    worker({
      prefix,
      queueName,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      handlers: handlers({ issue: async () => void calls.push({ worker: 'second' }) }),
    });
    await until(async () => (await (await jobs.bullQueue.getJob('issue-req5'))?.getState()) === 'completed', 20_000, 'second worker to finish it');
    expect(calls.map((c) => c.worker)).toEqual(['first', 'second']);
  }, 30_000);

  it('shutdown force-closes a worker stuck in a job within the step deadline: it closes and renews no lock', async () => {
    const { prefix, queueName, jobs } = setup('stuck-close');
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((r) => (release = r));
    let started = false;
    const w = startWorker({
      connection: url,
      log,
      prefix,
      queueName,
      lockDurationMs: 1_000,
      handlers: handlers({
        submit: async () => {
          started = true;
          await stuck;
        },
      }),
    });
    toClose.push(w);
    let closed = false;
    w.worker.on('closed', () => (closed = true));
    await jobs.enqueue('submit', 'req-stuck');
    try {
      await until(() => started, 10_000, 'the job to start');
      const lockKey = `${prefix}:${queueName}:${jobIdFor('submit', 'req-stuck')}:lock`;
      expect(await redis.exists(lockKey)).toBe(1);

      // The product's shutdown: the same UndoStack main.ts runs, with its 3 s step deadline.
      const lines: string[] = [];
      const undoLog = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
      const undo = new UndoStack(undoLog);
      undo.push('worker', () => w.close(500));
      await undo.run();
      expect(lines.filter((l) => l.includes('did not finish in time'))).toEqual([]);
      // Closed: BullMQ emits 'closed' once its lock renewal, stalled check and connections are stopped.
      expect(closed).toBe(true);
      // Nothing renews the lock any more (before, the lock extender kept it alive): it lapses, and the job is free for another worker.
      await until(async () => (await redis.exists(lockKey)) === 0, 5_000, 'the abandoned job lock to lapse');
    } finally {
      release();
    }
  }, 20_000);

  it('refuses a job id with a colon', () => {
    expect(() => jobIdFor('issue', 'a:b')).toThrow(/:/);
  });
});
