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
  let closed = false;
  let wake: () => void = () => undefined;
  const declared = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        for (const t of opts.tasks) {
          await queue.upsertJobScheduler(t.name, { every: t.everyMs }, { name: t.name, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
        }
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
    { connection: bullConnection(opts.workerConnection, 'worker'), ...prefix, concurrency: 1 },
  );
  worker.on('error', (err) => log.error({ err }, 'scheduler worker error'));
  worker.on('failed', (job, err) => log.warn({ err, task: job?.name }, 'scheduled task failed; it runs again next time'));
  return {
    queue,
    declared,
    close: async (graceMs) => {
      closed = true;
      wake();
      await declared;
      await closeWorker(worker, running, log, graceMs);
      await queue.close();
    },
  };
}
