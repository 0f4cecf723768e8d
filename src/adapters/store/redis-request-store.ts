/**
 * Requests in Redis.
 *
 * Layout (every key under `<prefix>:`):
 *   request:<id>              HASH  one field per CertificateRequest field, each JSON-encoded
 *                                   (approvals excepted). Field-per-value lets Lua compare and
 *                                   set `state` without cjson, whose `{}`/`[]` confusion would
 *                                   corrupt empty arrays on a round trip.
 *   request:<id>:approvals    HASH  userId -> Approval JSON; HSETNX so each approver counts once
 *   request:<id>:once:<what>  STRING one-time flags (SET NX; forget() deletes)
 *   by-requester:<userId>     ZSET  request id scored by createdAt (epoch ms): per-user rate and pending limits
 *   open:pending              ZSET  request id scored by when it entered the state (epoch ms):
 *   open:approved                   created, decided. Written by the same scripts that change
 *                                   `state`, so /metrics can tell how long the oldest request has
 *                                   waited without scanning every record. Requests written by
 *                                   csrbot before these indexes existed are not in them.
 *   unannounced               ZSET  request id scored by when it reached a final state (epoch ms), written by the
 *                                   script that makes it final and removed once the card shows it and the
 *                                   requester was told (announced()): an outbox, so a process killed between
 *                                   the two leaves the announcement to the sweep, not to nobody.
 *
 * Retention (RETENTION): when a request reaches a final state its request, approvals and csr keys
 * get a TTL of the retention; once-flags get it when set. Open requests never expire.
 *
 * Issued certificates live in the certificate inventory (redis-certificate-inventory.ts), which
 * outlives the request; a request keeps only the `issued` summary shown on its card.
 *
 * Every write that depends on what is stored is one Lua script, and each script returns the
 * record as it left it, so callers never see a read-back from after someone else's write.
 * Scripts touch a request's keys and global indexes together, so on Redis Cluster every key
 * must be in one slot: the prefix carries a `{hash tag}` there (see config/redis-schema.ts).
 */
import type { RedisClient } from '../redis/create-redis-client.js';
import { runScript } from './run-script.js';
import {
  OPEN_STATES,
  openBucket,
  type Approval,
  type CertificateRequest,
  type IssuedCertificate,
  type OpenState,
  type RequestState,
} from '../../domain/lifecycle.js';
import type { OpenRequests, RequestStore } from '../../ports.js';
import {
  checkId,
  checkPatch,
  checkTransition,
  encodeApproval,
  encodePatch,
  encodeRequestFields,
  refusePrivateKey,
  sortApprovals,
  type RequestPatch,
} from './request-record.js';
import { checkKeyPrefix } from './key-prefix.js';

export interface RedisRequestStoreOptions {
  /** A connection the caller owns (and closes): one server, Sentinel or Cluster. */
  redis: RedisClient;
  /** Key prefix, without a trailing `:`; e.g. `csrbot`, or `{csrbot}` on a Cluster. */
  prefix: string;
  /** RETENTION: a finished request's keys expire this long after it finished, its once-flags this long after they were set. Default: kept forever. */
  retentionMs?: number;
}

// Returns the record as {fields, approvals} after the write.
const SNAPSHOT = `local function snapshot() return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])} end
`;

// Keeps the open:* indexes in step with `state`. KEYS[o], KEYS[o + 1]: open:pending, open:approved.
// openIndex: 0 for a final state, 1 pending, 2 approved.
const INDEX_OPEN = `
local function index_open(o, id, openIndex, score)
  redis.call('ZREM', KEYS[o], id)
  redis.call('ZREM', KEYS[o + 1], id)
  if openIndex > 0 then redis.call('ZADD', KEYS[o + openIndex - 1], score, id) end
end
`;

// KEYS: request, approvals, open:pending, open:approved, by-requester.
// ARGV: id, openIndex, score, nFields, field/json pairs..., approval userId/json pairs...
const CREATE = `${SNAPSHOT}${INDEX_OPEN}
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, snapshot()} end
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]); i = i + 2 end
while i <= #ARGV do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
index_open(3, ARGV[1], tonumber(ARGV[2]), ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return {1, snapshot()}
`;

