/**
 * Jobs in memory, for unit tests of use cases. Like BullMqJobs, a (kind,
 * request id) pair is enqueued at most once, for good: a job that already ran
 * is not added again. runAll() plays the worker.
 */
import { NotYet, type DecisionClick, type JobCheck, type JobKind, type Jobs } from '../../../src/ports.js';

export interface EnqueuedJob {
  kind: JobKind;
  requestId: string;
}

export type InMemoryJobHandlers = Partial<Record<JobKind, (requestId: string, data?: { requestId: string; click?: DecisionClick }) => Promise<void>>>;

interface Entry extends EnqueuedJob {
  id: string;
  done: boolean;
  attemptsMade: number;
  /** Set when the handler said NotYet: the job waits for the next runAll. */
  parked: boolean;
  click?: DecisionClick;
  /** The message of the handler's last error, as BullMQ's failedReason. */
  lastError?: string;
}

export class InMemoryJobs implements Jobs {
  private readonly entries = new Map<string, Entry>();

  static create(): InMemoryJobs {
    return new InMemoryJobs();
  }

  async enqueue(kind: JobKind, requestId: string): Promise<void> {
    const id = `${kind}-${requestId}`;
    const e = this.entries.get(id);
    // As BullMqJobs: a card job is not kept once done, so the next change queues it again.
    if (!e || (kind === 'card' && e.done)) this.entries.set(id, { id, kind, requestId, done: false, attemptsMade: 0, parked: false });
  }

  async enqueueDecision(click: DecisionClick): Promise<void> {
    const id = `decide-${click.requestId}-${click.userId}-${click.clickId}`;
    if (!this.entries.has(id)) this.entries.set(id, { id, kind: 'decide', requestId: click.requestId, click, done: false, attemptsMade: 0, parked: false });
  }

  /** Parked jobs run in the next runAll() anyway; wake() is recorded for tests. */
  readonly woken: EnqueuedJob[] = [];

  async wake(kind: JobKind, requestId: string): Promise<void> {
    this.woken.push({ kind, requestId });
  }

  /** Not yet run successfully: live (a failed run is retried by the next runAll, as BullMQ retries until its attempts run out). */
  async ensure(kind: JobKind, requestId: string): Promise<JobCheck> {
    const e = this.entries.get(`${kind}-${requestId}`);
    const lastError = e?.lastError ? { lastError: e.lastError } : {};
    if (e && !e.done) return { found: 'live', ...lastError };
    this.entries.delete(`${kind}-${requestId}`);
    await this.enqueue(kind, requestId);
    return { found: e ? 'finished' : 'missing', ...lastError };
  }

  /** Every job ever enqueued, once each, in order. */
  get enqueued(): EnqueuedJob[] {
    return [...this.entries.values()].map(({ kind, requestId }) => ({ kind, requestId }));
  }

  /** Jobs not yet run successfully. */
  get pending(): EnqueuedJob[] {
    return [...this.entries.values()].filter((e) => !e.done).map(({ kind, requestId }) => ({ kind, requestId }));
  }

  /**
   * Runs pending jobs in order, including jobs the handlers enqueue, until none
   * is left. A handler that throws stops the run with its error and leaves its
   * job pending, so a second runAll() is the retry. A handler that throws NotYet
   * parks its job until the next runAll() (the delay is not simulated). A kind
   * with no handler is an error.
   */
  async runAll(handlers: InMemoryJobHandlers, opts: { maxJobs?: number } = {}): Promise<EnqueuedJob[]> {
    const ran: EnqueuedJob[] = [];
    const max = opts.maxJobs ?? 1000;
    for (const e of this.entries.values()) e.parked = false;
    for (;;) {
      const next = [...this.entries.values()].find((e) => !e.done && !e.parked);
      if (!next) return ran;
      if (ran.length >= max) throw new Error(`InMemoryJobs.runAll: more than ${max} jobs; a job keeps enqueueing another?`);
      const handler = handlers[next.kind];
      if (!handler) throw new Error(`InMemoryJobs.runAll: no handler for '${next.kind}' (job ${next.id})`);
      try {
        await handler(next.requestId, { requestId: next.requestId, ...(next.click ? { click: next.click } : {}) });
      } catch (e) {
        if (!(e instanceof NotYet)) {
          next.lastError = e instanceof Error ? e.message : String(e);
          throw e;
        }
        next.parked = true;
        continue;
      } finally {
        next.attemptsMade += 1;
      }
      next.done = true;
      ran.push({ kind: next.kind, requestId: next.requestId });
    }
  }
}
