/**
 * Expiry reminders as one due-set in Redis.
 *
 * Layout (under `<prefix>:`, the prefix's hash tag keeps both keys in one slot):
 *   reminders:due     ZSET  serial scored by when its next reminder is due (epoch ms)
 *   reminders:leased  ZSET  serials being sent, scored by when their lease ends
 *
 * Only each certificate's next reminder is stored, one small zset entry (~145
 * bytes), where a delayed BullMQ job is ~860: what keeps 100k certificates
 * within 2 KiB each. claimDue leases in one script, so two replicas never take
 * the same reminder; it stays in `due` until complete() moves it to the next
 * rung, so a replica that dies mid-send only delays it by the lease.
 */
import type { DueReminder, ReminderSchedule } from '../../ports.js';
import type { RedisClient } from '../redis/create-redis-client.js';
import { checkSerial } from './redis-certificate-inventory.js';
import { runScript } from './run-script.js';
import { checkKeyPrefix } from './key-prefix.js';

export interface RedisReminderScheduleOptions {
  redis: RedisClient;
  /** Key prefix without a trailing `:`. */
  prefix: string;
}

// KEYS: due, leased. ARGV: now, limit, leaseUntil. Returns serial, score pairs.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local limit = tonumber(ARGV[2])
local leased = redis.call('ZCARD', KEYS[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit + leased)
local out = {}
for i = 1, #due, 2 do
  if #out >= limit * 2 then break end
  if not redis.call('ZSCORE', KEYS[2], due[i]) then
    redis.call('ZADD', KEYS[2], ARGV[3], due[i])
    out[#out + 1] = due[i]
    out[#out + 1] = due[i + 1]
  end
end
return out
`;

// KEYS: due, leased. ARGV: serial, claimed due ms, next due ms ('' for none).
const COMPLETE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

export class RedisReminderSchedule implements ReminderSchedule {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static create(opts: RedisReminderScheduleOptions): RedisReminderSchedule {
    checkKeyPrefix('RedisReminderSchedule', opts.prefix);
    return new RedisReminderSchedule(opts.redis, opts.prefix);
  }

  async schedule(reminders: readonly DueReminder[]): Promise<number> {
    if (reminders.length === 0) return 0;
    for (const r of reminders) checkSerial(r.serial);
    return this.redis.zadd(this.dueKey(), 'NX', ...reminders.flatMap((r) => [String(Math.trunc(r.dueMs)), r.serial]));
  }

  async reschedule(r: DueReminder): Promise<void> {
    checkSerial(r.serial);
    await this.redis.zadd(this.dueKey(), String(Math.trunc(r.dueMs)), r.serial);
  }

  async cancel(serial: string): Promise<void> {
    checkSerial(serial);
    await this.redis.multi().zrem(this.dueKey(), serial).zrem(this.leasedKey(), serial).exec();
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<DueReminder[]> {
    const flat = (await runScript(this.redis, CLAIM, [this.dueKey(), this.leasedKey()], [now.getTime(), limit, now.getTime() + leaseMs])) as string[];
    const out: DueReminder[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ serial: flat[i]!, dueMs: Number(flat[i + 1]) });
    return out;
  }

  async complete(r: DueReminder, nextDueMs: number | undefined): Promise<void> {
    checkSerial(r.serial);
    await runScript(
      this.redis,
      COMPLETE,
      [this.dueKey(), this.leasedKey()],
      [r.serial, Math.trunc(r.dueMs), nextDueMs === undefined ? '' : Math.trunc(nextDueMs)],
    );
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.dueKey());
  }

  private dueKey(): string {
    return `${this.prefix}:reminders:due`;
  }
  private leasedKey(): string {
    return `${this.prefix}:reminders:leased`;
  }
}
