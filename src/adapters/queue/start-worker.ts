/**
 * The worker that runs csrbot's jobs. A crash mid-job is safe: the job's lock
 * expires and another worker (or this one, restarted) picks it up after the
 * stalled check; handlers are written to be repeated.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../../log/logger.js';
import { NotYet, type JobKind } from '../../ports.js';
import { CAPPED_EXPONENTIAL, cappedExponentialDelay, type BackoffOptions } from './backoff.js';
import type { JobData } from './bullmq-jobs.js';
import { bullConnection, type QueueConnection } from './connection.js';

/** Gets the job's request id, and its data (a `decide` job's click). */
export type JobHandler = (requestId: string, data?: JobData) => Promise<void>;

export interface StartWorkerOptions {
  connection: QueueConnection;
  /** BullMQ key prefix; must match the producer's. Default `bull`. */
  prefix?: string;
  queueName: string;
  /** Jobs run at once by this worker. Default 4. */
  concurrency?: number;
  handlers: Record<JobKind, JobHandler>;
  log: Logger;
  /** A job's lock lasts this long without renewal; a crashed worker's job is free again after it. Default 30000 ms. */
  lockDurationMs?: number;
  /** How often to look for jobs whose worker died. Default 30000 ms. */
  stalledIntervalMs?: number;
  /** Delays between attempts. Default 1 s doubling, capped at 30 s. */
  backoff?: BackoffOptions;
  /** False stops retries for this error (main.ts asks the error table). Default: always true. Errors with `unrecoverable: true` are never retried either way. */
  retryable?: (err: unknown) => boolean;
  /** Every failed attempt, for metrics; `code` is failureCode(err). Default: nothing. */
  onFailed?: (failure: { job: string; code: string; final: boolean }) => void;
}

export interface RunningWorker {
  /** Waits up to `graceMs` (default 2 s) for running jobs to finish, then disconnects; see closeWorker. */
  close(graceMs?: number): Promise<void>;
  /** The underlying worker, for tests. */
  readonly worker: Worker<JobData, void, JobKind>;
}

// CsrbotError codes, Node's (ECONNREFUSED, ERR_...), libraries' (slack_webapi_platform_error): fixed strings, so few.
const CODE = /^[A-Za-z][A-Za-z0-9_]{1,63}$/;

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODE.test(code) ? code : undefined;
}

/**
 * A label for a failure that stays a small set: the error's code (a CsrbotError
 * code, Node's ECONNREFUSED and kin, a library's), or that of the error it
 * wraps; else UNRECOVERABLE or UNKNOWN. Never the message, which can hold anything.
 */
export function failureCode(err: unknown): string {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  return codeOf(err) ?? codeOf(cause) ?? (err instanceof UnrecoverableError ? 'UNRECOVERABLE' : 'UNKNOWN');
}

function isMarkedUnrecoverable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { unrecoverable?: unknown }).unrecoverable === true;
}

/** How long closeWorker lets running jobs finish by default: inside the UndoStack's 3 s step deadline, with time left to disconnect. */
export const CLOSE_GRACE_MS = 2_000;

/** The jobs a worker's processor is running, so that closing can wait for them with a deadline. */
export class RunningJobs {
  private count = 0;
  private waiters: Array<() => void> = [];

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await fn();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no job runs. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Stops taking jobs, lets the running ones finish for up to `graceMs`, then
 * closes the worker; forced (BullMQ's close(true)) if a job is still running,
 * so that nothing of the worker (its lock renewal timer, its connections)
 * outlives shutdown. An abandoned job is safe: its lock lapses and a worker
 * takes it again after the stalled check, as after a crash.
 */
export async function closeWorker(worker: Pick<Worker, 'pause' | 'close'>, running: RunningJobs, log: Logger, graceMs = CLOSE_GRACE_MS): Promise<void> {
  // A graceful close() cannot be forced once under way, so the wait for running jobs is ours, with a deadline.
  await worker.pause(true);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const outcome = await Promise.race([running.idle().then(() => 'drained' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') log.warn({ ms: graceMs }, 'a job was still running at shutdown; abandoning it (another worker takes it once its lock lapses)');
  await worker.close(outcome === 'late');
}

export function startWorker(opts: StartWorkerOptions): RunningWorker {
  const log = opts.log.child({ queue: opts.queueName });
  const isRetryable = opts.retryable ?? (() => true);
  const retryable = (err: unknown): boolean => !isMarkedUnrecoverable(err) && isRetryable(err);

  const running = new RunningJobs();
  const processor = (job: Job<JobData, void, JobKind>, token?: string): Promise<void> => running.run(() => runJob(job, token));
  const runJob = async (job: Job<JobData, void, JobKind>, token?: string): Promise<void> => {
    const handler = Object.hasOwn(opts.handlers, job.name) ? opts.handlers[job.name] : undefined;
    const requestId = job.data?.requestId;
    if (!handler) throw new UnrecoverableError(`No handler for job kind '${job.name}'`);
    if (typeof requestId !== 'string' || requestId === '') throw new UnrecoverableError(`Job ${job.id} has no requestId`);
    try {
      await handler(requestId, job.data);
    } catch (err) {
      if (err instanceof NotYet) {
        // Nothing to do yet: park the job (BullMQ's way to wait) so the slot is free and shutdown is not held up.
        await job.moveToDelayed(Date.now() + err.retryInMs, token);
        throw new DelayedError();
      }
      if (err instanceof UnrecoverableError || retryable(err)) throw err;
      const final = new UnrecoverableError(err instanceof Error ? err.message : String(err));
      (final as Error & { cause?: unknown }).cause = err;
      throw final;
    }
  };

  const worker = new Worker<JobData, void, JobKind>(opts.queueName, processor, {
    connection: bullConnection(opts.connection, 'worker'),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    concurrency: opts.concurrency ?? 4,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => {
        if (type !== CAPPED_EXPONENTIAL) throw new Error(`Unknown backoff type ${String(type)}`);
        return cappedExponentialDelay(attemptsMade, opts.backoff);
      },
    },
  });

  // Without a listener an 'error' event (e.g. Redis down) would crash the process.
  worker.on('error', (err) => log.error({ err }, 'queue worker error'));
  worker.on('failed', (job, err) => {
    const final = !job || job.finishedOn !== undefined || err instanceof UnrecoverableError;
    const fields = { err, job: job?.id, kind: job?.name, requestId: job?.data?.requestId, attemptsMade: job?.attemptsMade };
    if (final) log.error(fields, 'job failed for good');
    else log.warn(fields, 'job failed; will retry');
    opts.onFailed?.({ job: job?.name ?? 'unknown', code: failureCode(err), final });
  });
  worker.on('stalled', (jobId) => log.warn({ job: jobId }, 'job stalled (its worker died?); retrying it'));

  return {
    worker,
    close: (graceMs) => closeWorker(worker, running, log, graceMs),
  };
}
