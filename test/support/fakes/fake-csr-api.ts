/**
 * CsrApi in memory, with the rules of KubernetesCsrApi over the real API
 * (test/support/contracts/csr-api.contract.ts holds both to them): create is
 * idempotent for the same request and refuses a different one under the same
 * name (CSR_NAME_TAKEN); approving an approved CSR is a no-op, approving a
 * denied one (or denying an approved one) throws CSR_ALREADY_DECIDED;
 * deciding a missing CSR throws CSR_NOT_FOUND. listManaged() and watch() see
 * only csrbot's CSRs; a watch from a list's resourceVersion reports what
 * changed after it, one without replays the current CSRs as ADDED, and events
 * arrive asynchronously, as from the server.
 *
 * Tests drive the cluster's side: the signer (issue/failSigning), kubectl
 * (approveOutside/denyOutside/remove/createUnmanaged), an outage (failNext),
 * and watch events (fire() sends any event).
 */
import { CsrbotError, type Details, type ErrorCode } from '../../../src/domain/errors.js';
import { randomUUID } from 'node:crypto';
import type { CreateCsr, CsrApi, CsrEventType, CsrExpectation, CsrObject, WatchFilter } from '../../../src/ports.js';

export type CsrApiMethod = 'create' | 'get' | 'approve' | 'deny' | 'listManaged';
type Watcher = (type: CsrEventType, csr: CsrObject) => void;

interface Stored {
  spec: CreateCsr;
  obj: CsrObject;
  /** Created through the port (csrbot's label), not by someone else. */
  managed: boolean;
}

interface Change {
  version: number;
  type: CsrEventType;
  obj: CsrObject;
  managed: boolean;
}

const copy = <T>(v: T): T => structuredClone(v);
const now = () => new Date().toISOString();
// As the adapter compares: line endings and surrounding space do not make another request.
const samePem = (a: string, b: string) => a.replace(/\r\n/g, '\n').trim() === b.replace(/\r\n/g, '\n').trim();

/** As KubernetesCsrApi compares: why `s` is not what csrbot created with `want`, or undefined. */
function differenceOf(s: Stored, want: Omit<CsrExpectation, 'uid'> & { uid?: string }): string | undefined {
  if (want.uid !== undefined && s.obj.uid !== want.uid) return 'uid';
  if (!samePem(s.spec.csrPem, want.csrPem)) return 'spec.request';
  if (s.spec.signerName !== want.signerName) return 'spec.signerName';
  if ([...s.spec.usages].sort().join(',') !== [...want.usages].sort().join(',')) return 'spec.usages';
  if (s.spec.expirationSeconds !== want.expirationSeconds) return 'spec.expirationSeconds';
  if (!s.managed) return 'spec.username';
  return undefined;
}

export class FakeCsrApi implements CsrApi {
  /** Every create() call's spec, in order (idempotent repeats included). */
  readonly creates: CreateCsr[] = [];
  readonly approvals: { name: string; reason: string; message: string; changed: boolean }[] = [];
  readonly denials: { name: string; reason: string; message: string; changed: boolean }[] = [];
  readonly calls: CsrApiMethod[] = [];

  private readonly objects = new Map<string, Stored>();
  private readonly watchers = new Set<Watcher>();
  private readonly failures = new Map<CsrApiMethod, { code: ErrorCode; details: Details; times: number }>();
  /** Every change, as the API server's resourceVersions: a watch from a version replays what came after it. */
  private readonly history: Change[] = [];

  static create(): FakeCsrApi {
    return new FakeCsrApi();
  }

  /** The next `times` calls of `method` throw CsrbotError(code, details). */
  failNext(method: CsrApiMethod, code: ErrorCode, details: Details = {}, times = 1): this {
    this.failures.set(method, { code, details, times });
    return this;
  }

  /** The object as the cluster holds it now. */
  object(name: string): CsrObject | undefined {
    const s = this.objects.get(name);
    return s && copy(s.obj);
  }

  spec(name: string): CreateCsr | undefined {
    const s = this.objects.get(name);
    return s && copy(s.spec);
  }

