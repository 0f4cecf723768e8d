import { CertificatesV1Api, Watch } from '@kubernetes/client-node';
import type { ConfigurationOptions, KubeConfig, V1CertificateSigningRequest, V1CertificateSigningRequestCondition } from '@kubernetes/client-node';
import { CsrbotError } from '../../domain/errors.js';
import { requestDeadline } from './request-deadline.js';
import { toCsrView } from './to-csr-view.js';
import { toCsrbotError } from './to-csrbot-error.js';
import type { ErrorContext } from './to-csrbot-error.js';
import { CLIENT_SIGNER, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './types.js';
import type { CreateCsrInput, CsrView, CsrWatchEvent, DecisionInput, DecisionResult, WatchOptions } from './types.js';

export interface KubernetesCsrApiOptions {
  /** Per-request timeout in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Attempts of GET+PUT when the CSR changes under an approval (409). Default 5. */
  maxConflictRetries?: number;
}

const csrPath = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/**
 * CertificateSigningRequests through @kubernetes/client-node, translated to
 * csrbot's view (CsrView) and errors (CsrbotError). Holds no state besides
 * the client: safe to use from several workers or replicas.
 */
export class KubernetesCsrApi {
  private readonly api: CertificatesV1Api;
  private readonly server: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxConflictRetries: number;

  constructor(
    private readonly kc: KubeConfig,
    opts: KubernetesCsrApiOptions = {},
  ) {
    this.api = kc.makeApiClient(CertificatesV1Api);
    this.server = kc.getCurrentCluster()?.server;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.maxConflictRetries = opts.maxConflictRetries ?? 5;
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
   * Creates the CSR. Idempotent: if a CSR with this name already exists for
   * the same request, returns it; if it holds a different request, throws
   * CSR_NAME_TAKEN.
   */
  async create(input: CreateCsrInput): Promise<CsrView> {
    const request = Buffer.from(input.csrPem).toString('base64');
    const body: V1CertificateSigningRequest = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: {
        name: input.name,
        labels: { ...input.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        ...(input.annotations ? { annotations: input.annotations } : {}),
      },
      spec: {
        request,
        signerName: input.signerName ?? CLIENT_SIGNER,
        usages: input.usages ?? ['client auth', 'digital signature'],
        ...(input.expirationSeconds !== undefined ? { expirationSeconds: input.expirationSeconds } : {}),
      },
    };
    try {
      return toCsrView(await this.api.createCertificateSigningRequest({ body }, this.options()));
    } catch (e) {
      const err = this.fail(e, { operation: 'create', name: input.name, verb: 'create', resource: 'certificatesigningrequests' });
      if (err.code !== 'CLUSTER_CONFLICT') throw err;
      const existing = await this.read(input.name);
      if (normalizePem(Buffer.from(existing.spec.request, 'base64').toString('utf8')) !== normalizePem(input.csrPem)) {
        throw new CsrbotError('CSR_NAME_TAKEN', { name: input.name }, { cause: e });
      }
      return toCsrView(existing);
    }
  }

  async get(name: string): Promise<CsrView> {
    return toCsrView(await this.read(name));
  }

  /** CSRs matching labelSelector (default: the ones csrbot created), and the list's resourceVersion to watch from. */
  async list(opts: { labelSelector?: string } = {}): Promise<{ items: CsrView[]; resourceVersion: string }> {
    try {
      const r = await this.api.listCertificateSigningRequest(
        { labelSelector: opts.labelSelector ?? `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` },
        this.options(),
      );
      return { items: r.items.map(toCsrView), resourceVersion: r.metadata?.resourceVersion ?? '' };
    } catch (e) {
      throw this.fail(e, { operation: 'list', verb: 'list', resource: 'certificatesigningrequests' });
    }
  }

  /** Approves as `kubectl certificate approve` does; a second approve is a no-op ('already-approved'). */
  approve(name: string, input: DecisionInput): Promise<DecisionResult> {
    return this.decide(name, 'Approved', input);
  }

  /** Denies; a second deny is a no-op ('already-denied'). Denying an approved CSR throws CSR_ALREADY_DECIDED. */
  deny(name: string, input: DecisionInput): Promise<DecisionResult> {
    return this.decide(name, 'Denied', input);
  }

  private async decide(name: string, type: 'Approved' | 'Denied', input: DecisionInput): Promise<DecisionResult> {
    const attempted = type === 'Approved' ? 'approve' : 'deny';
    for (let attempt = 1; ; attempt++) {
      const csr = await this.read(name);
      const conditions = csr.status?.conditions ?? [];
      const decided = conditions.find((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True');
      if (decided?.type === type) {
        return { outcome: type === 'Approved' ? 'already-approved' : 'already-denied', csr: toCsrView(csr) };
      }
      if (decided) {
        throw new CsrbotError('CSR_ALREADY_DECIDED', { name, decision: decided.type.toLowerCase(), attempted, by: decided.message });
      }
      const condition: V1CertificateSigningRequestCondition = {
        type,
        status: 'True',
        reason: input.reason,
        message: input.message,
        lastUpdateTime: new Date(),
      };
      csr.status = { ...csr.status, conditions: [...conditions, condition] };
      try {
        const updated = await this.api.replaceCertificateSigningRequestApproval({ name, body: csr }, this.options());
        return { outcome: type === 'Approved' ? 'approved' : 'denied', csr: toCsrView(updated) };
      } catch (e) {
        const err = this.fail(e, { operation: attempted, name, verb: 'update', resource: 'certificatesigningrequests/approval' });
        // 409: someone else wrote the CSR since our GET; read it again, as kubectl does.
        if (err.code === 'CLUSTER_CONFLICT' && attempt < this.maxConflictRetries) continue;
        throw err;
      }
    }
  }

  /**
   * Streams changes to CSRs until the returned function is called. Reconnects
   * from the last seen resourceVersion when the server closes the stream or
   * the connection drops; if that version has expired (410), restarts and
   * emits 'resync' followed by every current CSR as 'added'.
   */
  async watch(onEvent: (e: CsrWatchEvent) => void, opts: WatchOptions = {}): Promise<() => void> {
    const labelSelector = opts.labelSelector ?? `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    let resourceVersion = opts.resourceVersion;
    let stopped = false;
    let controller: AbortController | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const watcher = new Watch(this.kc);

    const reconnect = (err?: unknown) => {
      if (stopped) return;
      if (err) {
        failures++;
        opts.onError?.(this.fail(err, { operation: 'watch', verb: 'watch', resource: 'certificatesigningrequests' }));
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
        controller = await watcher.watch(
          csrPath,
          { labelSelector: labelSelector || undefined, fieldSelector: opts.fieldSelector, resourceVersion, allowWatchBookmarks: true },
          (phase: string, obj: unknown) => {
            if (stopped) return;
            failures = 0;
            const o = obj as V1CertificateSigningRequest & { code?: number };
            if (phase === 'ERROR') {
              if (o.code === 410) {
                expired = true;
                resourceVersion = undefined;
                onEvent({ type: 'resync' });
              }
              return;
            }
            if (o.metadata?.resourceVersion) resourceVersion = o.metadata.resourceVersion;
            if (phase === 'BOOKMARK') return;
            const type = phase === 'ADDED' ? 'added' : phase === 'DELETED' ? 'deleted' : 'modified';
            onEvent({ type, csr: toCsrView(o) });
          },
          (err: unknown) => {
            const name = (err as { name?: string } | null)?.name;
            if (expired || !err || name === 'AbortError' || (streaming && name === 'TimeoutError')) reconnect();
            else reconnect(err);
          },
        );
        streaming = true;
        if (stopped) controller.abort();
      } catch (e) {
        reconnect(e);
      }
    };

    await connect();
    return () => {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      controller?.abort();
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
