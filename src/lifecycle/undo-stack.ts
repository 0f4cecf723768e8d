import type { Logger } from '../log/logger.js';

/** How long each step may take by default (main.ts cuts the whole shutdown at 10 s). */
export const STEP_DEADLINE_MS = 3_000;

/**
 * What start-up has started so far, undone in reverse: when start-up fails
 * or is stopped by a signal, and on shutdown. Each step gets a deadline and
 * a failing step does not stop the others: with Redis down, BullMQ's close()
 * waits for a connection that never comes.
 */
export class UndoStack {
  private readonly steps: Array<{ what: string; undo: () => unknown }> = [];

  constructor(
    private readonly log: Logger,
    private readonly deadlineMs = STEP_DEADLINE_MS,
  ) {}

  /** Registers how to undo something just started; `what` names it in logs. */
  push(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step, newest first, once. */
  async run(): Promise<void> {
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.deadlineMs)));
      const step = (async () => undo())().catch((err: unknown) => this.log.warn({ err, step: what }, 'error while stopping'));
      if ((await Promise.race([step, late])) === 'late') this.log.warn({ step: what, ms: this.deadlineMs }, 'a shutdown step did not finish in time; going on');
      clearTimeout(timer);
    }
  }
}
