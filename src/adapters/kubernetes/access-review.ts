import { AuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { requestDeadline } from './request-deadline.js';
import { toCsrbotError } from './to-csrbot-error.js';
import { CLIENT_SIGNER } from '../../domain/kubernetes-rules.js';

/** One thing csrbot does in the cluster, as RBAC sees it. */
export interface AccessQuestion {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** resourceNames in RBAC: a signer's name for `approve` on `signers`. */
  name?: string;
}

const certificates = 'certificates.k8s.io';

/**
 * Every permission csrbot uses, which deploy/rbac grants
 * (test/integration/preflight checks it; rbac.test.ts checks it grants no
 * more). `signers` are the signers requests may use (ALLOWED_SIGNERS):
 * csrbot approves for each.
 */
export function requiredAccess(signers: readonly string[] = [CLIENT_SIGNER]): AccessQuestion[] {
  return [
    ...['create', 'get', 'list', 'watch'].map((verb) => ({ verb, group: certificates, resource: 'certificatesigningrequests' })),
    { verb: 'update', group: certificates, resource: 'certificatesigningrequests', subresource: 'approval' },
    ...signers.map((name) => ({ verb: 'approve', group: certificates, resource: 'signers', name })),
    // Offboarding lists the bindings that name a departed holder.
    ...['rolebindings', 'clusterrolebindings'].map((resource) => ({ verb: 'list', group: 'rbac.authorization.k8s.io', resource })),
    // The permission preview (permissions-review.ts).
    { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
  ];
}

/** "update certificatesigningrequests/approval", "approve signers/<the client signer>". */
export function describeAccess(q: AccessQuestion): string {
  return `${q.verb} ${q.resource}${q.subresource ? `/${q.subresource}` : ''}${q.name ? `/${q.name}` : ''}`;
}

/** May the kubeconfig's identity do `q`? (kubectl auth can-i). Throws CsrbotError when the API does not answer. */
export async function canI(kc: KubeConfig, q: AccessQuestion, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  try {
    const r = await api.createSelfSubjectAccessReview(
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: q.verb, group: q.group, resource: q.resource, subresource: q.subresource, name: q.name } },
        },
      },
      requestDeadline(opts.timeoutMs ?? 10_000),
    );
    return r.status?.allowed === true;
  } catch (e) {
    throw toCsrbotError(e, { operation: 'access review', server: kc.getCurrentCluster()?.server, verb: 'create', resource: 'selfsubjectaccessreviews' });
  }
}
