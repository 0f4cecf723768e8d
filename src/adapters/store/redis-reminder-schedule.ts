/**
 * Expiry reminders as one due-set in Redis.
 *
 * Layout (under `<prefix>:`, the prefix's hash tag keeps both keys in one slot):
 *   reminders:due     ZSET  "<serial>|<step>" scored by when it is due (epoch ms)
 *   reminders:leased  ZSET  the same members, scored by when their lease ends
 *
 * A reminder costs one small zset entry (~100 bytes), where a delayed BullMQ job
 * is ~1 KB: what keeps 100k certificates within 2 KiB each. claimDue leases in
 * one script, so two replicas never take the same reminder; it stays in `due`
 * until ack(), so a replica that dies mid-send only delays it by the lease.
 */
import type { DueReminder, ReminderSchedule } from '../../ports.js';
import type { RedisClient } from '../redis/create-redis-client.js';
import { checkSerial } from './redis-certificate-inventory.js';
import { runScript } from './run-script.js';

export interface RedisReminderScheduleOptions {
  redis: RedisClient;
  /** Key prefix without a trailing `:`. */
  prefix: string;
}

// KEYS: due, leased. ARGV: now, limit, leaseUntil. Returns member, score pairs.
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

const STEP = /^[A-Za-z0-9._-]{1,40}$/;

function member(serial: string, step: string): string {
  checkSerial(serial);
  if (!STEP.test(step)) throw new Error(`Invalid reminder step ${JSON.stringify(step)}`);
  return `${serial}|${step}`;
}

function parse(m: string, score: string): DueReminder | undefined {
  const [serial, step] = m.split('|');
  return serial && step ? { serial, step, dueMs: Number(score) } : undefined;
}

export class RedisReminderSchedule implements ReminderSchedule {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static create(opts: RedisReminderScheduleOptions): RedisReminderSchedule {
    if (!opts.prefix || opts.prefix.endsWith(':'))
      throw new Error(`RedisReminderSchedule prefix must be non-empty, without a trailing ':' (got '${opts.prefix}')`);
    return new RedisReminderSchedule(opts.redis, opts.prefix);
  }

  async schedule(reminders: readonly DueReminder[]): Promise<number> {
    if (reminders.length === 0) return 0;
    const args = reminders.flatMap((r) => [String(Math.trunc(r.dueMs)), member(r.serial, r.step)]);
    return this.redis.zadd(this.dueKey(), 'NX', ...args);
  }

  async cancel(serial: string, steps: readonly string[]): Promise<void> {
    if (steps.length === 0) return;
    const members = steps.map((s) => member(serial, s));
    await this.redis
      .multi()
      .zrem(this.dueKey(), ...members)
      .zrem(this.leasedKey(), ...members)
      .exec();
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<DueReminder[]> {
    const flat = (await runScript(this.redis, CLAIM, [this.dueKey(), this.leasedKey()], [now.getTime(), limit, now.getTime() + leaseMs])) as string[];
    const out: DueReminder[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const r = parse(flat[i]!, flat[i + 1]!);
      if (r) out.push(r);
    }
    return out;
  }

  async ack(r: DueReminder): Promise<void> {
    const m = member(r.serial, r.step);
    await this.redis.multi().zrem(this.dueKey(), m).zrem(this.leasedKey(), m).exec();
  }

  async scheduled(reminders: readonly DueReminder[]): Promise<boolean[]> {
    if (reminders.length === 0) return [];
    const scores = await this.redis.zmscore(this.dueKey(), ...reminders.map((r) => member(r.serial, r.step)));
    return scores.map((s) => s !== null);
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
