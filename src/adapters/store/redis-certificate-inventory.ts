/**
 * The certificate inventory in Redis.
 *
 * Layout (every key under `<prefix>:`, which carries the {hash tag} on a Cluster):
 *   certificate:<serial>                  STRING <status> TAB <remindedThrough> TAB <replacedBy> LF <facts JSON>
 *   certificates:by-expiry                ZSET  serial scored by notAfter (epoch ms)
 *   certificates:by-requester:<slackId>   ZSET  serial scored by notAfter
 *
 * One string, not a hash: a hash whose facts exceed 64 bytes is stored as a hashtable,
 * ~200 bytes more per certificate (bench/reminders). The mutable fields sit in a
 * one-line header, so the compare-and-set scripts rewrite it without decoding the
 * JSON (cjson would turn [] into {}).
 * Records have no TTL: retention (forgetExpiredBefore, run by the sweep) removes a
 * record and its index entries together, so no index ever points at a lost record.
 */
import { CERTIFICATE_STATUSES, type CertificateFactsRecord, type CertificateRecord, type CertificateStatus } from '../../domain/inventory.js';
import type { CertificateInventory } from '../../ports.js';
import type { RedisClient } from '../redis/create-redis-client.js';
import { refusePrivateKey } from './request-record.js';
import { runScript } from './run-script.js';
import { checkKeyPrefix } from './key-prefix.js';

export interface RedisCertificateInventoryOptions {
  /** A connection the caller owns (and closes). */
  redis: RedisClient;
  /** Key prefix without a trailing `:`, as for RedisRequestStore. */
  prefix: string;
}

// KEYS: certificate, by-expiry, by-requester. ARGV: notAfter ms, serial, record.
const RECORD = `
if not redis.call('SET', KEYS[1], ARGV[3], 'NX') then return {0, redis.call('GET', KEYS[1])} end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return {1, ARGV[3]}
`;

// Splits "<status> TAB <remindedThrough> TAB <replacedBy> LF <facts>" without touching the facts.
const HEADER = `
local function read(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local nl = string.find(v, '\\n', 1, true)
  local head = string.sub(v, 1, nl - 1)
  local t1 = string.find(head, '\\t', 1, true)
  local t2 = string.find(head, '\\t', t1 + 1, true)
  return {status = string.sub(head, 1, t1 - 1), through = string.sub(head, t1 + 1, t2 - 1), replacedBy = string.sub(head, t2 + 1), facts = string.sub(v, nl + 1)}
end
local function write(key, r)
  local v = r.status .. '\\t' .. r.through .. '\\t' .. r.replacedBy .. '\\n' .. r.facts
  redis.call('SET', key, v, 'KEEPTTL')
  return v
end
`;

// KEYS: certificate. ARGV: to, replacedBy ('' for none), from...
const SET_STATUS = `${HEADER}
local r = read(KEYS[1])
if not r then return {0} end
for i = 3, #ARGV do
  if ARGV[i] == r.status then
    r.status = ARGV[1]
    if ARGV[2] ~= '' then r.replacedBy = ARGV[2] end
    return {1, write(KEYS[1], r)}
  end
end
return {0}
`;

// KEYS: certificate. ARGV: due ms.
const MARK_REMINDED = `${HEADER}
local r = read(KEYS[1])
if not r then return 0 end
if (tonumber(r.through) or -1) >= tonumber(ARGV[1]) then return 0 end
r.through = ARGV[1]
write(KEYS[1], r)
return 1
`;

const SERIAL = /^[0-9A-Za-z]{1,128}$/;
const SLACK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Serials and Slack ids become parts of keys: a `:` or `|` in one could reach another record's keys. */
export function checkSerial(serial: string): void {
  if (!SERIAL.test(serial))
    throw new Error(`Invalid certificate serial ${JSON.stringify(serial)}: use 1-128 letters and digits (hex as the certificate shows it)`);
}
function checkSlackId(id: string): void {
  if (!SLACK_ID.test(id)) throw new Error(`Invalid Slack user id ${JSON.stringify(id)}: use letters, digits, _ and -`);
}

/** The record as stored: a one-line header of the mutable fields, then the facts as JSON (which has no raw newline). */
export function encodeCertificateRecord(cert: CertificateRecord): string {
  const { status, replacedBy, remindedThrough, ...facts } = cert;
  const json = JSON.stringify(facts satisfies CertificateFactsRecord);
  refusePrivateKey(json, 'a certificate record');
  if (replacedBy !== undefined) checkSerial(replacedBy);
  return `${status}\t${remindedThrough === undefined ? '' : String(Math.trunc(remindedThrough))}\t${replacedBy ?? ''}\n${json}`;
}

export function decodeCertificateRecord(stored: string | null | undefined): CertificateRecord | undefined {
  if (!stored) return undefined;
  const nl = stored.indexOf('\n');
  const [status, through = '', replacedBy = ''] = stored.slice(0, nl).split('\t');
  if (nl < 0 || !isStatus(status)) return undefined;
  return {
    ...(JSON.parse(stored.slice(nl + 1)) as CertificateFactsRecord),
    status,
    ...(replacedBy !== '' ? { replacedBy } : {}),
    ...(through !== '' ? { remindedThrough: Number(through) } : {}),
  };
}

function isStatus(s: string | undefined): s is CertificateStatus {
  return s !== undefined && (CERTIFICATE_STATUSES as readonly string[]).includes(s);
}

