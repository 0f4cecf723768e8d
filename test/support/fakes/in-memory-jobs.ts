/**
 * Jobs in memory, for unit tests of use cases. Like BullMqJobs, a (kind,
 * request id) pair is enqueued at most once, for good: a job that already ran
 * is not added again. runAll() plays the worker.
 */
import type { JobKind, Jobs } from '../../../src/ports.js';

export interface EnqueuedJob {
  kind: JobKind;
  requestId: string;
}

export type InMemoryJobHandlers = Partial<Record<JobKind, (requestId: string) => Promise<void>>>;

interface Entry extends EnqueuedJob {
  id: string;
  done: boolean;
  attemptsMade: number;
}

export class InMemoryJobs implements Jobs {
  private readonly entries = new Map<string, Entry>();

  static create(): InMemoryJobs {
    return new InMemoryJobs();
  }

  async enqueue(kind: JobKind, requestId: string): Promise<void> {
    const id = `${kind}-${requestId}`;
    if (!this.entries.has(id)) this.entries.set(id, { id, kind, requestId, done: false, attemptsMade: 0 });
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
   * job pending, so a second runAll() is the retry. A kind with no handler is an error.
   */
  async runAll(handlers: InMemoryJobHandlers, opts: { maxJobs?: number } = {}): Promise<EnqueuedJob[]> {
    const ran: EnqueuedJob[] = [];
    const max = opts.maxJobs ?? 1000;
    for (;;) {
      const next = [...this.entries.values()].find((e) => !e.done);
      if (!next) return ran;
      if (ran.length >= max) throw new Error(`InMemoryJobs.runAll: more than ${max} jobs; a job keeps enqueueing another?`);
      const handler = handlers[next.kind];
      if (!handler) throw new Error(`InMemoryJobs.runAll: no handler for '${next.kind}' (job ${next.id})`);
      try {
        await handler(next.requestId);
      } finally {
        next.attemptsMade += 1;
      }
      next.done = true;
      ran.push({ kind: next.kind, requestId: next.requestId });
    }
  }
}
