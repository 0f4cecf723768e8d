import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { approveRequest } from '../../../src/app/decide.js';
import { WATCH_WINDOW_MS, processIssue } from '../../../src/app/issue.js';
import { NotYet } from '../../../src/ports.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted, type Submitted } from './flow.js';
import { describeFor } from '../../../src/domain/errors.js';
import type { CertificateRequest } from '../../../src/domain/lifecycle.js';

/** What each reader is shown of a request's failure. */
const failureFor = (reader: 'requester' | 'admin', r: CertificateRequest | undefined) =>
  r?.failure ? describeFor(reader, r.failure.code, r.failure.details) : '';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** A request approved by alice, the approval written to the cluster; the issue job is pending. */
async function approved(opts: Parameters<typeof submitted>[1] = {}): Promise<Submitted> {
  const t = await submitted(pki, {
    ...opts,
    settings: {
      delivery: { clusterName: 'prod-eu', serverUrl: 'https://k8s.example.com:6443', caPem: () => pki.caPem, keyPathTemplate: '{user}.key' },
      ...opts.settings,
    },
  });
  await approveRequest(t.deps, t.id, admin(people.alice));
  // Run the approve job only: runAll stops with an error when it reaches the issue job.
  await expect(t.jobs.runAll(t.handlers, { maxJobs: 1 })).rejects.toThrow(/more than 1 jobs/);
  expect(t.jobs.pending.map((j) => j.kind)).toEqual(['issue']);
  expect(t.csrApi.object(t.request.csrName)?.state).toBe('approved');
  return t;
}

