/**
 * RequestStore in memory, for unit tests of use cases. Same rules as
 * RedisRequestStore (the shared contract suite runs against both): values go
 * through a JSON round trip so tests see what Redis would give back, and every
 * check-and-set happens without an await in between, which is what makes it
 * atomic in a single-threaded runtime.
 */
import {
  openBucket,
  type Approval,
  type CertificateRequest,
  type IssuedCertificate,
  type OpenState,
  type RequestState,
} from '../../../src/domain/lifecycle.js';
import type { OpenRequests, RequestStore } from '../../../src/ports.js';
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
} from '../../../src/adapters/store/request-record.js';

interface Stored {
  fields: Map<string, string>;
  approvals: Map<string, string>;
}

export class InMemoryRequestStore implements RequestStore {
  private readonly requests = new Map<string, Stored>();
  private readonly flags = new Set<string>();
  /** Open requests by id: their state and when they entered it (epoch ms). */
  private readonly open = new Map<string, { state: OpenState; since: number }>();
  /** Final requests not yet announced, by id: when they became final (epoch ms). */
  private readonly unannouncedSince = new Map<string, number>();

  static create(): InMemoryRequestStore {
    return new InMemoryRequestStore();
  }

  async create(request: CertificateRequest): Promise<{ created: boolean; request: CertificateRequest }> {
    checkId(request.id);
    const fields = encodeRequestFields(request);
    const approvals = request.approvals.map((a): [string, string] => [a.userId, encodeApproval(a)]);
    const existing = this.requests.get(request.id);
    if (existing) return { created: false, request: decode(existing) };
    const stored: Stored = { fields: new Map(fields), approvals: new Map() };
    for (const [userId, json] of approvals) if (!stored.approvals.has(userId)) stored.approvals.set(userId, json);
    this.requests.set(request.id, stored);
    this.index(request.id, request.state, request.createdAt);
    return { created: true, request: decode(stored) };
  }

  async get(id: string): Promise<CertificateRequest | undefined> {
    checkId(id);
    const stored = this.requests.get(id);
    return stored && decode(stored);
  }

  async update(id: string, patch: RequestPatch): Promise<CertificateRequest> {
    checkId(id);
    checkPatch(patch, 'update');
    const encoded = encodePatch(patch);
    const stored = this.requests.get(id);
    if (!stored) throw new Error(`RequestStore.update: no request ${id}`);
    apply(stored, encoded);
    return decode(stored);
  }

  async transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch = {}): Promise<CertificateRequest | undefined> {
    checkId(id);
    checkTransition(from, to);
    checkPatch(patch, 'transition');
    const encoded = encodePatch(patch);
    const stored = this.requests.get(id);
    const current = stored?.fields.get('state');
    if (!stored || current === undefined || !from.includes(JSON.parse(current) as RequestState)) return undefined;
    stored.fields.set('state', JSON.stringify(to));
    apply(stored, encoded);
    this.index(id, to, patch.decision?.at);
    if (!openBucket(to)) this.unannouncedSince.set(id, Date.now());
    return decode(stored);
  }

  async addApproval(id: string, approval: Approval): Promise<Approval[]> {
    checkId(id);
    const json = encodeApproval(approval);
    const stored = this.requests.get(id);
    if (!stored) throw new Error(`RequestStore.addApproval: no request ${id}`);
    if (!stored.approvals.has(approval.userId)) stored.approvals.set(approval.userId, json);
    return decodeApprovals(stored);
  }

  async once(id: string, what: string): Promise<boolean> {
    checkId(id);
    const key = `${id}:once:${what}`;
    if (this.flags.has(key)) return false;
    this.flags.add(key);
    return true;
  }

  async forget(id: string, what: string): Promise<void> {
    checkId(id);
    this.flags.delete(`${id}:once:${what}`);
  }

  async openSince(bucket: OpenState, before: Date, limit: number): Promise<Array<{ id: string; since: Date }>> {
    return oldestBefore(
      [...this.open.entries()].filter(([, o]) => o.state === bucket).map(([id, o]) => [id, o.since]),
      before,
      limit,
    );
  }

  async unannounced(before: Date, limit: number): Promise<Array<{ id: string; since: Date }>> {
    return oldestBefore([...this.unannouncedSince.entries()], before, limit);
  }

  async announced(id: string): Promise<void> {
    checkId(id);
    this.unannouncedSince.delete(id);
  }

  async byRequester(userId: string, since: Date): Promise<{ submitted: number; pending: number }> {
    const mine = [...this.requests.entries()].map(([id, s]) => ({ id, r: decode(s) })).filter(({ r }) => r.requester.userId === userId);
    return {
      submitted: mine.filter(({ r }) => Date.parse(r.createdAt) >= since.getTime()).length,
      pending: mine.filter(({ id }) => this.open.get(id)?.state === 'pending').length,
    };
  }

  async openRequests(): Promise<Record<OpenState, OpenRequests>> {
    const stats = (state: OpenState): OpenRequests => {
      const since = [...this.open.values()].filter((o) => o.state === state).map((o) => o.since);
      return { count: since.length, ...(since.length > 0 ? { oldestSince: new Date(Math.min(...since)) } : {}) };
    };
    return { pending: stats('pending'), approved: stats('approved') };
  }

  async listOpen(): Promise<CertificateRequest[]> {
    const ids = [...this.open.entries()].sort((a, b) => a[1].since - b[1].since).map(([id]) => id);
    return ids.map((id) => decode(this.requests.get(id)!));
  }

  /** As RedisRequestStore's open:* indexes: since the ISO time given, or now. */
  private index(id: string, state: RequestState, sinceIso: string | undefined): void {
    this.open.delete(id);
    const bucket = openBucket(state);
    if (!bucket) return;
    const ms = sinceIso === undefined ? NaN : Date.parse(sinceIso);
    this.open.set(id, { state: bucket, since: Number.isNaN(ms) ? Date.now() : ms });
  }

  async saveIssued(id: string, cert: IssuedCertificate): Promise<void> {
    checkId(id);
    if (Number.isNaN(Date.parse(cert.notAfter))) throw new Error(`saveIssued: notAfter '${cert.notAfter}' is not a date`);
    const json = JSON.stringify(cert);
    refusePrivateKey(json, 'an issued certificate');
    const stored = this.requests.get(id);
    if (!stored) throw new Error(`RequestStore.saveIssued: no request ${id}`);
    stored.fields.set('issued', json);
  }
}

/** As a ZRANGEBYSCORE of an index: ids scored (epoch ms) before `before`, oldest first (ties by id). */
function oldestBefore(entries: Array<[string, number]>, before: Date, limit: number): Array<{ id: string; since: Date }> {
  return entries
    .filter(([, since]) => since < before.getTime())
    .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([id, since]) => ({ id, since: new Date(since) }));
}

function apply(stored: Stored, encoded: ReturnType<typeof encodePatch>): void {
  for (const [field, json] of encoded.set) stored.fields.set(field, json);
  for (const field of encoded.remove) stored.fields.delete(field);
}

function decodeApprovals(stored: Stored): Approval[] {
  return sortApprovals([...stored.approvals.values()].map((v) => JSON.parse(v) as Approval));
}

function decode(stored: Stored): CertificateRequest {
  const out: Record<string, unknown> = {};
  for (const [k, v] of stored.fields) out[k] = JSON.parse(v);
  out['approvals'] = decodeApprovals(stored);
  return out as unknown as CertificateRequest;
}
