/**
 * CsrApi in memory, with the decision rules of ClusterCsrApi over
 * KubernetesCsrApi: create is idempotent for the same request and refuses a
 * different one under the same name (CSR_NAME_TAKEN); approving an approved
 * CSR is a no-op, approving a denied one (or denying an approved one) throws
 * CSR_ALREADY_DECIDED; deciding a missing CSR throws CSR_NOT_FOUND.
 *
 * Tests drive the cluster's side: the signer (issue/fail), kubectl
 * (approveOutside/denyOutside/remove), an outage (failNext), and watch events
 * (every change is sent to watchers, and fire() sends any event).
 */
import { CsrbotError, type Details, type ErrorCode } from '../../../src/domain/errors.js';
import type { CreateCsr, CsrApi, CsrObject, WatchFilter } from '../../../src/ports.js';

export type CsrApiMethod = 'create' | 'get' | 'approve' | 'deny' | 'list';
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
type Watcher = (type: WatchEventType, csr: CsrObject) => void;

interface Stored {
  spec: CreateCsr;
  obj: CsrObject;
}

const copy = <T>(v: T): T => structuredClone(v);

export class FakeCsrApi implements CsrApi {
  /** Every create() call's spec, in order (idempotent repeats included). */
  readonly creates: CreateCsr[] = [];
  readonly approvals: { name: string; reason: string; message: string; changed: boolean }[] = [];
  readonly denials: { name: string; reason: string; message: string; changed: boolean }[] = [];
  readonly calls: CsrApiMethod[] = [];

  private readonly objects = new Map<string, Stored>();
  private readonly watchers = new Set<Watcher>();
  private readonly failures = new Map<CsrApiMethod, { code: ErrorCode; details: Details; times: number }>();

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

  private changed(type: WatchEventType, s: Stored): void {
    this.fire(type, s.obj);
  }

  async create(spec: CreateCsr): Promise<CsrObject> {
    this.enter('create');
    this.creates.push(copy(spec));
    const existing = this.objects.get(spec.name);
    if (existing) {
      if (existing.spec.csrPem.trim() !== spec.csrPem.trim()) throw new CsrbotError('CSR_NAME_TAKEN', { name: spec.name });
      return copy(existing.obj);
    }
    const s: Stored = { spec: copy(spec), obj: { name: spec.name, state: 'pending', annotations: { ...spec.annotations } } };
    this.objects.set(spec.name, s);
    this.changed('ADDED', s);
    return copy(s.obj);
  }

  async get(name: string): Promise<CsrObject | undefined> {
    this.enter('get');
    return this.object(name);
  }

  async approve(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }> {
    this.enter('approve');
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

  async list(labelSelector: string): Promise<{ items: CsrObject[]; resourceVersion?: string }> {
    this.enter('list');
    const [key, value] = labelSelector.split('=') as [string, string | undefined];
    return { items: [...this.objects.values()].filter((s) => s.spec.labels[key] === value).map((s) => copy(s.obj)) };
  }

  /** Like a field selector on the server: with `name`, only that CSR's events arrive. */
  watch(filter: WatchFilter, onEvent: Watcher): { stop(): void } {
    const watcher: Watcher = filter.name ? (type, o) => (o.name === filter.name ? onEvent(type, o) : undefined) : onEvent;
    this.watchers.add(watcher);
    return { stop: () => void this.watchers.delete(watcher) };
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
    s.obj.decision = { type, reason: c.reason, message: c.message };
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

  /** `kubectl delete csr` or garbage collection. */
  remove(name: string): void {
    const s = this.must(name);
    this.objects.delete(name);
    this.changed('DELETED', s);
  }

  /** Sends an event to every watcher (a replayed or duplicated event, say). */
  fire(type: WatchEventType, csr: CsrObject): void {
    for (const w of [...this.watchers]) w(type, copy(csr));
  }
}
