/**
 * Jobs on BullMQ. One queue carries every job kind; the job name is the kind
 * and the data is the request id only (small, and nothing secret in Redis's
 * job hashes). The job id `<kind>-<requestId>` is deterministic, so enqueueing
 * the same step twice (Slack retry, double click, second replica) adds it once.
 */
import { Queue } from 'bullmq';
import type { DecisionClick, JobCheck, JobKind, Jobs } from '../../ports.js';
import { CAPPED_EXPONENTIAL } from './backoff.js';
import { bullConnection, type QueueConnection } from './connection.js';

export interface JobData {
  requestId: string;
  /** `decide` jobs only: the click to authorise (ids and, for a denial, its reason; nothing secret). */
  click?: DecisionClick;
}

export interface BullMqJobsOptions {
  connection: QueueConnection;
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  queueName: string;
  /** Attempts per job before it fails for good. Default 50 (about 25 minutes at the default backoff). */
  attempts?: number;
  /** How long finished jobs are kept, which is how long a late duplicate is still ignored. Default 7 days. */
  keepFinishedSeconds?: number;
  /** Connection errors of the queue (Redis down); without a listener BullMQ prints them raw. */
  onError?: (err: Error) => void;
}

/** The job states queue depth is reported in: waiting to run, running, waiting for a retry, failed for good. */
export const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** BullMQ reserves `:` in job ids. */
export function jobIdFor(kind: JobKind, requestId: string): string {
  const id = `${kind}-${requestId}`;
  if (id.includes(':')) throw new Error(`Job id ${id} must not contain ':'`);
  return id;
}

/** One job per click: `decide-<request>-<user>-<click>`, with the characters BullMQ reserves (`:`) replaced. */
export function decisionJobId(c: DecisionClick): string {
  return `decide-${c.requestId}-${c.userId}-${c.clickId}`.replace(/:/g, '_');
}

export class BullMqJobs implements Jobs {
  private constructor(
    private readonly queue: Queue<JobData, void, JobKind>,
    private readonly attempts: number,
    private readonly keepSeconds: number,
  ) {}

  static create(opts: BullMqJobsOptions): BullMqJobs {
    const queue = new Queue<JobData, void, JobKind>(opts.queueName, {
      connection: bullConnection(opts.connection, 'producer'),
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
    queue.on('error', opts.onError ?? (() => undefined));
    return new BullMqJobs(queue, opts.attempts ?? 50, opts.keepFinishedSeconds ?? 7 * 24 * 3600);
  }

  async enqueue(kind: JobKind, requestId: string): Promise<void> {
    // If a job with this id exists (waiting, active, delayed, completed or failed), BullMQ keeps it and adds nothing.
    // A card job renders whatever is stored when it runs: once it has finished, the next change must be able to queue it again.
    const keep =
      kind === 'card'
        ? { removeOnComplete: true, removeOnFail: true }
        : { removeOnComplete: { age: this.keepSeconds }, removeOnFail: { age: this.keepSeconds } };
    await this.queue.add(
      kind,
      { requestId },
      {
        jobId: jobIdFor(kind, requestId),
        attempts: this.attempts,
        backoff: { type: CAPPED_EXPONENTIAL },
        ...keep,
      },
    );
  }

  async enqueueDecision(click: DecisionClick): Promise<void> {
    const keep = { removeOnComplete: { age: this.keepSeconds }, removeOnFail: { age: this.keepSeconds } };
    await this.queue.add(
      'decide',
      { requestId: click.requestId, click },
      { jobId: decisionJobId(click), attempts: this.attempts, backoff: { type: CAPPED_EXPONENTIAL }, ...keep },
    );
  }

  async wake(kind: JobKind, requestId: string): Promise<void> {
    const job = await this.queue.getJob(jobIdFor(kind, requestId));
    if (!job || !(await job.isDelayed())) return;
    // It may have started meanwhile (another replica woke it, or its delay ran out): nothing left to do then.
    await job.promote().catch(() => undefined);
  }

  async ensure(kind: JobKind, requestId: string): Promise<JobCheck> {
    const job = await this.queue.getJob(jobIdFor(kind, requestId));
    if (!job) {
      await this.enqueue(kind, requestId);
      return { found: 'missing' };
    }
    const lastError = job.failedReason || undefined;
    const state = await job.getState();
    if (state === 'failed') {
      // A failed job is kept (so a late duplicate is ignored), which also means enqueue() cannot bring it back: retry it.
      await job.retry('failed');
      return { found: 'failed', ...(lastError ? { lastError } : {}) };
    }
    if (state === 'completed') {
      // Finished, yet its request still needs it (e.g. state restored after a Redis failover): run it again.
      await job.remove();
      await this.enqueue(kind, requestId);
      return { found: 'finished', ...(lastError ? { lastError } : {}) };
    }
    return { found: 'live', ...(lastError ? { lastError } : {}) };
  }

  /** Jobs by state, read from Redis now: what /metrics reports as queue depth. */
  async depth(): Promise<{ queue: string; counts: Record<(typeof DEPTH_STATES)[number], number> }> {
    const c = await this.queue.getJobCounts(...DEPTH_STATES);
    return { queue: this.queue.name, counts: Object.fromEntries(DEPTH_STATES.map((s) => [s, c[s] ?? 0])) as Record<(typeof DEPTH_STATES)[number], number> };
  }

  /** The underlying queue, for health checks and tests. */
  get bullQueue(): Queue<JobData, void, JobKind> {
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