export function notAfterMs(cert: { notAfter: string }): number {
  const ms = Date.parse(cert.notAfter);
  if (Number.isNaN(ms)) throw new Error(`Certificate notAfter '${cert.notAfter}' is not a date`);
  return ms;
}

export class RedisCertificateInventory implements CertificateInventory {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static create(opts: RedisCertificateInventoryOptions): RedisCertificateInventory {
    checkKeyPrefix('RedisCertificateInventory', opts.prefix);
    return new RedisCertificateInventory(opts.redis, opts.prefix);
  }

  async record(cert: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }> {
    checkSerial(cert.serial);
    checkSlackId(cert.requesterId);
    const expiry = notAfterMs(cert);
    const [created, stored] = (await runScript(
      this.redis,
      RECORD,
      [this.key(cert.serial), this.byExpiryKey(), this.byRequesterKey(cert.requesterId)],
      [expiry, cert.serial, encodeCertificateRecord(cert)],
    )) as [number, string];
    const record = decodeCertificateRecord(stored);
    if (!record) throw new Error(`CertificateInventory.record: the stored record for ${cert.serial} is unreadable`);
    return { created: created === 1, record };
  }

  async get(serial: string): Promise<CertificateRecord | undefined> {
    if (!SERIAL.test(serial)) return undefined;
    return decodeCertificateRecord(await this.redis.get(this.key(serial)));
  }

  async getMany(serials: readonly string[]): Promise<Array<CertificateRecord | undefined>> {
    if (serials.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const s of serials) pipe.get(this.key(s));
    const res = (await pipe.exec()) ?? [];
    return res.map(([err, stored]) => {
      if (err) throw err;
      return decodeCertificateRecord(stored as string | null);
    });
  }

  async byRequester(slackUserId: string): Promise<CertificateRecord[]> {
    if (!SLACK_ID.test(slackUserId)) return [];
    const serials = await this.redis.zrange(this.byRequesterKey(slackUserId), '0', '-1');
    return present(await this.getMany(serials));
  }

  async expiringBefore(until: Date, limit = 1000): Promise<CertificateRecord[]> {
    const serials = await this.redis.zrangebyscore(this.byExpiryKey(), '-inf', `(${until.getTime()}`, 'LIMIT', 0, limit);
    return present(await this.getMany(serials));
  }

  async validAt(at: Date, limit = 1000): Promise<CertificateRecord[]> {
    const serials = await this.redis.zrangebyscore(this.byExpiryKey(), `(${at.getTime()}`, '+inf', 'LIMIT', 0, limit);
    return present(await this.getMany(serials));
  }

  async setStatus(serial: string, from: readonly CertificateStatus[], to: CertificateStatus, replacedBy?: string): Promise<CertificateRecord | undefined> {
    checkSerial(serial);
    if (from.length === 0) throw new Error(`CertificateInventory.setStatus to '${to}' needs at least one 'from' status`);
    if (replacedBy !== undefined) checkSerial(replacedBy);
    const [ok, stored] = (await runScript(this.redis, SET_STATUS, [this.key(serial)], [to, replacedBy ?? '', ...from])) as [number, string?];
    return ok === 1 ? decodeCertificateRecord(stored) : undefined;
  }

  async markReminded(serial: string, dueMs: number): Promise<boolean> {
    checkSerial(serial);
    return (await runScript(this.redis, MARK_REMINDED, [this.key(serial)], [Math.trunc(dueMs)])) === 1;
  }

  async page(fromMs: number, count: number, cursor?: { notAfterMs: number; serial: string }): Promise<Array<{ serial: string; notAfterMs: number }>> {
    // Same-score members come in serial order, so (score, serial) is a total order to resume from.
    const min = cursor ? cursor.notAfterMs : fromMs;
    const out: Array<{ serial: string; notAfterMs: number }> = [];
    let offset = 0;
    for (;;) {
      const flat = await this.redis.zrangebyscore(this.byExpiryKey(), min, '+inf', 'WITHSCORES', 'LIMIT', offset, count + 1);
      if (flat.length === 0) return out;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const serial = flat[i]!;
        const score = Number(flat[i + 1]);
        if (cursor && score === cursor.notAfterMs && serial <= cursor.serial) continue;
        out.push({ serial, notAfterMs: score });
        if (out.length === count) return out;
      }
      offset += flat.length / 2;
    }
  }

  async forgetExpiredBefore(before: Date, limit = 1000): Promise<number> {
    const serials = await this.redis.zrangebyscore(this.byExpiryKey(), '-inf', `(${before.getTime()}`, 'LIMIT', 0, limit);
    if (serials.length === 0) return 0;
    const records = await this.getMany(serials);
    const tx = this.redis.multi();
    serials.forEach((serial, i) => {
      tx.del(this.key(serial));
      tx.zrem(this.byExpiryKey(), serial);
      const holder = records[i]?.requesterId;
      if (holder) tx.zrem(this.byRequesterKey(holder), serial);
    });
    const res = await tx.exec();
    if (!res) throw new Error('Redis MULTI was aborted');
    for (const [err] of res) if (err) throw err;
    return serials.length;
  }

  private key(serial: string): string {
    return `${this.prefix}:certificate:${serial}`;
  }
  private byExpiryKey(): string {
    return `${this.prefix}:certificates:by-expiry`;
  }
  private byRequesterKey(slackUserId: string): string {
    return `${this.prefix}:certificates:by-requester:${slackUserId}`;
  }
}

function present(records: Array<CertificateRecord | undefined>): CertificateRecord[] {
  return records.filter((r): r is CertificateRecord => r !== undefined);
}
