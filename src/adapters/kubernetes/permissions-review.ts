import { AuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { CLIENT_SIGNER, SYSTEM_AUTHENTICATED } from '../../domain/kubernetes-rules.js';
import { SENSITIVE_ABILITIES, type Ability, type Identity, type PermissionPreview } from '../../domain/privilege.js';
import type { PermissionsReview } from '../../ports.js';
import type { AccessQuestion } from './access-review.js';
import { requestDeadline } from './request-deadline.js';
import { toCsrbotError } from './to-csrbot-error.js';

const certificates = 'certificates.k8s.io';
const rbac = 'rbac.authorization.k8s.io';

/**
 * What each sensitive ability means in RBAC: the identity holds it when any
 * one of these is allowed cluster-wide. `signers` are the signers csrbot
 * approves for; the CertificateApproval admission plugin also honours the
 * `<domain>/*` wildcard, so both names are asked.
 */
export function abilityQuestions(signers: readonly string[] = [CLIENT_SIGNER]): Record<Ability, AccessQuestion[]> {
  const signerNames = [...new Set(signers.flatMap((s) => [s, `${s.split('/')[0]}/*`]))];
  return {
    'cluster-admin': [{ verb: '*', group: '*', resource: '*' }],
    'approve-signers': signerNames.map((name) => ({ verb: 'approve', group: certificates, resource: 'signers', name })),
    'update-csr-approval': [{ verb: 'update', group: certificates, resource: 'certificatesigningrequests', subresource: 'approval' }],
    impersonate: ['users', 'groups', 'serviceaccounts', 'uids'].map((resource) => ({
      verb: 'impersonate',
      group: resource === 'uids' ? 'authentication.k8s.io' : '',
      resource,
    })),
    'escalate-or-bind': ['escalate', 'bind'].flatMap((verb) => ['clusterroles', 'roles'].map((resource) => ({ verb, group: rbac, resource }))),
    'read-secrets': ['get', 'list', 'watch'].map((verb) => ({ verb, group: '', resource: 'secrets' })),
    'exec-into-pods': ['create', 'get'].map((verb) => ({ verb, group: '', resource: 'pods', subresource: 'exec' })),
    'create-pods': [{ verb: 'create', group: '', resource: 'pods' }],
    'nodes-proxy': ['get', 'create'].map((verb) => ({ verb, group: '', resource: 'nodes', subresource: 'proxy' })),
  };
}

export interface KubernetesPermissionsReviewOptions {
  /** The signers csrbot approves for (ALLOWED_SIGNERS); default the client signer. */
  signers?: readonly string[];
  /** Per SubjectAccessReview; default 10 s. */
  timeoutMs?: number;
}

/**
 * SubjectAccessReview for every sensitive ability, asked cluster-wide (no
 * namespace): what the certificate's identity could do with the user, its
 * groups and system:authenticated. RoleBindings in a namespace are not seen,
 * so an empty answer means "nothing sensitive cluster-wide".
 */
export class KubernetesPermissionsReview implements PermissionsReview {
  private constructor(
    private readonly api: AuthorizationV1Api,
    private readonly server: string | undefined,
    private readonly questions: Record<Ability, AccessQuestion[]>,
    private readonly timeoutMs: number,
  ) {}

  static create(kc: KubeConfig, opts: KubernetesPermissionsReviewOptions = {}): KubernetesPermissionsReview {
    return new KubernetesPermissionsReview(
      kc.makeApiClient(AuthorizationV1Api),
      kc.getCurrentCluster()?.server,
      abilityQuestions(opts.signers),
      opts.timeoutMs ?? 10_000,
    );
  }

  async preview(identity: Identity): Promise<PermissionPreview> {
    const groups = [...new Set([...identity.groups, SYSTEM_AUTHENTICATED])];
    const held = await Promise.all(
      SENSITIVE_ABILITIES.map(async (a) => {
        const answers = await Promise.all(this.questions[a].map((q) => this.allowed(identity.username, groups, q)));
        return answers.some(Boolean) ? a : undefined;
      }),
    );
    return { identity: { username: identity.username, groups: [...identity.groups] }, abilities: held.filter((a): a is Ability => a !== undefined) };
  }

  private async allowed(user: string, groups: string[], q: AccessQuestion): Promise<boolean> {
    try {
      const r = await this.api.createSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: { user, groups, resourceAttributes: { verb: q.verb, group: q.group, resource: q.resource, subresource: q.subresource, name: q.name } },
          },
        },
        requestDeadline(this.timeoutMs),
      );
      return r.status?.allowed === true;
    } catch (e) {
      throw toCsrbotError(e, { operation: 'permission preview', server: this.server, verb: 'create', resource: 'subjectaccessreviews' });
    }
  }
}