  get names(): string[] {
    return [...this.objects.keys()];
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private enter(method: CsrApiMethod): void {
    this.calls.push(method);
    const f = this.failures.get(method);
    if (f && f.times > 0) {
      f.times -= 1;
      throw new CsrbotError(f.code, f.details);
    }
  }

  private must(name: string): Stored {
    const s = this.objects.get(name);
    if (!s) throw new CsrbotError('CSR_NOT_FOUND', { name });
    return s;
  }

  private changed(type: CsrEventType, s: Stored): void {
    this.history.push({ version: this.history.length + 1, type, obj: copy(s.obj), managed: s.managed });
    if (s.managed) this.fire(type, s.obj);
  }

  private store(spec: CreateCsr, managed: boolean): Stored {
    const s: Stored = {
      spec: copy(spec),
      obj: { name: spec.name, uid: randomUUID(), state: 'pending', annotations: { ...spec.annotations }, createdAt: now() },
      managed,
    };
    this.objects.set(spec.name, s);
    this.changed('ADDED', s);
    return s;
  }

  async create(spec: CreateCsr): Promise<CsrObject> {
    this.enter('create');
    this.creates.push(copy(spec));
    const existing = this.objects.get(spec.name);
    if (existing) {
      // As the adapter: only csrbot's own earlier create, identical in every field, is reused.
      const differs = differenceOf(existing, spec);
      if (differs) throw new CsrbotError('CSR_NAME_TAKEN', { name: spec.name, field: differs });
      return copy(existing.obj);
    }
    return copy(this.store(spec, true).obj);
  }

  async get(name: string): Promise<CsrObject | undefined> {
    this.enter('get');
    return this.object(name);
  }

  /** The expectation each approve() call carried, in order. */
  readonly approveExpectations: Array<CsrExpectation | undefined> = [];

  async approve(name: string, condition: { reason: string; message: string }, expected?: CsrExpectation): Promise<{ changed: boolean }> {
    this.enter('approve');
    this.approveExpectations.push(expected && copy(expected));
    const differs = expected && differenceOf(this.must(name), expected);
    if (differs) throw new CsrbotError('CSR_CONTENT_CHANGED', { name, field: differs });
    const changed = this.decide(name, 'Approved', condition);
    this.approvals.push({ name, ...condition, changed });
    return { changed };
  }

  async deny(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }> {
    this.enter('deny');
    const changed = this.decide(name, 'Denied', condition);
    this.denials.push({ name, ...condition, changed });
    return { changed };
  }

  async listManaged(): Promise<{ items: CsrObject[]; resourceVersion: string }> {
    this.enter('listManaged');
    const items = [...this.objects.values()].filter((s) => s.managed).map((s) => copy(s.obj));
    return { items, resourceVersion: String(this.history.length) };
  }

  /** Like a field selector on the server: with `name`, only that CSR's events arrive. */
  watch(filter: WatchFilter, onEvent: Watcher): { stop(): void } {
    let stopped = false;
    const watcher: Watcher = (type, o) => {
      if (!stopped && (!filter.name || o.name === filter.name)) onEvent(type, copy(o));
    };
    queueMicrotask(() => {
      if (stopped) return;
      const from = filter.resourceVersion === undefined ? undefined : Number(filter.resourceVersion);
      const replay: Array<[CsrEventType, CsrObject]> =
        from === undefined
          ? [...this.objects.values()].filter((s) => s.managed).map((s) => ['ADDED', s.obj])
          : this.history.filter((c) => c.version > from && c.managed).map((c) => [c.type, c.obj]);
      for (const [type, o] of replay) watcher(type, o);
      this.watchers.add(watcher);
    });
    return {
      stop: () => {
        stopped = true;
        this.watchers.delete(watcher);
      },
    };
  }

  // ---- the cluster's side ---------------------------------------------------

  private decide(name: string, type: 'Approved' | 'Denied', c: { reason: string; message: string }): boolean {
    const s = this.must(name);
    const d = s.obj.decision;
    if (d?.type === type) return false;
    if (d)
      throw new CsrbotError('CSR_ALREADY_DECIDED', {
        name,
        decision: d.type.toLowerCase(),
        attempted: type === 'Approved' ? 'approve' : 'deny',
        by: d.message,
      });
    s.obj.decision = { type, reason: c.reason, message: c.message, at: now() };
    if (type === 'Denied') {
      s.obj.state = 'denied';
      s.obj.failureMessage = c.message;
    } else if (s.obj.state === 'pending') {
      s.obj.state = 'approved';
    }
    this.changed('MODIFIED', s);
    return true;
  }

  /** `kubectl certificate approve` (reason KubectlApprove unless given). */
  approveOutside(name: string, reason = 'KubectlApprove', message = 'This CSR was approved by kubectl certificate approve.'): void {
    this.decide(name, 'Approved', { reason, message });
  }

  denyOutside(name: string, reason = 'KubectlDeny', message = 'This CSR was denied by kubectl certificate deny.'): void {
    this.decide(name, 'Denied', { reason, message });
  }

  /** Someone else's CSR (kubectl create, a kubelet): without csrbot's label. */
  createUnmanaged(spec: CreateCsr): void {
    if (this.objects.has(spec.name)) throw new CsrbotError('CLUSTER_CONFLICT', { name: spec.name });
    this.store(spec, false);
  }

  /** The signer issued `certificatePem`. */
  issue(name: string, certificatePem: string): void {
    const s = this.must(name);
    s.obj.state = 'issued';
    s.obj.certificatePem = certificatePem;
    this.changed('MODIFIED', s);
  }

  /** The signer added a Failed condition with `message`. */
  failSigning(name: string, message: string): void {
    const s = this.must(name);
    s.obj.state = 'failed';
    s.obj.failureMessage = message;
    this.changed('MODIFIED', s);
  }

  /** Someone with create/delete rights swaps the object under `name` for `spec` (a new uid), e.g. between the card and the click. */
  swap(spec: CreateCsr, managed = false): void {
    this.remove(spec.name);
    this.store(spec, managed);
  }

  /** `kubectl delete csr` or garbage collection. */
  remove(name: string): void {
    const s = this.must(name);
    this.objects.delete(name);
    this.changed('DELETED', s);
  }

  /** Sends an event to every watcher (a replayed or duplicated event, say). */
  fire(type: CsrEventType, csr: CsrObject): void {
    for (const w of [...this.watchers]) w(type, csr);
  }
}
