import { CertificatesV1Api, Watch } from '@kubernetes/client-node';
import type { ConfigurationOptions, KubeConfig, V1CertificateSigningRequest, V1CertificateSigningRequestCondition } from '@kubernetes/client-node';
import { CsrbotError } from '../../domain/errors.js';
import type { CreateCsr, CsrApi, CsrEventType, CsrExpectation, CsrObject, WatchFilter } from '../../ports.js';
import { selfSubjectReview } from './self-subject-review.js';
import { requestDeadline } from './request-deadline.js';
import { toCsrObject } from './to-csr-object.js';
import { toCsrbotError } from './to-csrbot-error.js';
import type { ErrorContext } from './to-csrbot-error.js';

/** Every CSR csrbot creates carries this label, so its list and watch select only csrbot's. */
const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY_VALUE = 'csrbot';
const managedSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

export interface KubernetesCsrApiOptions {
  /** Per-request timeout in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Attempts of GET+PUT when the CSR changes under an approval (409). Default 5. */
  maxConflictRetries?: number;
  /** Called when a watch connection fails; the watch keeps reconnecting until stopped. Default: nothing. */
  onWatchError?: (error: CsrbotError) => void;
  /** csrbot's own username, the creator (spec.username) of every CSR it may trust. Default: asked once with SelfSubjectReview. */
  self?: string;
}

const csrPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/**
 * The CsrApi port over @kubernetes/client-node: CertificateSigningRequests
 * translated to CsrObject and errors to CsrbotError. Holds no state besides
 * the client: safe to use from several workers or replicas.
 */
export class KubernetesCsrApi implements CsrApi {
  private readonly api: CertificatesV1Api;
  private readonly server: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxConflictRetries: number;
  private readonly onWatchError: (error: CsrbotError) => void;
  private self: Promise<string> | undefined;

  constructor(
    private readonly kc: KubeConfig,
    opts: KubernetesCsrApiOptions = {},
  ) {
    this.api = kc.makeApiClient(CertificatesV1Api);
    this.server = kc.getCurrentCluster()?.server;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.maxConflictRetries = opts.maxConflictRetries ?? 5;
    this.onWatchError = opts.onWatchError ?? (() => undefined);
    if (opts.self !== undefined) this.self = Promise.resolve(opts.self);
  }

  /** Who csrbot is to the API server; a failure is asked again next time. */
  private whoAmI(): Promise<string> {
    this.self ??= selfSubjectReview(this.kc, { timeoutMs: this.timeoutMs }).then((i) => i.username);
    return this.self.catch((e: unknown) => {
      this.self = undefined;
      throw e;
    });
  }

