import { InMemoryReminderSchedule } from '../../../support/fakes/in-memory-reminder-schedule.js';
import { reminderScheduleContract } from '../../../support/contracts/reminder-schedule.contract.js';

reminderScheduleContract('InMemoryReminderSchedule', async () => ({ schedule: InMemoryReminderSchedule.create(), close: async () => {} }));
