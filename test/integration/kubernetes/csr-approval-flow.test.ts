// The seed's manual flow (openssl key + CSR, create, approve, use the
// certificate), done through our adapter against the real control plane,
// with csrbot's own least-privilege identity.
import { describe, expect, it, beforeAll } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { KubernetesCsrApi, selfSubjectReview } from '../../../src/adapters/kubernetes/index.js';
import type { CsrEventType, CsrObject } from '../../../src/ports.js';
import { clientCertKubeConfig, csrbotKubeConfig, signerCaPem } from '../../support/cluster/cluster.js';
import { CLIENT_AUTH_EKU, csrSpec, opensslKeyAndCsr, readCsr, subjectOf, uniqueName, waitForCertificate } from './support.js';

const approver = { reason: 'CsrbotApproved', message: 'approved in Slack by @alice (U0ALICE)' };

let api: KubernetesCsrApi;
beforeAll(() => {
  api = KubernetesCsrApi.create(csrbotKubeConfig());
});

describe('approving jane’s request', () => {
  const name = uniqueName('jane');
  const { keyPem, csrPem } = opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] });
  let certPem = '';
  let requestedAt = 0;

  it('creates the CSR with our signer, label and annotations, pending', async () => {
    requestedAt = Date.now();
    const csr = await api.create(csrSpec(name, csrPem, { expirationSeconds: 3600, annotations: { 'csrbot.dev/request-id': 'req-1' } }));
    expect(csr).toMatchObject({ name, state: 'pending', annotations: { 'csrbot.dev/request-id': 'req-1' } });
    // What the cluster stores: the adapter's label, and the spec as asked.
    const stored = await readCsr(name);
    expect(stored.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'csrbot' });
    expect(stored.metadata?.annotations).toEqual({ 'csrbot.dev/request-id': 'req-1' });
    expect(stored.spec).toMatchObject({ signerName: 'kubernetes.io/kube-apiserver-client', expirationSeconds: 3600 });
    expect(stored.spec.usages).toContain('client auth');
    expect(stored.metadata?.uid).toBeTruthy();
  });

  it('create is idempotent for the same request', async () => {
    const again = await api.create(csrSpec(name, csrPem, { expirationSeconds: 3600 }));
    expect(again).toMatchObject({ name, state: 'pending', annotations: { 'csrbot.dev/request-id': 'req-1' } });
    const other = opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] });
    await expect(api.create(csrSpec(name, other.csrPem))).rejects.toMatchObject({ code: 'CSR_NAME_TAKEN' });
  });

  it('approves with a condition naming the approver, and the signer issues the certificate', async () => {
    expect(await api.approve(name, approver)).toEqual({ changed: true });
    const approved = (await readCsr(name)).status?.conditions?.find((c) => c.type === 'Approved');
    expect(approved).toMatchObject({ status: 'True', reason: 'CsrbotApproved', message: 'approved in Slack by @alice (U0ALICE)' });
    expect(approved?.lastUpdateTime).toBeDefined();

    const issued = await waitForCertificate(api, name, { timeoutMs: 30_000 });
    expect(issued.state).toBe('issued');
    certPem = issued.certificatePem ?? '';
    expect(certPem).toContain('BEGIN CERTIFICATE');
  });

  it('the certificate is signed by the harness CA for CN=jane, O=dev-team, client auth, 1h', () => {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(signerCaPem());
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(subjectOf(cert)).toEqual({ CN: ['jane'], O: ['dev-team'] });
    expect(cert.keyUsage).toContain(CLIENT_AUTH_EKU);
    expect(cert.checkPrivateKey).toBeDefined();
    // notAfter follows expirationSeconds (the signer may backdate notBefore by a few minutes).
    const notAfter = Date.parse(cert.validTo);
    expect(notAfter).toBeGreaterThan(requestedAt + 3600_000 - 6 * 60_000);
    expect(notAfter).toBeLessThanOrEqual(Date.now() + 3600_000 + 60_000);
  });

  it('the certificate with jane’s key authenticates as jane in dev-team', async () => {
    const who = await selfSubjectReview(clientCertKubeConfig({ certPem, keyPem, name: 'jane' }));
    expect(who.username).toBe('jane');
    expect(who.groups).toEqual(expect.arrayContaining(['dev-team', 'system:authenticated']));
  });

  it('a second approve is a no-op', async () => {
    expect(await api.approve(name, { reason: 'CsrbotApproved', message: 'double click by @bob' })).toEqual({ changed: false });
    expect((await readCsr(name)).status?.conditions?.filter((c) => c.type === 'Approved')).toHaveLength(1);
  });

  it('a denial after approval is refused with CSR_ALREADY_DECIDED', async () => {
    await expect(api.deny(name, { reason: 'CsrbotDenied', message: 'too late' })).rejects.toMatchObject({
      code: 'CSR_ALREADY_DECIDED',
      details: expect.objectContaining({ decision: 'approved', attempted: 'deny' }),
    });
  });
});