  /** Why `csr` is not exactly what csrbot created with `want` (by csrbot), or undefined. */
  private async difference(csr: V1CertificateSigningRequest, want: Omit<CsrExpectation, 'uid'> & { uid?: string }): Promise<string | undefined> {
    const s = csr.spec;
    if (want.uid !== undefined && csr.metadata?.uid !== want.uid) return 'uid';
    if (normalizePem(Buffer.from(s.request, 'base64').toString('utf8')) !== normalizePem(want.csrPem)) return 'spec.request';
    if (s.signerName !== want.signerName) return 'spec.signerName';
    if ([...(s.usages ?? [])].sort().join(',') !== [...want.usages].sort().join(',')) return 'spec.usages';
    if (s.expirationSeconds !== want.expirationSeconds) return 'spec.expirationSeconds';
    if (csr.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return 'metadata.labels';
    if (s.username !== (await this.whoAmI())) return 'spec.username';
    return undefined;
  }

  static create(kc: KubeConfig, opts: KubernetesCsrApiOptions = {}): KubernetesCsrApi {
    return new KubernetesCsrApi(kc, opts);
  }

  private options(): ConfigurationOptions {
    return requestDeadline(this.timeoutMs);
  }

  private fail(e: unknown, ctx: Omit<ErrorContext, 'server'>): CsrbotError {
    return toCsrbotError(e, { ...ctx, server: this.server });
  }

  /**
   * Creates the CSR, labelled as csrbot's. Idempotent: if a CSR with this
   * name already exists for the same request, returns it; if it holds a
   * different request, throws CSR_NAME_TAKEN.
   */
  async create(spec: CreateCsr): Promise<CsrObject> {
    const body: V1CertificateSigningRequest = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: spec.name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, annotations: spec.annotations },
      spec: {
        request: Buffer.from(spec.csrPem).toString('base64'),
        signerName: spec.signerName,
        usages: spec.usages,
        expirationSeconds: spec.expirationSeconds,
      },
    };
    try {
      return toCsrObject(await this.api.createCertificateSigningRequest({ body }, this.options()));
    } catch (e) {
      const err = this.fail(e, { operation: 'create', name: spec.name, verb: 'create', resource: 'certificatesigningrequests' });
      if (err.code !== 'CLUSTER_CONFLICT') throw err;
      // The name is taken. Only csrbot's own earlier create (a retry) may be reused: every field, and the creator, must match.
      // Anything else (a pre-created object with a longer lifetime, say) would be approved in the card's name.
      const existing = await this.read(spec.name);
      const differs = await this.difference(existing, spec).catch(() => 'spec.username');
      if (differs) throw new CsrbotError('CSR_NAME_TAKEN', { name: spec.name, field: differs }, { cause: e });
      return toCsrObject(existing);
    }
  }

  async get(name: string): Promise<CsrObject | undefined> {
    try {
      return toCsrObject(await this.read(name));
    } catch (e) {
      if (e instanceof CsrbotError && e.code === 'CSR_NOT_FOUND') return undefined;
      throw e;
    }
  }

  async listManaged(): Promise<{ items: CsrObject[]; resourceVersion: string }> {
    try {
      const r = await this.api.listCertificateSigningRequest({ labelSelector: managedSelector }, this.options());
      return { items: r.items.map(toCsrObject), resourceVersion: r.metadata?.resourceVersion ?? '' };
    } catch (e) {
      throw this.fail(e, { operation: 'list', verb: 'list', resource: 'certificatesigningrequests' });
    }
  }

  /** Approves as `kubectl certificate approve` does: GET, append the condition, PUT /approval. */
  approve(name: string, condition: { reason: string; message: string }, expected?: CsrExpectation): Promise<{ changed: boolean }> {
    return this.decide(name, 'Approved', condition, expected);
  }

  deny(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }> {
    return this.decide(name, 'Denied', condition);
  }

  private async decide(
    name: string,
    type: 'Approved' | 'Denied',
    input: { reason: string; message: string },
    expected?: CsrExpectation,
  ): Promise<{ changed: boolean }> {
    const attempted = type === 'Approved' ? 'approve' : 'deny';
    for (let attempt = 1; ; attempt++) {
      const csr = await this.read(name);
      // On every attempt: a 409 means the object changed, and what holds the name now may be another one.
      const differs = expected && (await this.difference(csr, expected));
      if (differs) throw new CsrbotError('CSR_CONTENT_CHANGED', { name, field: differs });
      const decided = toCsrObject(csr).decision;
      if (decided?.type === type) return { changed: false };
      if (decided) throw new CsrbotError('CSR_ALREADY_DECIDED', { name, decision: decided.type.toLowerCase(), attempted, by: decided.message });
      const condition: V1CertificateSigningRequestCondition = {
        type,
        status: 'True',
        reason: input.reason,
        message: input.message,
        lastUpdateTime: new Date(),
      };
      csr.status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] };
      try {
        await this.api.replaceCertificateSigningRequestApproval({ name, body: csr }, this.options());
        return { changed: true };
      } catch (e) {
        const err = this.fail(e, { operation: attempted, name, verb: 'update', resource: 'certificatesigningrequests/approval' });
        // 409: someone else wrote the CSR since our GET; read it again, as kubectl does.
        if (err.code === 'CLUSTER_CONFLICT' && attempt < this.maxConflictRetries) continue;
        throw err;
      }
    }
  }

  /**
   * Streams changes to csrbot's CSRs until stopped. Reconnects from the last
   * seen resourceVersion when the server closes the stream or the connection
   * drops; if that version has expired (410), restarts, replaying every
   * current CSR as ADDED.
   */
  watch(filter: WatchFilter, onEvent: (type: CsrEventType, csr: CsrObject) => void): { stop(): void } {
    let resourceVersion = filter.resourceVersion || undefined;
    let stopped = false;
    let controller: AbortController | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const watcher = new Watch(this.kc);
    const query = { labelSelector: managedSelector, fieldSelector: filter.name ? `metadata.name=${filter.name}` : undefined, allowWatchBookmarks: true };

    const reconnect = (err?: unknown) => {
      if (stopped) return;
      if (err) {
        failures++;
        this.onWatchError(this.fail(err, { operation: 'watch', verb: 'watch', resource: 'certificatesigningrequests' }));
      }
      const delay = err ? Math.min(10_000, 250 * 2 ** Math.min(failures, 6)) : 0;
      retryTimer = setTimeout(() => void connect(), delay);
    };

    const connect = async (): Promise<void> => {
      if (stopped) return;
      let expired = false;
      // client-node aborts a watch that has sent nothing for 30 s (TimeoutError).
      // Before the stream is up that is a server not answering; once it is
      // up, it only means a quiet cluster: pick up from the last version, as
      // when the server closes the stream, without counting a failure.
      let streaming = false;
      try {
        const c = await watcher.watch(
          csrPath,
          { ...query, resourceVersion },
          (phase: string, obj: V1CertificateSigningRequest & { code?: number }) => {
            if (stopped) return;
            failures = 0;
            if (phase === 'ERROR') {
              if (obj.code === 410) {
                expired = true;
                resourceVersion = undefined;
              }
              return;
            }
            if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
            if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') onEvent(phase, toCsrObject(obj));
          },
          (err: unknown) => {
            const name = (err as { name?: string } | null)?.name;
            if (expired || !err || name === 'AbortError' || (streaming && name === 'TimeoutError')) reconnect();
            else reconnect(err);
          },
        );
        controller = c;
        streaming = true;
        if (stopped) c.abort();
      } catch (e) {
        reconnect(e);
      }
    };

    void connect();
    return {
      stop: () => {
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        controller?.abort();
      },
    };
  }

  private async read(name: string): Promise<V1CertificateSigningRequest> {
    try {
      return await this.api.readCertificateSigningRequest({ name }, this.options());
    } catch (e) {
      throw this.fail(e, { operation: 'get', name, verb: 'get', resource: 'certificatesigningrequests' });
    }
  }
}

function normalizePem(pem: string): string {
  return pem.replace(/\r\n/g, '\n').trim();
}
