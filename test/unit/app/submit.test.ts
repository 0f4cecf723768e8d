import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Annotations } from '../../../src/app/deps.js';
import { processSubmit, submitRequest } from '../../../src/app/submit.js';
import { makeDeps } from '../../support/fakes/make-deps.js';
import { TestPki, type UserKey } from '../../support/fakes/test-pki.js';
import { newRequest, state } from './flow.js';
import { describeFor } from '../../../src/domain/errors.js';
import type { CertificateRequest } from '../../../src/domain/lifecycle.js';

/** What each reader is shown of a request's failure. */
const failureFor = (reader: 'requester' | 'admin', r: CertificateRequest | undefined) =>
  r?.failure ? describeFor(reader, r.failure.code, r.failure.details) : '';

let pki: TestPki;
let key: UserKey;
beforeAll(() => {
  pki = TestPki.create();
  key = pki.userKey();
});
afterAll(() => pki.cleanup());

describe('submitRequest', () => {
  it('records a pending request with a valid CSR name, the configured quorum and the clock time, and enqueues submit once', async () => {
    const t = makeDeps({ now: '2030-01-02T03:04:05.000Z', settings: { quorum: 2 } });
    const first = await submitRequest(t.deps, newRequest(key));
    const again = await submitRequest(t.deps, newRequest(key));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(first.request).toMatchObject({ state: 'pending', quorum: 2, approvals: [], createdAt: '2030-01-02T03:04:05.000Z' });
    expect(first.request.csrName).toMatch(/^csrbot-jane-req-0001-[0-9a-f]{10}$/);
    expect(t.jobs.enqueued).toEqual([{ kind: 'submit', requestId: 'req-0001' }]);
  });
});