describe('processIssue', () => {
  it('delivers the certificate and a kubeconfig once, records the issued certificate, and shows it on the card', async () => {
    const t = await approved();
    const certPem = pki.sign(t.key.csrPem);
    const x509 = new X509Certificate(certPem);
    t.csrApi.issue(t.request.csrName, certPem);
    await t.jobs.runAll(t.handlers);
    await processIssue(t.deps, t.id); // a repeat (already issued) does nothing

    expect(t.chat.deliveries).toHaveLength(1);
    const { files, request } = t.chat.deliveries[0]!;
    expect(request.dmChannel).toBe('DJANE');
    expect(files.certificatePem).toBe(certPem);
    expect(files.certificateFilename).toBe('jane.crt');
    expect(files.kubeconfigFilename).toBe('jane-prod-eu.kubeconfig');
    expect(files.instructions).toContain('cp jane.key "$HOME/.kube/csrbot/jane.key"');
    expect(files.instructions).toContain('kubectl --kubeconfig $HOME/.kube/csrbot/jane-prod-eu.kubeconfig auth whoami');
    expect(files.instructions).toContain(new Date(x509.validTo).toISOString());
    for (const text of Object.values(files)) expect(text).not.toContain('PRIVATE KEY');

    const kc = new KubeConfig();
    kc.loadFromString(files.kubeconfig);
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'prod-eu', server: 'https://k8s.example.com:6443' });
    expect(Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString()).toBe(pki.caPem);
    expect(kc.getCurrentUser()).toMatchObject({ name: 'jane', keyFile: 'jane.key' });
    expect(Buffer.from(kc.getCurrentUser()!.certData!, 'base64').toString()).toBe(certPem);
    expect(kc.getCurrentUser()?.keyData).toBeUndefined();

    const r = await state(t, t.id);
    expect(r.state).toBe('issued');
    expect(r.issued).toMatchObject({
      serial: x509.serialNumber.toLowerCase(),
      notAfter: new Date(x509.validTo).toISOString(),
      username: 'jane',
      groups: ['developers'],
    });
    // The record says whose certificate it is and who approved it, as delivered.
    expect(r.issued).toMatchObject({ requesterId: t.request.requester.userId, approvers: r.approvals.map((a) => a.userId) });
    expect(t.chat.deliveries[0]?.request.issued).toEqual(r.issued);
    expect(t.chat.lastCard).toMatchObject({ state: 'issued', issued: { serial: x509.serialNumber.toLowerCase() } });
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.chat.noticesOf('failed')).toHaveLength(0);
  });

  it('waits for the signer and is woken by the watch, not by the window running out', async () => {
    const t = await approved();
    const started = Date.now();
    const job = processIssue(t.deps, t.id);
    while (t.csrApi.watcherCount === 0) await new Promise((r) => setImmediate(r));
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await job;
    // There is no poll: only the watch can end the wait before the window closes.
    expect(Date.now() - started).toBeLessThan(WATCH_WINDOW_MS);
    expect(t.chat.deliveries).toHaveLength(1);
    expect(t.csrApi.watcherCount).toBe(0);
  });

  it('embeds the CA as it is at delivery time: after a CA rotation, new kubeconfigs carry the new CA', async () => {
    let ca = 'old CA';
    const t = await approved({
      settings: { delivery: { clusterName: 'prod-eu', serverUrl: 'https://k8s.example.com:6443', caPem: () => ca, keyPathTemplate: '{user}.key' } },
    });
    ca = pki.caPem; // rotated between start-up and this delivery
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    const kc = new KubeConfig();
    kc.loadFromString(t.chat.deliveries[0]!.files.kubeconfig);
    expect(Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString()).toBe(pki.caPem);
  });

  it('signer Failed: the requester and the card get the signer message; state failed; nothing delivered', async () => {
    const t = await approved();
    t.csrApi.failSigning(t.request.csrName, 'requested duration exceeds the signer maximum');
    await t.jobs.runAll(t.handlers);
    const r = await state(t, t.id);
    expect(r.state).toBe('failed');
    expect(r.failure?.code).toBe('CSR_SIGNING_FAILED');
    expect(failureFor('admin', r)).toContain('requested duration exceeds the signer maximum');
    const failed = t.chat.noticesOf('failed');
    expect(failed).toHaveLength(1);
    expect(failureFor('requester', failed[0]!.request)).toContain('requested duration exceeds the signer maximum');
    expect(t.chat.lastCard).toMatchObject({ state: 'failed' });
    expect(failureFor('admin', t.chat.lastCard)).toContain('signer maximum');
    expect(t.chat.deliveries).toHaveLength(0);
  });

  it('a certificate for another key: failed with CERTIFICATE_KEY_MISMATCH, nothing delivered or recorded', async () => {
    const t = await approved();
    const stranger = pki.userKey('/CN=jane/O=developers');
    t.csrApi.issue(t.request.csrName, pki.sign(stranger.csrPem));
    await t.jobs.runAll(t.handlers);
    const r = await state(t, t.id);
    expect(r.state).toBe('failed');
    expect(failureFor('admin', r)).toContain('is not for the key in the request');
    expect(failureFor('admin', r)).toContain(t.key.summary.fingerprint);
    expect(failureFor('admin', r)).toContain(stranger.summary.fingerprint);
    expect(failureFor('requester', r)).toBe('The certificate the cluster issued is not for your key, so it was not delivered. The admins can see why.');
    expect(r.issued).toBeUndefined();
    expect(t.chat.deliveries).toHaveLength(0);
    expect(t.chat.noticesOf('failed')).toHaveLength(1);
  });

  it('signer silent: the job watches briefly, then asks to run again later instead of holding its worker slot', async () => {
    expect(WATCH_WINDOW_MS).toBe(3_000);
    const t = await approved({ settings: { issuanceTimeoutSeconds: 600, signerWatchMs: 300 } });
    const started = Date.now();
    const err = await processIssue(t.deps, t.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotYet);
    expect((err as NotYet).retryInMs).toBe(1_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1_300);
    expect(t.csrApi.watcherCount).toBe(0);
    // Later re-checks back off with the time already waited, up to 5 s, and never past the deadline.
    t.clock.advance(12_000);
    expect(((await processIssue(t.deps, t.id).catch((e: unknown) => e)) as NotYet).retryInMs).toBe(3_000);
    t.clock.advance(200_000);
    expect(((await processIssue(t.deps, t.id).catch((e: unknown) => e)) as NotYet).retryInMs).toBe(5_000);
    t.clock.advance(385_000);
    expect(((await processIssue(t.deps, t.id).catch((e: unknown) => e)) as NotYet).retryInMs).toBe(3_000);
    // The signer answers: the next run delivers.
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    expect(t.chat.deliveries).toHaveLength(1);
  });

  it('no certificate by the deadline: ISSUANCE_TIMEOUT failure, announced once', async () => {
    // Decided 601 s ago with a 10-minute timeout: the deadline has passed.
    const t = await approved({ settings: { issuanceTimeoutSeconds: 600 } });
    t.clock.advance(601_000);
    await t.jobs.runAll(t.handlers);
    const r = await state(t, t.id);
    expect(r.state).toBe('failed');
    expect(failureFor('admin', r)).toContain('issued no certificate within 600s');
    // The requester is not handed kube-controller-manager flags.
    expect(failureFor('requester', r)).not.toContain('kube-controller-manager');
    expect(failureFor('requester', r)).toContain('issued no certificate in time');
    expect(t.chat.noticesOf('failed')).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'failed' });
    expect(t.csrApi.watcherCount).toBe(0);
  });

  it('CSR deleted before the signer answered: state deleted, announced once', async () => {
    const t = await approved();
    t.csrApi.remove(t.request.csrName);
    await t.jobs.runAll(t.handlers);
    await processIssue(t.deps, t.id);
    expect((await state(t, t.id)).state).toBe('deleted');
    expect(t.chat.noticesOf('deleted')).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'deleted' });
    expect(t.chat.deliveries).toHaveLength(0);
  });

  it('delivery fails once: the job throws, and the retry delivers exactly once', async () => {
    const t = await approved();
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    t.chat.failNext('deliver', new Error('files.uploadV2: 500'));
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow('files.uploadV2: 500');
    expect((await state(t, t.id)).state).toBe('approved');
    expect(t.chat.deliveries).toHaveLength(0);
    await t.jobs.runAll(t.handlers);
    expect(t.chat.deliveries).toHaveLength(1);
    expect((await state(t, t.id)).state).toBe('issued');
    expect((await state(t, t.id)).issued).toEqual(t.chat.deliveries[0]!.request.issued);
  });

  it('cluster unreachable while waiting: throws for a retry and tells the requester "delayed" once', async () => {
    const t = await approved();
    t.csrApi.failNext('get', 'CLUSTER_UNREACHABLE', { reason: 'ECONNRESET' }, 2);
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    expect(t.chat.noticesOf('delayed')).toHaveLength(1);
    expect(t.csrApi.watcherCount).toBe(0);
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    expect(t.chat.deliveries).toHaveLength(1);
  });

  it('does nothing for a request that is not approved', async () => {
    const t = await submitted(pki);
    await processIssue(t.deps, t.id);
    expect(t.csrApi.calls.filter((c) => c === 'get')).toHaveLength(0);
    await expect(processIssue(t.deps, 'nope')).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
  });
});
