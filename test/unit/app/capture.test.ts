import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { approveRequest } from '../../../src/app/decide.js';
import { onCsrEvent } from '../../../src/app/reconcile.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted, type Submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

async function approved(): Promise<Submitted> {
  const t = await submitted(pki);
  await approveRequest(t.deps, t.id, admin(people.alice));
  await expect(t.jobs.runAll(t.handlers, { maxJobs: 1 })).rejects.toThrow(/more than 1 jobs/);
  return t;
}

describe('a delivery held up past CSR garbage collection', () => {
  it('still delivers the certificate the signer issued, instead of claiming it was never issued', async () => {
    const t = await approved();
    const certPem = pki.sign(t.key.csrPem);
    t.csrApi.issue(t.request.csrName, certPem);
    // Slack is down when the issue job first sees the certificate.
    t.chat.failNext('deliver', new Error('slack down'), 1);
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow(/slack down/);
    // Over an hour later Kubernetes garbage-collects the issued CSR; the watch reports it.
    t.clock.advance(61 * 60_000);
    const gone = t.csrApi.object(t.request.csrName)!;
    t.csrApi.remove(t.request.csrName);
    await onCsrEvent(t.deps, 'DELETED', gone);
    await t.jobs.runAll(t.handlers);

    const r = await state(t, t.id);
    expect(r.state).toBe('issued');
    expect(t.chat.noticesOf('deleted')).toHaveLength(0);
    expect(t.chat.deliveries).toHaveLength(1);
    expect(t.chat.deliveries[0]!.files.certificatePem).toBe(certPem);
    // Kept only until delivered: the inventory holds the certificate's facts from then on.
    expect(r.certificatePem).toBeUndefined();
    const serial = new X509Certificate(certPem).serialNumber.toLowerCase();
    expect(await t.deps.inventory.get(serial)).toMatchObject({ requestId: t.id, csrPem: t.key.csrPem, requesterId: people.jane.userId, status: 'active' });
  });

  it('the reconciler captures the certificate the first time it sees it, before any issue job runs', async () => {
    const t = await approved();
    const certPem = pki.sign(t.key.csrPem);
    t.csrApi.issue(t.request.csrName, certPem);
    await onCsrEvent(t.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
    expect((await state(t, t.id)).certificatePem).toBe(certPem);
    const serial = new X509Certificate(certPem).serialNumber.toLowerCase();
    expect(await t.deps.inventory.get(serial)).toMatchObject({ requestId: t.id });
  });

  it('a request whose CSR vanished before any certificate was seen still ends deleted', async () => {
    const t = await approved();
    const gone = t.csrApi.object(t.request.csrName)!;
    t.csrApi.remove(t.request.csrName);
    await onCsrEvent(t.deps, 'DELETED', gone);
    expect((await state(t, t.id)).state).toBe('deleted');
    expect(t.chat.noticesOf('deleted')).toHaveLength(1);
  });
});
