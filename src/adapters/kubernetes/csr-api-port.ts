import { isCsrbotError } from '../../domain/errors.js';
import type { CreateCsr, CsrApi, CsrObject, WatchFilter } from '../../ports.js';
import type { KubernetesCsrApi } from './kubernetes-csr-api.js';
import type { CsrView } from './types.js';

function toObject(v: CsrView): CsrObject {
  const decided = v.conditions.find((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True');
  return {
    name: v.name,
    state: v.state,
    certificatePem: v.certificatePem,
    failureMessage: v.failureMessage ?? (v.state === 'denied' ? decided?.message : undefined),
    decision: decided ? { type: decided.type as 'Approved' | 'Denied', reason: decided.reason, message: decided.message } : undefined,
    annotations: v.annotations,
  };
}

/** The use cases' CsrApi port over KubernetesCsrApi. */
export class ClusterCsrApi implements CsrApi {
  private constructor(
    private readonly k8s: KubernetesCsrApi,
    private readonly onWatchError: (e: Error) => void,
  ) {}

  static create(deps: { k8s: KubernetesCsrApi; onWatchError?: (e: Error) => void }): ClusterCsrApi {
    return new ClusterCsrApi(deps.k8s, deps.onWatchError ?? (() => undefined));
  }

  async create(spec: CreateCsr): Promise<CsrObject> {
    return toObject(await this.k8s.create(spec));
  }

  async get(name: string): Promise<CsrObject | undefined> {
    try {
      return toObject(await this.k8s.get(name));
    } catch (e) {
      if (isCsrbotError(e) && e.code === 'CSR_NOT_FOUND') return undefined;
      throw e;
    }
  }

  async approve(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }> {
    const r = await this.k8s.approve(name, condition);
    return { changed: r.outcome === 'approved' };
  }

  async deny(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }> {
    const r = await this.k8s.deny(name, condition);
    return { changed: r.outcome === 'denied' };
  }

  async list(labelSelector: string): Promise<{ items: CsrObject[]; resourceVersion?: string }> {
    const { items, resourceVersion } = await this.k8s.list({ labelSelector });
    return { items: items.map(toObject), resourceVersion: resourceVersion || undefined };
  }

  watch(filter: WatchFilter, onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', csr: CsrObject) => void): { stop(): void } {
    let stopped = false;
    let stopFn: (() => void) | undefined;
    void this.k8s
      .watch(
        (e) => {
          if (e.type === 'resync') return;
          onEvent(e.type === 'added' ? 'ADDED' : e.type === 'deleted' ? 'DELETED' : 'MODIFIED', toObject(e.csr));
        },
        {
          labelSelector: filter.labelSelector,
          fieldSelector: filter.name ? `metadata.name=${filter.name}` : undefined,
          resourceVersion: filter.resourceVersion,
          onError: this.onWatchError,
        },
      )
      .then((stop) => {
        if (stopped) stop();
        else stopFn = stop;
      }, this.onWatchError);
    return {
      stop: () => {
        stopped = true;
        stopFn?.();
      },
    };
  }
}
