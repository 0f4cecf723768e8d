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

    it('keeps one next reminder per certificate: schedule adds it once, reschedule moves it', async () => {
      expect(await s.schedule([{ serial: '0a1', dueMs: 2000 }])).toBe(1);
      expect(await s.schedule([{ serial: '0a1', dueMs: 5 }])).toBe(0);
      expect(await s.claimDue(new Date(1000), 10, 1000)).toEqual([]);
      await s.reschedule({ serial: '0a1', dueMs: 500 });
      expect(await s.claimDue(new Date(1000), 10, 1000)).toEqual([{ serial: '0a1', dueMs: 500 }]);
      expect(await s.size()).toBe(1);
    });

    it('claims due reminders soonest first, each by one claimer, until completed or the lease runs out', async () => {
      await s.schedule([
        { serial: '0b1', dueMs: 3000 },
        { serial: '0b2', dueMs: 1000 },
        { serial: '0b3', dueMs: 9000 },
      ]);
      const first = await s.claimDue(new Date(5000), 10, 1000);
      expect(first).toEqual([
        { serial: '0b2', dueMs: 1000 },
        { serial: '0b1', dueMs: 3000 },
      ]);
      // A second replica at the same moment gets nothing.
      expect(await s.claimDue(new Date(5000), 10, 1000)).toEqual([]);
      await s.complete(first[0]!, undefined);
      // The other's lease ran out (its replica died): due again, once.
      expect(await s.claimDue(new Date(6500), 10, 1000)).toEqual([{ serial: '0b1', dueMs: 3000 }]);
      expect(await s.size()).toBe(2);
    });

    it('completing moves the certificate to its next rung, unless a snooze moved it meanwhile', async () => {
      await s.schedule([
        { serial: '0c1', dueMs: 100 },
        { serial: '0c2', dueMs: 100 },
      ]);
      const [a, b] = await s.claimDue(new Date(200), 10, 10_000);
      await s.complete(a!, 5000);
      await s.reschedule({ serial: '0c2', dueMs: 7000 });
      await s.complete(b!, 300);
      const [again] = await s.claimDue(new Date(6000), 10, 1000);
      expect(again).toEqual({ serial: '0c1', dueMs: 5000 });
      await s.complete(again!, undefined);
      expect(await s.claimDue(new Date(8000), 10, 1000)).toEqual([{ serial: '0c2', dueMs: 7000 }]);
    });

    it('respects the claim limit', async () => {
      await s.schedule([1, 2, 3].map((i) => ({ serial: `0d${i}`, dueMs: i })));
      expect(await s.claimDue(new Date(10), 2, 1000)).toHaveLength(2);
      expect(await s.claimDue(new Date(10), 2, 1000)).toHaveLength(1);
    });

    it('cancels a certificate’s reminder, due or leased', async () => {
      await s.schedule([
        { serial: '0e1', dueMs: 1 },
        { serial: '0e2', dueMs: 100 },
      ]);
      await s.claimDue(new Date(10), 10, 10_000);
      await s.cancel('0e1');
      expect(await s.claimDue(new Date(20_000), 10, 1000)).toEqual([{ serial: '0e2', dueMs: 100 }]);
      expect(await s.size()).toBe(1);
    });
  });
}