describe('processSubmit', () => {
  it("creates the CSR as csrbot's, with request annotations, client auth usage and lifetime", async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key, { reason: 'x'.repeat(1500) }));
    await t.jobs.runAll(t.handlers);
    expect(t.csrApi.creates).toHaveLength(1);
    const spec = t.csrApi.spec(request.csrName)!;
    expect(spec).toEqual({
      name: request.csrName,
      csrPem: key.summary.pem,
      signerName: 'kubernetes.io/kube-apiserver-client',
      usages: ['client auth'],
      expirationSeconds: 86400,
      annotations: {
        [Annotations.requestId]: 'req-0001',
        [Annotations.slackUser]: 'UJANE',
        [Annotations.slackTeam]: 'T1',
        [Annotations.reason]: 'x'.repeat(1000),
      },
    });
    // Created through the port, it is csrbot's: the reconciler's list finds it.
    expect((await t.csrApi.listManaged()).items.map((o) => o.name)).toEqual([request.csrName]);
  });

  it('leaves out the reason annotation when no reason was given', async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key, { reason: undefined }));
    await t.jobs.runAll(t.handlers);
    expect(Object.keys(t.csrApi.spec(request.csrName)!.annotations)).not.toContain(Annotations.reason);
  });

  it('posts one card and confirms to the requester once, even when the job runs twice', async () => {
    const t = makeDeps();
    await submitRequest(t.deps, newRequest(key));
    await processSubmit(t.deps, 'req-0001');
    await processSubmit(t.deps, 'req-0001');
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.cards[0]!.request).toMatchObject({ id: 'req-0001', state: 'pending', kubernetesUsername: 'jane' });
    expect(t.chat.noticesOf('submitted')).toHaveLength(1);
    expect(t.chat.notices).toHaveLength(1);
    const r = await state(t, 'req-0001');
    expect(r.card).toEqual({ channel: t.chat.cards[0]!.channel, ts: t.chat.cards[0]!.ts });
    expect(r.state).toBe('pending');
  });

  it('retries a card post that failed without posting a second one', async () => {
    const t = makeDeps();
    await submitRequest(t.deps, newRequest(key));
    t.chat.failNext('postCard', new Error('slack 500'));
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow('slack 500');
    expect(t.chat.notices).toHaveLength(0);
    await t.jobs.runAll(t.handlers);
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.noticesOf('submitted')).toHaveLength(1);
    expect(t.csrApi.names).toHaveLength(1);
  });

  it('retries a failed confirmation: the requester hears "submitted" exactly once', async () => {
    const t = makeDeps();
    await submitRequest(t.deps, newRequest(key));
    t.chat.failNext('notifyRequester', new Error('slack 503'));
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow('slack 503');
    await t.jobs.runAll(t.handlers);
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.noticesOf('submitted')).toHaveLength(1);
  });

  it('CLUSTER_UNREACHABLE: tells the requester "delayed" once over several failed attempts, throws each time, then completes', async () => {
    const t = makeDeps();
    await submitRequest(t.deps, newRequest(key));
    t.csrApi.failNext('create', 'CLUSTER_UNREACHABLE', { server: 'https://k8s.example.com:6443', reason: 'ECONNREFUSED' }, 3);
    for (let i = 0; i < 3; i++) {
      await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    }
    const delayed = t.chat.noticesOf('delayed');
    expect(delayed).toHaveLength(1);
    // The requester hears that the cluster is slow, not csrbot's KUBECONFIG or the API server's address.
    expect(delayed[0]!.notice).toEqual({
      kind: 'delayed',
      reason: 'The Kubernetes cluster is not answering csrbot right now. Your request is kept, and csrbot keeps trying.',
    });
    expect(t.chat.cards).toHaveLength(0);

    await t.jobs.runAll(t.handlers);
    expect(t.csrApi.names).toEqual([expect.stringMatching(/^csrbot-jane-req-0001-[0-9a-f]{10}$/)]);
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.noticesOf('submitted')).toHaveLength(1);
    expect(t.chat.noticesOf('delayed')).toHaveLength(1);
    expect(t.chat.adminMessages).toEqual([]);
    expect((await state(t, 'req-0001')).state).toBe('pending');
  });

  it('CLUSTER_FORBIDDEN: tells the admins once which permission is missing, and keeps the job retrying', async () => {
    const t = makeDeps();
    await submitRequest(t.deps, newRequest(key));
    t.csrApi.failNext(
      'create',
      'CLUSTER_FORBIDDEN',
      { message: 'certificatesigningrequests is forbidden', verb: 'create', resource: 'certificatesigningrequests' },
      2,
    );
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_FORBIDDEN' });
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_FORBIDDEN' });
    expect(t.chat.adminMessages).toHaveLength(1);
    expect(t.chat.adminMessages[0]).toContain('create on certificatesigningrequests');
    expect(t.chat.adminMessages[0]).toContain('req-0001');
    // A permission problem is the admins' to fix, not a "delayed" the requester can do nothing about.
    expect(t.chat.noticesOf('delayed')).toHaveLength(0);
    await t.jobs.runAll(t.handlers);
    expect(t.chat.cards).toHaveLength(1);
  });

  it('CSR_REJECTED_BY_API: fails the request, tells the requester the API message, and does not throw (no retry)', async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key));
    t.csrApi.failNext('create', 'CSR_REJECTED_BY_API', { name: request.csrName, message: 'spec.expirationSeconds: Invalid value: 60' });
    await expect(t.jobs.runAll(t.handlers)).resolves.toEqual([{ kind: 'submit', requestId: 'req-0001' }]);
    const r = await state(t, 'req-0001');
    expect(r.state).toBe('failed');
    expect(failureFor('admin', r)).toContain('spec.expirationSeconds: Invalid value: 60');
    const failed = t.chat.noticesOf('failed');
    expect(failed).toHaveLength(1);
    expect(failureFor('requester', failed[0]!.request)).toContain('Invalid value: 60');
    expect(t.chat.lastCard).toMatchObject({ state: 'failed' });
    expect(t.chat.noticesOf('submitted')).toHaveLength(0);
    // Running it again changes nothing.
    await processSubmit(t.deps, 'req-0001');
    expect(t.chat.notices).toHaveLength(1);
    expect(t.csrApi.names).toEqual([]);
  });

  it('CSR_REJECTED_BY_API whose "failed" DM could not be sent: the retry sends "failed", never "submitted"; admins get one card without buttons', async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key));
    t.csrApi.failNext('create', 'CSR_REJECTED_BY_API', { name: request.csrName, message: 'spec.usages: Unsupported value' });
    t.chat.failNext('notifyRequester', new Error('slack 503'));
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow('slack 503');
    await t.jobs.runAll(t.handlers);
    expect(t.chat.notices.map((n) => n.notice.kind)).toEqual(['failed']);
    expect(failureFor('requester', t.chat.noticesOf('failed')[0]!.request)).toContain('spec.usages: Unsupported value');
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.cards[0]!.request.state).toBe('failed');
    expect((await state(t, 'req-0001')).state).toBe('failed');
  });

  it('a request approved outside Slack before its card was posted: the card shows it, and the requester is not told "submitted" after "approved"', async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key));
    t.chat.failNext('postCard', new Error('slack 500'));
    await expect(t.jobs.runAll(t.handlers)).rejects.toThrow('slack 500');
    await t.store.transition('req-0001', ['pending'], 'approved', {
      decision: { by: [], outside: 'the cluster, outside Slack', at: t.clock.now().toISOString() },
    });
    await t.chat.notifyRequester(await state(t, 'req-0001'), { kind: 'approved' });
    await processSubmit(t.deps, request.id);
    expect(t.chat.cards).toHaveLength(1);
    expect(t.chat.cards[0]!.request.state).toBe('approved');
    expect(t.chat.notices.map((n) => n.notice.kind)).toEqual(['approved']);
  });

  it('CSR_NAME_TAKEN (a different CSR holds the name) fails the request instead of retrying forever', async () => {
    const t = makeDeps();
    const { request } = await submitRequest(t.deps, newRequest(key));
    const other = pki.userKey();
    await t.csrApi.create({ name: request.csrName, csrPem: other.csrPem, signerName: 's', usages: [], expirationSeconds: 600, annotations: {} });
    await t.jobs.runAll(t.handlers);
    expect((await state(t, 'req-0001')).state).toBe('failed');
    expect(t.chat.noticesOf('failed')).toHaveLength(1);
  });

  it('a missing request throws REQUEST_NOT_FOUND', async () => {
    const t = makeDeps();
    await expect(processSubmit(t.deps, 'nope')).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
  });
});