// KEYS: request, approvals. ARGV: nSet, field/json pairs..., fields to remove...
const APPLY_PATCH = `
local function apply(i)
  local nSet = tonumber(ARGV[i]); i = i + 1
  for _ = 1, nSet do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]); i = i + 2 end
  while i <= #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]); i = i + 1 end
end
`;

const UPDATE = `${SNAPSHOT}${APPLY_PATCH}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
apply(1)
return {1, snapshot()}
`;

// KEYS: request, approvals, open:pending, open:approved, unannounced.
// ARGV: to, id, openIndex, score, now (epoch ms), nFrom, from..., then the patch as in UPDATE.
const TRANSITION = `${SNAPSHOT}${APPLY_PATCH}${INDEX_OPEN}
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {0} end
local nFrom = tonumber(ARGV[6])
for i = 7, 6 + nFrom do
  if ARGV[i] == current then
    redis.call('HSET', KEYS[1], 'state', ARGV[1])
    apply(7 + nFrom)
    index_open(3, ARGV[2], tonumber(ARGV[3]), ARGV[4])
    if tonumber(ARGV[3]) == 0 then redis.call('ZADD', KEYS[5], ARGV[5], ARGV[2]) end
    return {1, snapshot()}
  end
end
return {0}
`;

// KEYS: request, approvals. ARGV: userId, approval json.
const ADD_APPROVAL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
return {1, redis.call('HVALS', KEYS[2])}
`;

// KEYS: request. ARGV: issued json.
const SAVE_ISSUED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'issued', ARGV[1])
return 1
`;

// KEYS: by-requester, open:pending. ARGV: since (epoch ms). Pending requests are few: the scan is over them, not the user's history.
const BY_REQUESTER = `
local submitted = redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf')
local pending = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('ZSCORE', KEYS[1], id) then pending = pending + 1 end
end
return {submitted, pending}
`;

type Snapshot = [fields: string[], approvals: string[]];

