/**
 * Repeating tasks on a BullMQ job scheduler: the sweep, and draining the
 * reminder due-set. upsertJobScheduler is idempotent, so every replica
 * declares the same schedulers at start-up and BullMQ makes one job per
 * iteration, run by whichever replica takes it.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '../../log/logger.js';
import { bullConnection, type QueueConnection } from './connection.js';
import { RunningJobs, closeWorker } from './start-worker.js';

export interface ScheduledTask {
  /** Scheduler id and job name (no `:`). */
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface StartSchedulerOptions {
  /** The producer's connection (a client is shared; a URL or options make BullMQ's own). */
  connection: QueueConnection;
  /** A template for the worker's blocking connections. */
  workerConnection: QueueConnection;
  prefix?: string;
  queueName: string;
  tasks: readonly ScheduledTask[];
  log: Logger;
  /** As for the job worker (JOB_LOCK_DURATION): a task whose replica died is run again after its lock lapses. Default 30000 ms. */
  lockDurationMs?: number;
  /** As for the job worker (JOB_STALLED_INTERVAL). Default 30000 ms. */
  stalledIntervalMs?: number;
  /** How often each replica checks that every scheduler still exists in Redis. Default: the shortest task period, between 5 s and 60 s. */
  watchEveryMs?: number;
}

export interface RunningScheduler {
  /** Stops declaring, lets a running task finish for up to `graceMs` (see closeWorker), then disconnects. */
  close(graceMs?: number): Promise<void>;
  readonly queue: Queue;
  /** Resolves once every scheduler is declared in Redis (retried while Redis is unreachable), or the scheduler was closed. */
  readonly declared: Promise<void>;
}

/** Retries of the declaration back off up to this. */
const DECLARE_RETRY_MAX_MS = 30_000;

/**
 * A scheduler needs declaring again when Redis no longer holds it (a restart
 * without persistence), holds it with another period, or holds it without its
 * next iteration's job: BullMQ writes the scheduler's next time and that job
 * in one script, so a crashed master that lost the last write leaves the
 * previous next time, whose job already ran, and nothing ever runs again.
 * `nextJob` is whether the job of `found.next` exists in any state.
 */
export function needsDeclaring(
  found: { next?: number | null | undefined; every?: number | null | undefined } | undefined,
  task: { everyMs: number },
  nextJob: boolean,
): boolean {
  return !found || found.every !== task.everyMs || typeof found.next !== 'number' || !nextJob;
}

/**
 * Starts the worker and declares the schedulers in the background: csrbot
 * starts while Redis is down (readiness says so), and the schedulers are
 * declared once it answers.
 */
export function startScheduler(opts: StartSchedulerOptions): RunningScheduler {
  const log = opts.log.child({ queue: opts.queueName });
  const prefix = opts.prefix ? { prefix: opts.prefix } : {};
  const queue = new Queue(opts.queueName, { connection: bullConnection(opts.connection, 'producer'), ...prefix });
  queue.on('error', (err) => log.warn({ err }, 'scheduler queue error'));
  const byName = new Map(opts.tasks.map((t) => [t.name, t]));
  for (const t of opts.tasks) if (t.name.includes(':')) throw new Error(`Scheduled task name ${t.name} must not contain ':'`);
  const lockDurationMs = opts.lockDurationMs ?? 30_000;
  const stalledIntervalMs = opts.stalledIntervalMs ?? 30_000;
  const declare = (t: ScheduledTask) =>
    queue.upsertJobScheduler(t.name, { every: t.everyMs }, { name: t.name, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  let closed = false;
  let wake: () => void = () => undefined;
  const declared = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        for (const t of opts.tasks) await declare(t);
        return;
      } catch (err) {
        if (closed) return;
        const delay = Math.min(DECLARE_RETRY_MAX_MS, 1000 * 2 ** attempt);
        log.warn({ err, retryInMs: delay }, 'could not declare the sweep and reminder schedulers; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    }
  })();
  const running = new RunningJobs();
  const worker = new Worker(
    opts.queueName,
    (job: Job) =>
      running.run(async () => {
        const task = byName.get(job.name);
        if (!task) return; // a task a newer or older replica declared: not ours to run
        await task.run();
      }),
    {
      connection: bullConnection(opts.workerConnection, 'worker'),
      ...prefix,
      concurrency: 1,
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
    },
  );
  worker.on('error', (err) => log.error({ err }, 'scheduler worker error'));
  worker.on('failed', (job, err) => log.warn({ err, task: job?.name }, 'scheduled task failed; it runs again next time'));

  // The watch: every replica checks that Redis still holds each scheduler and re-declares what it lost,
  // so the sweep comes back after Redis data loss without a restart. Upserting is idempotent, so two replicas may race.
  const shortest = Math.min(...opts.tasks.map((t) => t.everyMs));
  const watchEveryMs = opts.watchEveryMs ?? Math.min(60_000, Math.max(5_000, shortest));
  let watching = false;
  const watch = async () => {
    if (closed || watching) return;
    watching = true;
    try {
      await declared;
      for (const t of opts.tasks) {
        if (closed) return;
        const found = await queue.getJobScheduler(t.name);
        // The job id BullMQ gives an iteration (JobScheduler.getSchedulerNextJobId).
        const nextJob = async (f: typeof found) => typeof f?.next === 'number' && (await queue.getJob(`repeat:${t.name}:${f.next}`)) !== undefined;
        if (!needsDeclaring(found, t, await nextJob(found))) continue;
        // A worker may have just taken that job, scheduled the next and finished: only a next time that stayed put is lost.
        const again = await queue.getJobScheduler(t.name);
        if (found && again?.next !== found.next && !needsDeclaring(again, t, await nextJob(again))) continue;
        log.warn(
          { task: t.name, found: found ? { next: found.next, every: found.every } : null },
          'a scheduler was missing or overdue in Redis; declaring it again',
        );
        await declare(t);
      }
    } catch (err) {
      log.warn({ err }, 'could not check the schedulers; checking again later');
    } finally {
      watching = false;
    }
  };
  const watchTimer = setInterval(() => void watch(), watchEveryMs);
  watchTimer.unref();

  return {
    queue,
    declared,
    close: async (graceMs) => {
      closed = true;
      clearInterval(watchTimer);
      wake();
      await declared;
      await closeWorker(worker, running, log, graceMs);
      await queue.close();
    },
  };
}
