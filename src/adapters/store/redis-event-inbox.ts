import type { RedisClient } from '../redis/create-redis-client.js';
import type { EventInbox, InboxEntry } from '../../ports.js';
import { runScript } from './run-script.js';

/** Longer than the inbox pass keeps trying (a day), so an open entry never expires unanswered. */
const TTL_SECONDS = 2 * 24 * 3600;

// KEYS: entry, open set. ARGV: entry JSON, received at (ms), ttl, member.
const RECORD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return 1`;

// KEYS: entry, open set. ARGV: member, ttl.
const DONE = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], 'done', 'EX', ARGV[2])
return 1`;

/**
 * The inbox in Redis: one key per DM message (`inbox:<channel>-<ts>`, the
 * entry's JSON while open, `done` for a day after), and a sorted set of the
 * open ones by the time they arrived.
 */
export class RedisEventInbox implements EventInbox {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static create(deps: { redis: RedisClient; prefix: string }): RedisEventInbox {
    return new RedisEventInbox(deps.redis, deps.prefix);
  }

  private key(member: string): string {
    return `${this.prefix}:inbox:${member}`;
  }

  private get openSet(): string {
    return `${this.prefix}:inbox-open`;
  }

  async record(entry: InboxEntry): Promise<boolean> {
    const member = memberOf(entry.channel, entry.ts);
    const json = JSON.stringify(entry);
    return (await runScript(this.redis, RECORD, [this.key(member), this.openSet], [json, entry.receivedAtMs, TTL_SECONDS, member])) === 1;
  }

  async done(channel: string, ts: string): Promise<void> {
    const member = memberOf(channel, ts);
    await runScript(this.redis, DONE, [this.key(member), this.openSet], [member, TTL_SECONDS]);
  }

  async openBefore(beforeMs: number, limit: number): Promise<InboxEntry[]> {
    const members = await this.redis.zrangebyscore(this.openSet, '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
    if (members.length === 0) return [];
    const values = await this.redis.mget(...members.map((m) => this.key(m)));
    const entries: InboxEntry[] = [];
    const stale: string[] = [];
    values.forEach((v, i) => {
      if (v === null || v === 'done') stale.push(members[i]!);
      else entries.push(JSON.parse(v) as InboxEntry);
    });
    if (stale.length > 0) await this.redis.zrem(this.openSet, ...stale);
    return entries;
  }
}

const memberOf = (channel: string, ts: string) => `${channel}-${ts}`;
