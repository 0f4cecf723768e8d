// The permission preview asks the real authorizer (SubjectAccessReview, as
// csrbot's own identity under deploy/rbac) what a certificate's identity could
// do, and the card shows it. view/edit only have rules because the harness runs
// the clusterrole-aggregation controller; `edit` below proves it does.
import { afterAll, describe, expect, it } from '@jest/globals';
import { AuthorizationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { KubernetesPermissionsReview } from '../../../src/adapters/kubernetes/permissions-review.js';
import { approvalCard } from '../../../src/adapters/slack/blocks/approval-card.js';
import { selfSubjectReview } from '../../../src/adapters/kubernetes/self-subject-review.js';
import { checkCsr, summarizeCsr, type IntakeDeps } from '../../../src/app/intake.js';
import { defaultPolicyConfig } from '../../../src/domain/policy/index.js';
import { parseCsr } from '../../../src/domain/csr/index.js';
import type { CertificateRequest } from '../../../src/domain/lifecycle.js';
import { holdsCsrbotPowers, isClusterAdminLevel, isPrivileged, SENSITIVE_ABILITIES } from '../../../src/domain/privilege.js';
import { adminKubeConfig, csrbotKubeConfig } from '@csrbot/control-plane';
import { opensslKeyAndCsr, uniqueName } from './support.js';

const rbac = () => adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
const bindings: string[] = [];

async function bind(user: string, clusterRole: string): Promise<void> {
  const name = uniqueName(`preview-${clusterRole}`);
  await rbac().createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    },
  });
  bindings.push(name);
}

afterAll(async () => {
  for (const name of bindings) await rbac().deleteClusterRoleBinding({ name });
});

/** The card an admin would see for a request from `user`, with the preview as the real apiserver answered it. */
async function cardFor(user: string): Promise<{ abilities: readonly string[]; text: string }> {
  const preview = await KubernetesPermissionsReview.create(csrbotKubeConfig()).preview({ username: user, groups: [] });
  const csr = summarizeCsr(parseCsr(opensslKeyAndCsr({ cn: user }).csrPem));
  const request: CertificateRequest = {
    id: uniqueName('req'),
    csrName: uniqueName('csr'),
    state: 'pending',
    requester: { userId: 'UJANE', teamId: 'T1', name: 'jane' },
    kubernetesUsername: user,
    csr: { ...csr, permissions: { abilities: [...preview.abilities] } },
    signerName: 'kubernetes.io/kube-apiserver-client',
    lifetimeSeconds: 3600,
    createdAt: new Date().toISOString(),
    approvals: [],
    quorum: 1,
  };
  return { abilities: preview.abilities, text: JSON.stringify(approvalCard(request).blocks) };
}

/** RBAC takes effect through the authorizer's informer: ask until the binding is seen. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the permission preview on the real apiserver', () => {
  it('a user with no bindings: none of the checked abilities cluster-wide', async () => {
    const { abilities, text } = await cardFor(uniqueName('nobody'));
    expect(abilities).toEqual([]);
    expect(text).toContain('none of the checked abilities cluster-wide (namespaced grants are not visible to this check)');
  });

  it('a user bound to view: still none (view reads no secrets), and the card says so', async () => {
    const user = uniqueName('viewer');
    await bind(user, 'view');
    // The binding is in force (and view has rules): the empty preview below is an answer, not a race.
    const authz = adminKubeConfig().makeApiClient(AuthorizationV1Api);
    const listPods = () =>
      authz
        .createSubjectAccessReview({ body: { spec: { user, resourceAttributes: { verb: 'list', resource: 'pods' } } } })
        .then((r) => r.status?.allowed === true);
    expect(await eventually(listPods, Boolean)).toBe(true);
    const { abilities, text } = await cardFor(user);
    expect(abilities).toEqual([]);
    expect(text).toContain('none of the checked abilities cluster-wide');
  });

  it('a user bound to edit: aggregation gave edit its rules, so secrets, pods and exec show', async () => {
    const user = uniqueName('editor');
    await bind(user, 'edit');
    const { abilities, text } = await eventually(
      () => cardFor(user),
      (c) => c.abilities.length > 0,
    );
    expect(abilities).toEqual(expect.arrayContaining(['read-secrets', 'exec-into-pods', 'create-pods', 'impersonate']));
    expect(abilities).not.toContain('cluster-admin');
    expect(text).toContain(':warning: read Secrets');
  });

  it('a user bound to cluster-admin: every checked ability, cluster-admin level, holds csrbot powers', async () => {
    const user = uniqueName('root');
    await bind(user, 'cluster-admin');
    const { abilities, text } = await eventually(
      () => cardFor(user),
      (c) => c.abilities.length === SENSITIVE_ABILITIES.length,
    );
    expect(abilities).toEqual([...SENSITIVE_ABILITIES]);
    const preview = { identity: { username: user, groups: [] }, abilities: [...SENSITIVE_ABILITIES] };
    expect(isPrivileged(preview) && isClusterAdminLevel(preview) && holdsCsrbotPowers(preview)).toBe(true);
    expect(text).toContain(':rotating_light: everything in every API group (cluster-admin)');
    expect(text).toContain(':rotating_light: approve certificates for the signers csrbot uses');
  });

  it("a group binding counts: a group bound to csrbot's role holds csrbot powers", async () => {
    const group = uniqueName('csr-approvers');
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: group },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'csrbot' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group }],
      },
    });
    bindings.push(group);
    const review = KubernetesPermissionsReview.create(csrbotKubeConfig());
    const p = await eventually(
      () => review.preview({ username: uniqueName('jane'), groups: [group] }),
      (v) => v.abilities.length > 0,
    );
    expect(p.abilities).toEqual(['approve-signers', 'update-csr-approval']);
    expect(holdsCsrbotPowers(p)).toBe(true);
  });
});

describe("csrbot's own identity", () => {
  /** Intake as main.ts wires it: the real preview, and csrbot's username from SelfSubjectReview. */
  async function intakeFor(username: string, allowCsrbotPowers: boolean, self?: string): Promise<IntakeDeps> {
    return {
      directory: {
        person: () => Promise.reject(new Error('unused')),
        isDeactivated: () => Promise.reject(new Error('unused')),
        groupMembers: () => Promise.resolve([]),
        timeZone: () => Promise.reject(new Error('unused')),
      },
      policy: defaultPolicyConfig,
      usernameRule: { kind: 'mapping', mapping: new Map([['UJANE', username]]) },
      permissions: KubernetesPermissionsReview.create(csrbotKubeConfig()),
      identity: { self, reserved: [], allowCsrbotPowers },
    };
  }
  const jane = { userId: 'UJANE', teamId: 'T1', name: 'jane' };

  it('learned from the real apiserver at start-up, is refused at intake', async () => {
    const self = (await selfSubjectReview(csrbotKubeConfig())).username;
    const result = await checkCsr(await intakeFor(self, true, self), opensslKeyAndCsr({ cn: self }).csrPem, jane);
    expect(result).toMatchObject({ ok: false, problems: [expect.stringContaining("csrbot's own identity")] });
  });

  it('even when csrbot could not learn it, its powers show in the preview and refuse it', async () => {
    const self = (await selfSubjectReview(csrbotKubeConfig())).username;
    const result = await checkCsr(await intakeFor(self, false), opensslKeyAndCsr({ cn: self }).csrPem, jane);
    expect(result).toMatchObject({ ok: false, problems: [expect.stringContaining('would be able to approve certificates')] });
  });
});