export class RedisRequestStore implements RequestStore {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionMs: number | undefined,
  ) {}

  static create(opts: RedisRequestStoreOptions): RedisRequestStore {
    checkKeyPrefix('RedisRequestStore', opts.prefix);
    return new RedisRequestStore(opts.redis, opts.prefix, opts.retentionMs);
  }

  async create(request: CertificateRequest): Promise<{ created: boolean; request: CertificateRequest }> {
    checkId(request.id);
    const fields = encodeRequestFields(request);
    const approvals = request.approvals.map((a): [string, string] => [a.userId, encodeApproval(a)]);
    const [created, snap] = (await this.run(
      CREATE,
      [this.requestKey(request.id), this.approvalsKey(request.id), ...this.openKeys(), this.byRequesterKey(request.requester.userId)],
      [request.id, openIndex(request.state), sinceMs(request.createdAt), fields.length, ...fields.flat(), ...approvals.flat()],
    )) as [number, Snapshot];
    return { created: created === 1, request: decode(snap) };
  }

  async get(id: string): Promise<CertificateRequest | undefined> {
    checkId(id);
    const res = await this.redis.multi().hgetall(this.requestKey(id)).hgetall(this.approvalsKey(id)).exec();
    if (!res) throw new Error('Redis MULTI was aborted');
    for (const [err] of res) if (err) throw err;
    const fields = res[0]?.[1] as Record<string, string>;
    const approvals = res[1]?.[1] as Record<string, string>;
    if (Object.keys(fields).length === 0) return undefined;
    return decodeObjects(fields, approvals);
  }

  async update(id: string, patch: RequestPatch): Promise<CertificateRequest> {
    checkId(id);
    checkPatch(patch, 'update');
    const [ok, snap] = (await this.run(UPDATE, [this.requestKey(id), this.approvalsKey(id)], patchArgs(patch))) as [number, Snapshot?];
    if (ok !== 1 || !snap) throw new Error(`RequestStore.update: no request ${id}`);
    return decode(snap);
  }

  async transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch = {}): Promise<CertificateRequest | undefined> {
    checkId(id);
    checkTransition(from, to);
    checkPatch(patch, 'transition');
    const froms = from.map((s) => JSON.stringify(s));
    // Approved: waiting for the signer since the decision the patch records.
    const since = sinceMs(patch.decision?.at);
    const [ok, snap] = (await this.run(
      TRANSITION,
      [this.requestKey(id), this.approvalsKey(id), ...this.openKeys(), this.unannouncedKey()],
      [JSON.stringify(to), id, openIndex(to), since, Date.now(), froms.length, ...froms, ...patchArgs(patch)],
    )) as [number, Snapshot?];
    if (ok !== 1 || !snap) return undefined;
    const after = decode(snap);
    // Finished: nothing changes it any more, so it may go after the retention (the inventory keeps the certificate).
    if (openIndex(to) === 0 && this.retentionMs !== undefined) {
      const ms = Math.max(1, Math.round(this.retentionMs));
      await this.redis.multi().pexpire(this.requestKey(id), ms).pexpire(this.approvalsKey(id), ms).exec();
    }
    return after;
  }

  async addApproval(id: string, approval: Approval): Promise<Approval[]> {
    checkId(id);
    const [ok, values] = (await this.run(ADD_APPROVAL, [this.requestKey(id), this.approvalsKey(id)], [approval.userId, encodeApproval(approval)])) as [
      number,
      string[]?,
    ];
    if (ok !== 1 || !values) throw new Error(`RequestStore.addApproval: no request ${id}`);
    return sortApprovals(values.map((v) => JSON.parse(v) as Approval));
  }

  async once(id: string, what: string): Promise<boolean> {
    checkId(id);
    // No TTL but the retention: a flag that expired while its request could still act would let an announcement
    // or a delivery happen twice; after the retention the request itself is gone (or long final).
    const res =
      this.retentionMs === undefined
        ? await this.redis.set(this.onceKey(id, what), '1', 'NX')
        : await this.redis.set(this.onceKey(id, what), '1', 'PX', Math.max(1, Math.round(this.retentionMs)), 'NX');
    return res === 'OK';
  }

  async forget(id: string, what: string): Promise<void> {
    checkId(id);
    await this.redis.del(this.onceKey(id, what));
  }

  async saveIssued(id: string, cert: IssuedCertificate): Promise<void> {
    checkId(id);
    if (Number.isNaN(Date.parse(cert.notAfter))) throw new Error(`saveIssued: notAfter '${cert.notAfter}' is not a date`);
    const issued = JSON.stringify(cert);
    refusePrivateKey(issued, 'an issued certificate');
    const ok = await this.run(SAVE_ISSUED, [this.requestKey(id)], [issued]);
    if (ok !== 1) throw new Error(`RequestStore.saveIssued: no request ${id}`);
  }

  async openSince(bucket: OpenState, before: Date, limit: number): Promise<Array<{ id: string; since: Date }>> {
    return this.scoredBefore(this.openKeys()[OPEN_STATES.indexOf(bucket)]!, before, limit);
  }

  async unannounced(before: Date, limit: number): Promise<Array<{ id: string; since: Date }>> {
    return this.scoredBefore(this.unannouncedKey(), before, limit);
  }

  async announced(id: string): Promise<void> {
    checkId(id);
    await this.redis.zrem(this.unannouncedKey(), id);
  }

  async byRequester(userId: string, since: Date): Promise<{ submitted: number; pending: number }> {
    const [submitted, pending] = (await this.run(BY_REQUESTER, [this.byRequesterKey(userId), this.openKeys()[0]], [since.getTime()])) as [number, number];
    return { submitted, pending };
  }

  async openRequests(): Promise<Record<OpenState, OpenRequests>> {
    const [pending, approved] = this.openKeys();
    const res = await this.redis.multi().zcard(pending).zrange(pending, '0', '0', 'WITHSCORES').zcard(approved).zrange(approved, '0', '0', 'WITHSCORES').exec();
    if (!res) throw new Error('Redis MULTI was aborted');
    for (const [err] of res) if (err) throw err;
    const stats = (count: unknown, first: unknown): OpenRequests => {
      const score = (first as string[])[1];
      return { count: Number(count), ...(score !== undefined ? { oldestSince: new Date(Number(score)) } : {}) };
    };
    return { pending: stats(res[0]?.[1], res[1]?.[1]), approved: stats(res[2]?.[1], res[3]?.[1]) };
  }

  async listOpen(): Promise<CertificateRequest[]> {
    const [pending, approved] = this.openKeys();
    const res = await this.redis.multi().zrange(pending, '0', '-1', 'WITHSCORES').zrange(approved, '0', '-1', 'WITHSCORES').exec();
    if (!res) throw new Error('Redis MULTI was aborted');
    for (const [err] of res) if (err) throw err;
    const entries: Array<{ id: string; since: number }> = [];
    for (const [, flat] of res) {
      const list = flat as string[];
      for (let i = 0; i + 1 < list.length; i += 2) entries.push({ id: list[i]!, since: Number(list[i + 1]) });
    }
    entries.sort((a, b) => a.since - b.since);
    const requests = await Promise.all(entries.map((e) => this.get(e.id)));
    return requests.filter((r): r is CertificateRequest => r !== undefined);
  }

  private requestKey(id: string): string {
    return `${this.prefix}:request:${id}`;
  }
  private approvalsKey(id: string): string {
    return `${this.requestKey(id)}:approvals`;
  }
  private onceKey(id: string, what: string): string {
    return `${this.requestKey(id)}:once:${what}`;
  }
  private byRequesterKey(userId: string): string {
    return `${this.prefix}:by-requester:${userId}`;
  }
  private unannouncedKey(): string {
    return `${this.prefix}:unannounced`;
  }
  /** In OPEN_STATES order, which is the order of openIndex. */
  private openKeys(): [pending: string, approved: string] {
    const [pending, approved] = OPEN_STATES;
    return [`${this.prefix}:open:${pending}`, `${this.prefix}:open:${approved}`];
  }

  /** Members of an index ZSET scored (epoch ms) before `before`, oldest first. */
  private async scoredBefore(key: string, before: Date, limit: number): Promise<Array<{ id: string; since: Date }>> {
    const flat = await this.redis.zrangebyscore(key, '-inf', `(${before.getTime()}`, 'WITHSCORES', 'LIMIT', 0, limit);
    const out: Array<{ id: string; since: Date }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, since: new Date(Number(flat[i + 1])) });
    return out;
  }

  private run(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    return runScript(this.redis, script, keys, args);
  }
}

/** 1-based position in OPEN_STATES (the scripts' open keys), 0 for a final state. */
function openIndex(state: RequestState): number {
  const bucket = openBucket(state);
  return bucket ? OPEN_STATES.indexOf(bucket) + 1 : 0;
}

/** An ISO time as the index's score; now when it is missing or unreadable, so the request is still counted. */
function sinceMs(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? Date.now() : ms;
}

function patchArgs(patch: RequestPatch): Array<string | number> {
  const { set, remove } = encodePatch(patch);
  return [set.length, ...set.flat(), ...remove];
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

function decode([fields, approvals]: Snapshot): CertificateRequest {
  return decodeObjects(pairs(fields), pairs(approvals));
}

function decodeObjects(fields: Record<string, string>, approvals: Record<string, string>): CertificateRequest {
  // Each field holds what create/update JSON-encoded from a CertificateRequest (JSON.parse: any).
  const out: Record<string, ReturnType<typeof JSON.parse>> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = JSON.parse(v);
  return { ...out, approvals: sortApprovals(Object.values(approvals).map((v) => JSON.parse(v) as Approval)) } as CertificateRequest;
}