describe('the signer caps the validity', () => {
  it('at 24h (--cluster-signing-duration) when 48h is requested', async () => {
    const name = uniqueName('long');
    const { csrPem } = opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] });
    const requestedAt = Date.now();
    await api.create(csrSpec(name, csrPem, { expirationSeconds: 48 * 3600 }));
    await api.approve(name, approver);
    const issued = await waitForCertificate(api, name);
    const notAfter = Date.parse(new X509Certificate(issued.certificatePem ?? '').validTo);
    expect(notAfter).toBeGreaterThan(requestedAt + 24 * 3600_000 - 6 * 60_000);
    expect(notAfter).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 60_000);
  });
});

describe('denied requests', () => {
  it('deny sets Denied; approving it then is CSR_ALREADY_DECIDED; a second deny is a no-op', async () => {
    const name = uniqueName('denied');
    await api.create(csrSpec(name, opensslKeyAndCsr({ cn: 'mallory', o: ['dev-team'] }).csrPem));
    expect(await api.deny(name, { reason: 'CsrbotDenied', message: 'denied in Slack by @alice (U0ALICE)' })).toEqual({ changed: true });
    expect((await api.get(name))?.state).toBe('denied');
    expect((await readCsr(name)).status?.conditions).toEqual([
      expect.objectContaining({ type: 'Denied', status: 'True', reason: 'CsrbotDenied', message: 'denied in Slack by @alice (U0ALICE)' }),
    ]);

    const err = await api.approve(name, approver).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CSR_ALREADY_DECIDED', details: expect.objectContaining({ name, decision: 'denied', attempted: 'approve' }) });
    expect((err as Error).message).toContain('was already denied');

    expect(await api.deny(name, { reason: 'CsrbotDenied', message: 'again' })).toEqual({ changed: false });
    expect((await api.get(name))?.state).toBe('denied');
    expect((await readCsr(name)).status?.conditions).toHaveLength(1);
  });
});

describe('watch', () => {
  it('streams our CSRs from pending to issued', async () => {
    const name = uniqueName('watched');
    const seen: Array<{ type: CsrEventType; csr: CsrObject }> = [];
    const { resourceVersion } = await api.listManaged();
    let resolveIssued: () => void = () => undefined;
    const issued = new Promise<void>((r) => (resolveIssued = r));
    const watch = api.watch({ resourceVersion }, (type, csr) => {
      if (csr.name !== name) return;
      seen.push({ type, csr });
      if (csr.state === 'issued') resolveIssued();
    });
    try {
      await api.create(csrSpec(name, opensslKeyAndCsr({ cn: 'watcher', o: ['dev-team'] }).csrPem));
      await api.approve(name, approver);
      await issued;
    } finally {
      watch.stop();
    }
    expect(seen[0]).toMatchObject({ type: 'ADDED', csr: { state: 'pending' } });
    expect(seen.map((e) => e.csr.state)).toEqual(expect.arrayContaining(['pending', 'approved', 'issued']));
  });

  // client-node 2 aborts a watch that has been silent for 30 s. On a quiet
  // cluster that is the normal case, not an error to log every half minute.
  it('stays quiet and keeps streaming across a silence longer than 30 s', async () => {
    const name = uniqueName('quiet');
    const errors: Error[] = [];
    const quietApi = KubernetesCsrApi.create(csrbotKubeConfig(), { onWatchError: (e) => errors.push(e) });
    let resolveAdded: () => void = () => undefined;
    const added = new Promise<void>((r) => (resolveAdded = r));
    // One CSR by name: nothing else the suite does reaches this watch, so it is silent until the create.
    const watch = quietApi.watch({ name }, (type, csr) => {
      if (type === 'ADDED' && csr.name === name) resolveAdded();
    });
    try {
      await new Promise((r) => setTimeout(r, 33_000));
      await api.create(csrSpec(name, opensslKeyAndCsr({ cn: 'quiet', o: ['dev-team'] }).csrPem));
      await added;
    } finally {
      watch.stop();
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
