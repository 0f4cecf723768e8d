/** ReminderSchedule in memory: the same contract suite as the Redis due-set. */
import type { DueReminder, ReminderSchedule } from '../../../src/ports.js';
import { checkSerial } from '../../../src/adapters/store/redis-certificate-inventory.js';

export class InMemoryReminderSchedule implements ReminderSchedule {
  private readonly due = new Map<string, number>();
  private readonly leased = new Map<string, number>();

  static create(): InMemoryReminderSchedule {
    return new InMemoryReminderSchedule();
  }

  /** Everything scheduled, soonest first (for assertions). */
  get all(): DueReminder[] {
    return [...this.due.entries()].map(([serial, dueMs]) => ({ serial, dueMs })).sort((a, b) => a.dueMs - b.dueMs || (a.serial < b.serial ? -1 : 1));
  }

  async schedule(reminders: readonly DueReminder[]): Promise<number> {
    let added = 0;
    for (const r of reminders) {
      checkSerial(r.serial);
      if (this.due.has(r.serial)) continue;
      this.due.set(r.serial, Math.trunc(r.dueMs));
      added += 1;
    }
    return added;
  }

  async reschedule(r: DueReminder): Promise<void> {
    checkSerial(r.serial);
    this.due.set(r.serial, Math.trunc(r.dueMs));
  }

  async cancel(serial: string): Promise<void> {
    this.due.delete(serial);
    this.leased.delete(serial);
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<DueReminder[]> {
    for (const [k, until] of this.leased) if (until <= now.getTime()) this.leased.delete(k);
    const out: DueReminder[] = [];
    for (const r of this.all) {
      if (out.length >= limit || r.dueMs > now.getTime()) break;
      if (this.leased.has(r.serial)) continue;
      this.leased.set(r.serial, now.getTime() + leaseMs);
      out.push(r);
    }
    return out;
  }

  async complete(r: DueReminder, nextDueMs: number | undefined): Promise<void> {
    if (this.due.get(r.serial) === Math.trunc(r.dueMs)) {
      if (nextDueMs === undefined) this.due.delete(r.serial);
      else this.due.set(r.serial, Math.trunc(nextDueMs));
    }
    this.leased.delete(r.serial);
  }

  async size(): Promise<number> {
    return this.due.size;
  }
}
