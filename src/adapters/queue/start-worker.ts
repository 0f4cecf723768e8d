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

export type JobHandler = (requestId: string) => Promise<void>;

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
  /** Waits for running jobs to finish, then disconnects. */
  close(): Promise<void>;
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

export function startWorker(opts: StartWorkerOptions): RunningWorker {
  const log = opts.log.child({ queue: opts.queueName });
  const isRetryable = opts.retryable ?? (() => true);
  const retryable = (err: unknown): boolean => !isMarkedUnrecoverable(err) && isRetryable(err);

  const processor = async (job: Job<JobData, void, JobKind>, token?: string): Promise<void> => {
    const handler = Object.hasOwn(opts.handlers, job.name) ? opts.handlers[job.name] : undefined;
    const requestId = job.data?.requestId;
    if (!handler) throw new UnrecoverableError(`No handler for job kind '${job.name}'`);
    if (typeof requestId !== 'string' || requestId === '') throw new UnrecoverableError(`Job ${job.id} has no requestId`);
    try {
      await handler(requestId);
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
    close: () => worker.close(),
  };
}
