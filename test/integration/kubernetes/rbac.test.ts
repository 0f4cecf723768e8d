// csrbot's identity runs under exactly the ClusterRole in deploy/rbac: enough to do its
// job, and 403 for everything else we checked.
import { describe, expect, it } from '@jest/globals';
import { CertificatesV1Api, CoreV1Api } from '@kubernetes/client-node';
import { KubernetesCsrApi, selfSubjectReview, toCsrbotError } from '../../../src/adapters/kubernetes/index.js';
import { clusterState, csrbotKubeConfig } from '../../support/cluster/cluster.js';
import { csrSpec, opensslKeyAndCsr, uniqueName } from './support.js';

describe('the csrbot identity', () => {
  it('is not an admin: it authenticates as the subject bound to the ClusterRole in deploy/rbac', async () => {
    const who = await selfSubjectReview(csrbotKubeConfig());
    const expected = clusterState().mode === 'harness' ? 'csrbot' : 'system:serviceaccount:csrbot:csrbot';
    expect(who.username).toBe(expected);
    expect(who.groups).not.toContain('system:masters');
  });

  it('can create, get, list, watch, approve and deny CSRs', async () => {
    const api = KubernetesCsrApi.create(csrbotKubeConfig());
    const a = uniqueName('rbac-a');
    const d = uniqueName('rbac-d');
    const { resourceVersion } = await api.listManaged();
    const events: string[] = [];
    const watch = api.watch({ resourceVersion }, (type, csr) => events.push(`${type}:${csr.name}`));
    try {
      await api.create(csrSpec(a, opensslKeyAndCsr({ cn: 'rbac', o: ['dev-team'] }).csrPem));
      await api.create(csrSpec(d, opensslKeyAndCsr({ cn: 'rbac', o: ['dev-team'] }).csrPem));
      expect((await api.get(a))?.state).toBe('pending');
      expect((await api.listManaged()).items.map((c) => c.name)).toEqual(expect.arrayContaining([a, d]));
      expect(await api.approve(a, { reason: 'CsrbotApproved', message: 'rbac test' })).toEqual({ changed: true });
      expect(await api.deny(d, { reason: 'CsrbotDenied', message: 'rbac test' })).toEqual({ changed: true });
      for (let i = 0; i < 100 && !events.includes(`ADDED:${d}`); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      watch.stop();
    }
    expect(events).toEqual(expect.arrayContaining([`ADDED:${a}`, `ADDED:${d}`]));
  });

  it('gets 403 for deleting CSRs', async () => {
    const api = KubernetesCsrApi.create(csrbotKubeConfig());
    const name = uniqueName('rbac-del');
    await api.create(csrSpec(name, opensslKeyAndCsr({ cn: 'rbac' }).csrPem));
    const raw = csrbotKubeConfig().makeApiClient(CertificatesV1Api);
    const err = await raw.deleteCertificateSigningRequest({ name }).catch((e: unknown) => toCsrbotError(e, { operation: 'delete', name }));
    expect(err).toMatchObject({ code: 'CLUSTER_FORBIDDEN', details: expect.objectContaining({ verb: 'delete', resource: 'certificatesigningrequests' }) });
    expect((await api.get(name))?.name).toBe(name);
  });

  it('gets 403 for reading secrets', async () => {
    const core = csrbotKubeConfig().makeApiClient(CoreV1Api);
    const list = await core.listNamespacedSecret({ namespace: 'kube-system' }).catch((e: unknown) => toCsrbotError(e, { operation: 'list secrets' }));
    expect(list).toMatchObject({ code: 'CLUSTER_FORBIDDEN', details: expect.objectContaining({ verb: 'list', resource: 'secrets' }) });
    const get = await core.readNamespacedSecret({ name: 'anything', namespace: 'csrbot' }).catch((e: unknown) => toCsrbotError(e, { operation: 'get secret' }));
    expect(get).toMatchObject({ code: 'CLUSTER_FORBIDDEN', details: expect.objectContaining({ verb: 'get', resource: 'secrets' }) });
    expect((get as Error).message).toContain('kubectl apply -k deploy/rbac');
  });

  it('gets 403 for approving a kubernetes.io/kubelet-serving CSR', async () => {
    const api = KubernetesCsrApi.create(csrbotKubeConfig());
    const name = uniqueName('rbac-kubelet');
    await api.create(
      csrSpec(name, opensslKeyAndCsr({ cn: 'system:node:worker-1', o: ['system:nodes'] }).csrPem, {
        signerName: 'kubernetes.io/kubelet-serving',
        usages: ['digital signature', 'server auth'],
      }),
    );
    const err = await api.approve(name, { reason: 'CsrbotApproved', message: 'should not work' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CLUSTER_FORBIDDEN',
      details: expect.objectContaining({ verb: 'approve', resource: 'signers/kubernetes.io/kubelet-serving', name }),
    });
    expect(String((err as { details: { message: string } }).details.message)).toMatch(/kubelet-serving/);
    expect((await api.get(name))?.state).toBe('pending');
  });
});
