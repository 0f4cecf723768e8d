/** What every ReminderSchedule must do: the Redis due-set and the in-memory fake. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ReminderSchedule } from '../../../src/ports.js';

export interface ScheduleHarness {
  schedule: ReminderSchedule;
  close(): Promise<void>;
}

export function reminderScheduleContract(name: string, open: () => Promise<ScheduleHarness>): void {
  describe(`ReminderSchedule contract: ${name}`, () => {
    let h: ScheduleHarness;
    let s: ReminderSchedule;
    beforeEach(async () => {
      h = await open();
      s = h.schedule;
    });
    afterEach(async () => {
      await h.close();
    });

    it('adds each reminder once, and says which are scheduled', async () => {
      const a = { serial: '0a1', step: 'expiry', dueMs: 2000 };
      const b = { serial: '0a1', step: '1d-before', dueMs: 1000 };
      expect(await s.schedule([a, b])).toBe(2);
      expect(await s.schedule([a, { ...b, dueMs: 5 }])).toBe(0);
      expect(await s.scheduled([a, b, { serial: '0a2', step: 'expiry', dueMs: 1 }])).toEqual([true, true, false]);
      expect(await s.size()).toBe(2);
    });

    it('claims due reminders soonest first, each by one claimer, until acked or the lease runs out', async () => {
      await s.schedule([
        { serial: '0b1', step: 'expiry', dueMs: 3000 },
        { serial: '0b2', step: 'expiry', dueMs: 1000 },
        { serial: '0b3', step: 'expiry', dueMs: 9000 },
      ]);
      const first = await s.claimDue(new Date(5000), 10, 1000);
      expect(first.map((r) => r.serial)).toEqual(['0b2', '0b1']);
      expect(first[0]!.dueMs).toBe(1000);
      // A second replica at the same moment gets nothing.
      expect(await s.claimDue(new Date(5000), 10, 1000)).toEqual([]);
      await s.ack(first[0]!);
      // The unacked one's lease ran out (its replica died): due again, once.
      const again = await s.claimDue(new Date(6500), 10, 1000);
      expect(again.map((r) => r.serial)).toEqual(['0b1']);
      expect(await s.scheduled([first[0]!, first[1]!])).toEqual([false, true]);
    });

    it('respects the claim limit', async () => {
      await s.schedule([1, 2, 3].map((i) => ({ serial: `0c${i}`, step: 'expiry', dueMs: i })));
      expect(await s.claimDue(new Date(10), 2, 1000)).toHaveLength(2);
      expect(await s.claimDue(new Date(10), 2, 1000)).toHaveLength(1);
    });

    it('cancels the given steps of a certificate, due or leased', async () => {
      await s.schedule([
        { serial: '0d1', step: 'at-67pct', dueMs: 1 },
        { serial: '0d1', step: 'expiry', dueMs: 100 },
        { serial: '0d2', step: 'expiry', dueMs: 100 },
      ]);
      await s.claimDue(new Date(10), 10, 10_000);
      await s.cancel('0d1', ['at-67pct', 'expiry', 'snooze']);
      expect(await s.claimDue(new Date(20_000), 10, 1000)).toEqual([{ serial: '0d2', step: 'expiry', dueMs: 100 }]);
    });
  });
}
