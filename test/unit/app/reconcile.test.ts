import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest } from '../../../src/app/decide.js';
import { APPROVAL_REASON, Annotations, DENIAL_REASON } from '../../../src/app/deps.js';
import { onCsrEvent, startReconciler } from '../../../src/app/reconcile.js';
import type { Deps } from '../../../src/app/deps.js';
import type { CsrObject } from '../../../src/ports.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted, type Submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

function approvedOutside(t: Submitted, reason = 'KubectlApprove'): CsrObject {
  return {
    name: t.request.csrName,
    uid: 'uid-1',
    state: 'approved',
    decision: { type: 'Approved', reason, message: 'This CSR was approved by kubectl certificate approve.' },
    annotations: { [Annotations.requestId]: t.id },
  };
}

/** A second replica: same Redis, same Slack, same cluster, its own process. */
function replica(t: Submitted): Deps {
  return { ...t.deps, log: t.deps.log.child({ replica: 2 }) };
}

describe('onCsrEvent', () => {
  it('the signer answered while the issue job is parked: the job is woken at once', async () => {
    const t = await submitted(pki);
    const ev = approvedOutside(t);
    await onCsrEvent(t.deps, 'MODIFIED', ev);
    expect(t.jobs.woken).toEqual([]);
    await onCsrEvent(t.deps, 'MODIFIED', { ...ev, state: 'issued', certificatePem: 'PEM' });
    expect(t.jobs.woken).toEqual([{ kind: 'issue', requestId: t.id }]);
  });

  it('approval outside Slack: approved, announced once and issue enqueued once, even if the event arrives 3 times', async () => {
    const t = await submitted(pki);
    const ev = approvedOutside(t);
    for (let i = 0; i < 3; i++) await onCsrEvent(t.deps, 'MODIFIED', ev);
    const r = await state(t, t.id);
    expect(r.state).toBe('approved');
    expect(r.decision).toMatchObject({ by: [], outside: expect.stringContaining('KubectlApprove') });
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'approved' });
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'approve')).toHaveLength(0);
  });

  it('two replicas receive the same event concurrently: one transition, one announcement', async () => {
    const t = await submitted(pki);
    const ev = approvedOutside(t);
    await Promise.all([
      onCsrEvent(t.deps, 'MODIFIED', ev),
      onCsrEvent(replica(t), 'MODIFIED', ev),
      onCsrEvent(t.deps, 'ADDED', ev),
      onCsrEvent(replica(t), 'MODIFIED', ev),
    ]);
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);
  });

  it('our own CsrbotApproved condition announces nothing (the approve job does)', async () => {
    const t = await submitted(pki);
    const before = t.chat.calls.length;
    await onCsrEvent(t.deps, 'MODIFIED', approvedOutside(t, APPROVAL_REASON));
    expect(t.chat.calls.length).toBe(before);
    expect((await state(t, t.id)).state).toBe('pending');
  });

  it('a Slack approval followed by its own watch event: one "approved" DM in all', async () => {
    const t = await submitted(pki);
    const stop = await startReconciler(t.deps);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    await new Promise((r) => setImmediate(r));
    stop.stop();
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
  });

  it('denial outside Slack: denied with the kubectl message as reason, announced once', async () => {
    const t = await submitted(pki);
    const ev: CsrObject = {
      name: t.request.csrName,
      uid: 'uid-1',
      state: 'denied',
      decision: { type: 'Denied', reason: 'KubectlDeny', message: 'not on-call this week' },
      annotations: { [Annotations.requestId]: t.id },
    };
    await onCsrEvent(t.deps, 'MODIFIED', ev);
    await onCsrEvent(replica(t), 'MODIFIED', ev);
    const r = await state(t, t.id);
    expect(r.state).toBe('denied');
    expect(r.decision).toMatchObject({ by: [], outside: expect.stringContaining('KubectlDeny'), reason: 'not on-call this week' });
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
    expect(t.chat.noticesOf('denied')[0]!.request.decision?.reason).toBe('not on-call this week');
  });

  it('our own CsrbotDenied condition announces nothing', async () => {
    const t = await submitted(pki);
    const before = t.chat.calls.length;
    await onCsrEvent(t.deps, 'MODIFIED', {
      uid: 'uid-1',
      name: t.request.csrName,
      state: 'denied',
      decision: { type: 'Denied', reason: DENIAL_REASON },
      annotations: { [Annotations.requestId]: t.id },
    });
    expect(t.chat.calls.length).toBe(before);
  });

  it('DELETED: pending and approved requests become deleted, announced once; decided ones are left alone', async () => {
    const t = await submitted(pki);
    const obj = t.csrApi.object(t.request.csrName)!;
    await onCsrEvent(t.deps, 'DELETED', obj);
    await onCsrEvent(replica(t), 'DELETED', obj);
    expect((await state(t, t.id)).state).toBe('deleted');
    expect(t.chat.noticesOf('deleted')).toHaveLength(1);

    const t2 = await submitted(pki);
    await approveRequest(t2.deps, t2.id, admin(people.alice));
    await onCsrEvent(t2.deps, 'DELETED', t2.csrApi.object(t2.request.csrName)!);
    expect((await state(t2, t2.id)).state).toBe('deleted');
    expect(t2.chat.noticesOf('deleted')).toHaveLength(1);
  });

  it('ignores CSRs without a request annotation or with an unknown request', async () => {
    const t = await submitted(pki);
    const before = t.chat.calls.length;
    await onCsrEvent(t.deps, 'MODIFIED', { ...approvedOutside(t), annotations: {} });
    await onCsrEvent(t.deps, 'MODIFIED', { ...approvedOutside(t), annotations: { [Annotations.requestId]: 'someone-else' } });
    expect(t.chat.calls.length).toBe(before);
  });

  it('ignores another CSR that copies the request annotation (only the CSR csrbot named counts)', async () => {
    const t = await submitted(pki);
    const before = t.chat.calls.length;
    await onCsrEvent(t.deps, 'MODIFIED', { ...approvedOutside(t), name: 'mallory-made-this' });
    await onCsrEvent(t.deps, 'DELETED', { ...approvedOutside(t), name: 'mallory-made-this' });
    expect(t.chat.calls.length).toBe(before);
    expect((await state(t, t.id)).state).toBe('pending');
  });
});

describe('startReconciler', () => {
  it('catches up on what happened while no replica watched, then follows the watch', async () => {
    const t = await submitted(pki);
    t.csrApi.approveOutside(t.request.csrName);
    const watcher = await startReconciler(t.deps);
    expect((await state(t, t.id)).state).toBe('approved');
    expect(t.chat.noticesOf('approved')).toHaveLength(1);

    const t2 = await submitted(pki, { request: { id: 'req-0002' } });
    const w2 = await startReconciler(t2.deps);
    t2.csrApi.denyOutside(t2.request.csrName);
    await new Promise((r) => setImmediate(r));
    expect((await state(t2, 'req-0002')).state).toBe('denied');
    expect(t2.chat.noticesOf('denied')).toHaveLength(1);
    watcher.stop();
    w2.stop();
    expect(t.csrApi.watcherCount + t2.csrApi.watcherCount).toBe(0);
  });

  it('a failing resync does not stop the watch', async () => {
    const t = await submitted(pki);
    t.csrApi.failNext('listManaged', 'CLUSTER_UNREACHABLE');
    const w = await startReconciler(t.deps);
    t.csrApi.approveOutside(t.request.csrName);
    await new Promise((r) => setImmediate(r));
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    w.stop();
  });
});
