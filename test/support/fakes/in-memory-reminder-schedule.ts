/** ReminderSchedule in memory: the same contract suite as the Redis due-set. */
import type { DueReminder, ReminderSchedule } from '../../../src/ports.js';

export class InMemoryReminderSchedule implements ReminderSchedule {
  private readonly due = new Map<string, DueReminder>();
  private readonly leased = new Map<string, number>();

  static create(): InMemoryReminderSchedule {
    return new InMemoryReminderSchedule();
  }

  /** Everything scheduled, soonest first (for assertions). */
  get all(): DueReminder[] {
    return [...this.due.values()].sort((a, b) => a.dueMs - b.dueMs || (key(a) < key(b) ? -1 : 1));
  }

  async schedule(reminders: readonly DueReminder[]): Promise<number> {
    let added = 0;
    for (const r of reminders) {
      if (this.due.has(key(r))) continue;
      this.due.set(key(r), { serial: r.serial, step: r.step, dueMs: Math.trunc(r.dueMs) });
      added += 1;
    }
    return added;
  }

  async cancel(serial: string, steps: readonly string[]): Promise<void> {
    for (const step of steps) {
      this.due.delete(key({ serial, step }));
      this.leased.delete(key({ serial, step }));
    }
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<DueReminder[]> {
    for (const [k, until] of this.leased) if (until <= now.getTime()) this.leased.delete(k);
    const out: DueReminder[] = [];
    for (const r of this.all) {
      if (out.length >= limit || r.dueMs > now.getTime()) break;
      if (this.leased.has(key(r))) continue;
      this.leased.set(key(r), now.getTime() + leaseMs);
      out.push(r);
    }
    return out;
  }

  async ack(r: DueReminder): Promise<void> {
    this.due.delete(key(r));
    this.leased.delete(key(r));
  }

  async scheduled(reminders: readonly DueReminder[]): Promise<boolean[]> {
    return reminders.map((r) => this.due.has(key(r)));
  }

  async size(): Promise<number> {
    return this.due.size;
  }
}

function key(r: { serial: string; step: string }): string {
  return `${r.serial}|${r.step}`;
}
