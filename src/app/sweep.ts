import type { Logger } from '../log/logger.js';
import { nextStep, type ReminderDeps } from './remind.js';
import type { Deps } from './deps.js';

/**
 * One pass of the product's sweep: finds what slipped (lost reminders,
 * stuck requests, records past retention) and puts it right. A pass must be
 * idempotent and cheap enough to run every few minutes at 100k certificates;
 * it returns counts for the log.
 */
export interface SweepPass {
  readonly name: string;
  run(now: Date): Promise<Record<string, number>>;
}

export type SweepReport = Record<string, Record<string, number> | { error: string }>;

/** Runs every pass; one that fails is logged and does not stop the others. */
export async function runSweep(log: Logger, passes: readonly SweepPass[], now: Date): Promise<SweepReport> {
  const report: SweepReport = {};
  for (const pass of passes) {
    const started = Date.now();
    try {
      report[pass.name] = await pass.run(now);
      log.info({ pass: pass.name, ...report[pass.name], ms: Date.now() - started }, 'sweep pass done');
    } catch (err) {
      report[pass.name] = { error: err instanceof Error ? err.message : String(err) };
      log.error({ err, pass: pass.name }, 'sweep pass failed');
    }
  }
  return report;
}

/**
 * Recreates any missing reminder of a certificate not yet expired (after
 * Redis data loss, deleted keys, a crash between recording and scheduling).
 * Pages through the expiry index: one read of a page of records and one
 * ZADD NX of each certificate's next rung per page, so what is already
 * scheduled costs nothing.
 */
export function reminderPass(deps: Omit<ReminderDeps, 'clock'> & Pick<Deps, 'inventory'>, pageSize = 1000): SweepPass {
  return {
    name: 'reminders',
    async run(now) {
      let certificates = 0;
      let restored = 0;
      let cursor: { serial: string; notAfterMs: number } | undefined;
      for (;;) {
        const page = await deps.inventory.page(now.getTime(), pageSize, cursor);
        if (page.length === 0) break;
        cursor = page.at(-1);
        const records = await deps.inventory.getMany(page.map((p) => p.serial));
        const wanted = records.flatMap((r) => {
          const next = r ? nextStep(deps, r, now.getTime()) : undefined;
          return r && next ? [{ serial: r.serial, dueMs: next.dueMs }] : [];
        });
        certificates += page.length;
        restored += await deps.reminders.schedule(wanted);
        if (page.length < pageSize) break;
      }
      return { certificates, restored };
    },
  };
}

/** Forgets certificates expired longer than the retention, and audit events older than it. */
export function retentionPass(deps: Deps, retentionMs: number): SweepPass {
  return {
    name: 'retention',
    async run(now) {
      const horizon = new Date(now.getTime() - retentionMs);
      let forgotten = 0;
      for (;;) {
        const n = await deps.inventory.forgetExpiredBefore(horizon, 1000);
        forgotten += n;
        if (n < 1000) break;
      }
      await deps.audit.trim(horizon);
      return { forgotten };
    },
  };
}
