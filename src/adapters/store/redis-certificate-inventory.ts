/**
 * The certificate inventory in Redis.
 *
 * Layout (every key under `<prefix>:`, which carries the {hash tag} on a Cluster):
 *   certificate:<serial>                  HASH  facts (JSON, fixed at issuance), status,
 *                                               replacedBy, remindedThrough (epoch ms)
 *   certificates:by-expiry                ZSET  serial scored by notAfter (epoch ms)
 *   certificates:by-requester:<slackId>   ZSET  serial scored by notAfter
 *
 * The facts are one JSON value and the mutable fields are separate hash fields, so
 * the compare-and-set scripts never decode JSON (cjson turns [] into {}).
 * Records have no TTL: retention (forgetExpiredBefore, run by the sweep) removes a
 * record and its index entries together, so no index ever points at a lost record.
 */
import { CERTIFICATE_STATUSES, type CertificateFactsRecord, type CertificateRecord, type CertificateStatus } from '../../domain/inventory.js';
import type { CertificateInventory } from '../../ports.js';
import type { RedisClient } from '../redis/create-redis-client.js';
import { refusePrivateKey } from './request-record.js';
import { runScript } from './run-script.js';

export interface RedisCertificateInventoryOptions {
  /** A connection the caller owns (and closes). */
  redis: RedisClient;
  /** Key prefix without a trailing `:`, as for RedisRequestStore. */
  prefix: string;
}

// KEYS: certificate, by-expiry, by-requester. ARGV: notAfter ms, serial, field/value pairs...
const RECORD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return {1, redis.call('HGETALL', KEYS[1])}
`;

// KEYS: certificate. ARGV: to, replacedBy ('' for none), from...
const SET_STATUS = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {0} end
for i = 3, #ARGV do
  if ARGV[i] == current then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'replacedBy', ARGV[2]) end
    return {1, redis.call('HGETALL', KEYS[1])}
  end
end
return {0}
`;

// KEYS: certificate. ARGV: due ms.
const MARK_REMINDED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local through = tonumber(redis.call('HGET', KEYS[1], 'remindedThrough') or '-1')
if through >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'remindedThrough', ARGV[1])
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

/** The record as hash fields: facts as one JSON value, the rest as plain strings. */
export function encodeCertificateRecord(cert: CertificateRecord): Array<[string, string]> {
  const { status, replacedBy, remindedThrough, ...facts } = cert;
  const json = JSON.stringify(facts satisfies CertificateFactsRecord);
  refusePrivateKey(json, 'a certificate record');
  const out: Array<[string, string]> = [
    ['facts', json],
    ['status', status],
  ];
  if (replacedBy !== undefined) out.push(['replacedBy', replacedBy]);
  if (remindedThrough !== undefined) out.push(['remindedThrough', String(remindedThrough)]);
  return out;
}

export function decodeCertificateRecord(fields: Record<string, string>): CertificateRecord | undefined {
  const facts = fields['facts'];
  const status = fields['status'];
  if (facts === undefined || !isStatus(status)) return undefined;
  const through = fields['remindedThrough'];
  return {
    ...(JSON.parse(facts) as CertificateFactsRecord),
    status,
    ...(fields['replacedBy'] !== undefined ? { replacedBy: fields['replacedBy'] } : {}),
    ...(through !== undefined ? { remindedThrough: Number(through) } : {}),
  };
}

function isStatus(s: string | undefined): s is CertificateStatus {
  return s !== undefined && (CERTIFICATE_STATUSES as readonly string[]).includes(s);
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
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
    if (!opts.prefix || opts.prefix.endsWith(':'))
      throw new Error(`RedisCertificateInventory prefix must be non-empty, without a trailing ':' (got '${opts.prefix}')`);
    return new RedisCertificateInventory(opts.redis, opts.prefix);
  }

  async record(cert: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }> {
    checkSerial(cert.serial);
    checkSlackId(cert.requesterId);
    const expiry = notAfterMs(cert);
    const fields = encodeCertificateRecord(cert);
    const [created, flat] = (await runScript(
      this.redis,
      RECORD,
      [this.key(cert.serial), this.byExpiryKey(), this.byRequesterKey(cert.requesterId)],
      [expiry, cert.serial, ...fields.flat()],
    )) as [number, string[]];
    const record = decodeCertificateRecord(pairs(flat));
    if (!record) throw new Error(`CertificateInventory.record: the stored record for ${cert.serial} is unreadable`);
    return { created: created === 1, record };
  }

  async get(serial: string): Promise<CertificateRecord | undefined> {
    if (!SERIAL.test(serial)) return undefined;
    return decodeCertificateRecord(await this.redis.hgetall(this.key(serial)));
  }

  async getMany(serials: readonly string[]): Promise<Array<CertificateRecord | undefined>> {
    if (serials.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const s of serials) pipe.hgetall(this.key(s));
    const res = (await pipe.exec()) ?? [];
    return res.map(([err, fields]) => {
      if (err) throw err;
      return decodeCertificateRecord(fields as Record<string, string>);
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
    const [ok, flat] = (await runScript(this.redis, SET_STATUS, [this.key(serial)], [to, replacedBy ?? '', ...from])) as [number, string[]?];
    return ok === 1 && flat ? decodeCertificateRecord(pairs(flat)) : undefined;
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
