/**
 * The audit trail as one Redis stream, `<prefix>:audit`: one entry per event,
 * its JSON in field `e`. XADD trims to about `maxLength` entries; trim() drops
 * entries older than the retention (stream ids are timestamps, so MINID does it
 * without reading them).
 */
import type { AuditEvent, AuditLog } from '../../ports.js';
import type { RedisClient } from '../redis/create-redis-client.js';
import { refusePrivateKey } from './request-record.js';
import { checkKeyPrefix } from './key-prefix.js';

export interface RedisAuditLogOptions {
  redis: RedisClient;
  prefix: string;
  /** About how many events are kept at most. Default 1,000,000. */
  maxLength?: number;
}

const PAGE = 500;

export class RedisAuditLog implements AuditLog {
  private constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly maxLength: number,
  ) {}

  static create(opts: RedisAuditLogOptions): RedisAuditLog {
    checkKeyPrefix('RedisAuditLog', opts.prefix);
    return new RedisAuditLog(opts.redis, `${opts.prefix}:audit`, opts.maxLength ?? 1_000_000);
  }

  async append(event: AuditEvent): Promise<void> {
    const json = JSON.stringify(event);
    refusePrivateKey(json, 'an audit event');
    await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLength), '*', 'e', json);
  }

  async *read(since: Date): AsyncIterable<AuditEvent> {
    let start = String(since.getTime());
    for (;;) {
      const entries = await this.redis.xrange(this.key, start, '+', 'COUNT', PAGE);
      for (const [, fields] of entries) {
        const json = fields[fields.indexOf('e') + 1];
        if (json !== undefined) yield JSON.parse(json) as AuditEvent;
      }
      if (entries.length < PAGE) return;
      start = `(${entries.at(-1)![0]}`;
    }
  }

  async trim(before: Date): Promise<void> {
    await this.redis.xtrim(this.key, 'MINID', '~', String(before.getTime()));
  }
}
