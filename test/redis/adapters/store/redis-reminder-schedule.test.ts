import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisReminderSchedule } from '../../../../src/adapters/store/redis-reminder-schedule.js';
import { redisForSuite, redisUrlForTests } from '../../../support/redis.js';
import { reminderScheduleContract } from '../../../support/contracts/reminder-schedule.contract.js';

const suite = redisForSuite();

function open(name: string): { schedule: RedisReminderSchedule; prefix: string } {
  const prefix = suite.prefix(name);
  return { schedule: RedisReminderSchedule.create({ redis: suite.redis, prefix }), prefix };
}

reminderScheduleContract('RedisReminderSchedule', async () => ({ schedule: open('reminders-contract').schedule, close: async () => {} }));

describe('RedisReminderSchedule', () => {
  it('two claimers racing over 200 due reminders take each exactly once', async () => {
    const { prefix } = open('reminders-race');
    const other = new Redis(await redisUrlForTests());
    try {
      const a = RedisReminderSchedule.create({ redis: suite.redis, prefix });
      const b = RedisReminderSchedule.create({ redis: other, prefix });
      await a.schedule(Array.from({ length: 200 }, (_, i) => ({ serial: `0e${i}`, dueMs: i })));
      const taken: string[] = [];
      const drain = async (s: RedisReminderSchedule) => {
        for (;;) {
          const got = await s.claimDue(new Date(1000), 7, 60_000);
          if (got.length === 0) return;
          taken.push(...got.map((r) => r.serial));
        }
      };
      await Promise.all([drain(a), drain(b)]);
      expect(taken).toHaveLength(200);
      expect(new Set(taken).size).toBe(200);
    } finally {
      await other.quit();
    }
  });

  it('refuses a serial that is not one', async () => {
    const { schedule } = open('reminders-refuse');
    await expect(schedule.schedule([{ serial: 'a|b', dueMs: 1 }])).rejects.toThrow(/serial/);
    await expect(schedule.reschedule({ serial: 'a:b', dueMs: 1 })).rejects.toThrow(/serial/);
  });
});
