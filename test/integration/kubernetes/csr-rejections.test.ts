// What the real API server and signer refuse, and how the adapter reports it.
import { describe, expect, it } from '@jest/globals';
import { KubernetesCsrApi } from '../../../src/adapters/kubernetes/index.js';
import { csrbotKubeConfig } from '../../support/cluster/cluster.js';
import { csrSpec, opensslKeyAndCsr, readCsr, uniqueName, waitForCertificate } from './support.js';

const api = (): KubernetesCsrApi => KubernetesCsrApi.create(csrbotKubeConfig());

describe('rejections', () => {
  it('O=system:masters is refused by the API server (CertificateSubjectRestriction) with its message', async () => {
    const name = uniqueName('masters');
    const err = await api()
      .create(csrSpec(name, opensslKeyAndCsr({ cn: 'eve', o: ['system:masters'] }).csrPem))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CSR_REJECTED_BY_API', details: expect.objectContaining({ name }) });
    const message = String((err as { details: { message: string } }).details.message);
    expect(message).toMatch(/system:masters/);
    expect(message).toMatch(/not allowed/);
    expect((err as Error).message).toContain(message);
    expect(await api().get(name)).toBeUndefined();
  });

  it('usage "server auth" is approved but ends with the signer’s Failed condition, which the adapter reports', async () => {
    const name = uniqueName('server-auth');
    await api().create(csrSpec(name, opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] }).csrPem, { usages: ['digital signature', 'server auth'] }));
    await api().approve(name, { reason: 'CsrbotApproved', message: 'approved by @alice' });
    const err = await waitForCertificate(api(), name, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CSR_SIGNING_FAILED', details: expect.objectContaining({ name }) });
    const csr = await api().get(name);
    expect(csr?.state).toBe('failed');
    expect(csr?.certificatePem).toBeUndefined();
    expect((await readCsr(name)).status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Failed', status: 'True' })]));
    expect(csr?.failureMessage).toMatch(/server auth/);
  });

  it('a CSR that does not exist: get answers undefined; approve and deny are CSR_NOT_FOUND naming it', async () => {
    const name = uniqueName('missing');
    expect(await api().get(name)).toBeUndefined();
    await expect(api().approve(name, { reason: 'R', message: 'm' })).rejects.toMatchObject({
      code: 'CSR_NOT_FOUND',
      details: expect.objectContaining({ name }),
    });
    await expect(api().deny(name, { reason: 'R', message: 'm' })).rejects.toMatchObject({ code: 'CSR_NOT_FOUND', details: expect.objectContaining({ name }) });
  });

  it('an invalid request is refused with the API server’s validation message', async () => {
    const name = uniqueName('invalid');
    const err = await api()
      .create(csrSpec(name, opensslKeyAndCsr({ cn: 'jane' }).csrPem, { expirationSeconds: 60 }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CSR_REJECTED_BY_API', details: expect.objectContaining({ status: 422 }) });
    expect(String((err as { details: { message: string } }).details.message)).toMatch(/expirationSeconds/);
  });
});
