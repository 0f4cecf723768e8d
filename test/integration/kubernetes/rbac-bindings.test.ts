// Offboarding lists the bindings that name a departed holder, as csrbot's own (least-privilege) identity.
import { afterAll, describe, expect, it } from '@jest/globals';
import { RbacAuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { KubernetesRbacBindings } from '../../../src/adapters/kubernetes/kubernetes-rbac-bindings.js';
import { adminKubeConfig, csrbotKubeConfig } from '@csrbot/control-plane';
import { uniqueName } from './support.js';

describe('KubernetesRbacBindings on the real API server', () => {
  const rbac = adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const user = uniqueName('leaver');
  const namespace = uniqueName('offboard-ns');
  const crbs: string[] = [];
  afterAll(async () => {
    for (const name of crbs) await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('finds every RoleBinding and ClusterRoleBinding naming the user, and nothing else', async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const crb = (name: string, subjects: Array<{ kind: string; name: string; apiGroup?: string; namespace?: string }>, role = 'view') => {
      crbs.push(name);
      return rbac.createClusterRoleBinding({
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects },
      });
    };
    const group = 'rbac.authorization.k8s.io';
    await crb(`${user}-view`, [{ kind: 'User', name: user, apiGroup: group }]);
    await crb(`${user}-shared`, [
      { kind: 'User', name: 'someone-else', apiGroup: group },
      { kind: 'User', name: user, apiGroup: group },
    ]);
    // Same name, other kinds: not the user.
    await crb(`${user}-group`, [{ kind: 'Group', name: user, apiGroup: group }]);
    await crb(`${user}-other`, [{ kind: 'User', name: `${user}-2`, apiGroup: group }]);
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'edit-for-leaver' },
        roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'User', name: user, apiGroup: group }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'sa-binding' },
        roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: user, namespace }],
      },
    });

    const found = await KubernetesRbacBindings.create(csrbotKubeConfig()).namingUser(user);
    expect(found).toEqual(
      expect.arrayContaining([
        { kind: 'ClusterRoleBinding', name: `${user}-view`, role: 'ClusterRole/view' },
        { kind: 'ClusterRoleBinding', name: `${user}-shared`, role: 'ClusterRole/view' },
        { kind: 'RoleBinding', namespace, name: 'edit-for-leaver', role: 'ClusterRole/edit' },
      ]),
    );
    expect(found).toHaveLength(3);
    expect(await KubernetesRbacBindings.create(csrbotKubeConfig()).namingUser(uniqueName('nobody'))).toEqual([]);
  });
});
