import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig, RbacV1Subject, V1RoleRef } from '@kubernetes/client-node';
import type { BindingRef, RbacBindings } from '../../ports.js';
import { requestDeadline } from './request-deadline.js';
import { toCsrbotError } from './to-csrbot-error.js';

export interface KubernetesRbacBindingsOptions {
  /** Per-request timeout in ms. Default 10000. */
  requestTimeoutMs?: number;
}

const namesUser = (subjects: RbacV1Subject[] | undefined, username: string) =>
  (subjects ?? []).some((s) => s.kind === 'User' && s.name === username && (!s.apiGroup || s.apiGroup === 'rbac.authorization.k8s.io'));
const roleOf = (r: V1RoleRef) => `${r.kind}/${r.name}`;

/**
 * Which RoleBindings and ClusterRoleBindings name a user (offboarding: what an
 * admin should remove, since Kubernetes cannot revoke a client certificate).
 * Needs `list` on both, cluster-wide (deploy/rbac).
 */
export class KubernetesRbacBindings implements RbacBindings {
  private readonly api: RbacAuthorizationV1Api;
  private readonly server: string | undefined;
  private readonly timeoutMs: number;

  private constructor(kc: KubeConfig, opts: KubernetesRbacBindingsOptions) {
    this.api = kc.makeApiClient(RbacAuthorizationV1Api);
    this.server = kc.getCurrentCluster()?.server;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  static create(kc: KubeConfig, opts: KubernetesRbacBindingsOptions = {}): KubernetesRbacBindings {
    return new KubernetesRbacBindings(kc, opts);
  }

  async namingUser(username: string): Promise<BindingRef[]> {
    const [roleBindings, clusterRoleBindings] = await Promise.all([
      this.api.listRoleBindingForAllNamespaces({}, requestDeadline(this.timeoutMs)).catch((e: unknown) => {
        throw toCsrbotError(e, { operation: 'list rolebindings', verb: 'list', resource: 'rolebindings', server: this.server });
      }),
      this.api.listClusterRoleBinding({}, requestDeadline(this.timeoutMs)).catch((e: unknown) => {
        throw toCsrbotError(e, { operation: 'list clusterrolebindings', verb: 'list', resource: 'clusterrolebindings', server: this.server });
      }),
    ]);
    const out: BindingRef[] = [];
    for (const b of clusterRoleBindings.items) {
      if (namesUser(b.subjects, username)) out.push({ kind: 'ClusterRoleBinding', name: b.metadata?.name ?? '', role: roleOf(b.roleRef) });
    }
    for (const b of roleBindings.items) {
      if (namesUser(b.subjects, username)) {
        out.push({ kind: 'RoleBinding', namespace: b.metadata?.namespace ?? '', name: b.metadata?.name ?? '', role: roleOf(b.roleRef) });
      }
    }
    return out;
  }
}
