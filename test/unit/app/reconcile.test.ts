import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest, denyRequest } from '../../../src/app/decide.js';
import { APPROVAL_REASON, Annotations, DENIAL_REASON } from '../../../src/app/deps.js';
import { onCsrEvent, reconcilePass, startReconciler } from '../../../src/app/reconcile.js';
import type { Deps } from '../../../src/app/deps.js';
import type { CsrObject } from '../../../src/ports.js';
import type { CertificateRequest } from '../../../src/domain/lifecycle.js';
import { InMemoryJobs } from '../../support/fakes/in-memory-jobs.js';
import { InMemoryRequestStore } from '../../support/fakes/in-memory-request-store.js';
import { people, workerFor } from '../../support/fakes/make-deps.js';
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

  it('our own approval seen again once the request moved on changes nothing', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect((await state(t, t.id)).state).toBe('approved');
    const before = { calls: t.chat.calls.length, jobs: t.jobs.enqueued.length };
    for (const type of ['ADDED', 'MODIFIED'] as const) await onCsrEvent(t.deps, type, t.csrApi.object(t.request.csrName)!);
    expect({ calls: t.chat.calls.length, jobs: t.jobs.enqueued.length }).toEqual(before);
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

  it('our own denial seen again once the request is denied changes nothing', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'not on call');
    await t.jobs.runAll(t.handlers);
    expect((await state(t, t.id)).state).toBe('denied');
    const before = t.chat.calls.length;
    await onCsrEvent(t.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
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

/**
 * A crashed Redis master can lose its last writes (asynchronous
 * replication): the click, the state change, the jobs and the once-flags,
 * while the cluster keeps the condition csrbot wrote. Redis here is the
 * record as it was before the lost writes, with no jobs and no flags; Slack
 * and the cluster remember everything.
 */
async function redisForgets(t: Submitted, before: CertificateRequest): Promise<Submitted> {
  const store = InMemoryRequestStore.create();
  await store.create(before);
  const jobs = InMemoryJobs.create();
  const deps: Deps = { ...t.deps, store, jobs };
  return { ...t, deps, store, jobs, handlers: workerFor(deps) };
}

describe("the reconciler after Redis lost csrbot's own decision", () => {
  it('approval reached the cluster, Redis says pending: the full pass restores the approvers, moves it on and delivers the certificate once', async () => {
    const t = await submitted(pki);
    const before = await state(t, t.id);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));

    const after = await redisForgets(t, before);
    expect((await state(after, t.id)).state).toBe('pending');
    const watch = await startReconciler(after.deps);
    watch.stop();
    const r = await state(after, t.id);
    expect(r.state).toBe('approved');
    expect(r.approvals.map((a) => a.userId)).toEqual([people.alice.userId]);
    expect(r.decision).toMatchObject({ by: [{ userId: people.alice.userId, name: 'Alice Admin' }] });
    expect(r.decision?.outside).toBeUndefined();
    expect(after.jobs.pending).toEqual([{ kind: 'issue', requestId: t.id }]);

    await after.jobs.runAll(after.handlers);
    const done = await state(after, t.id);
    expect(done.state).toBe('issued');
    expect(done.issued?.approvers).toEqual([people.alice.userId]);
    expect(t.chat.deliveries).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'issued' });
    // The approval itself is written once: the cluster holds one condition, written by the approve job before the crash.
    expect(t.csrApi.approvals.filter((a) => a.changed)).toHaveLength(1);
  });

  it('Redis forgets while csrbot runs (the CSRs do not change, so no watch event): the sweep pass moves it on, no restart; a second pass or replica changes nothing', async () => {
    const t = await submitted(pki);
    const before = await state(t, t.id);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    // csrbot's start-up pass is long done; Redis forgets, and the CSR does not change again.
    const after = await redisForgets(t, before);
    expect((await state(after, t.id)).state).toBe('pending');

    const pass = reconcilePass(after.deps);
    expect(pass.name).toBe('reconcile');
    expect(await pass.run(new Date())).toEqual({ csrs: 1, failed: 0 });
    const r = await state(after, t.id);
    expect(r.state).toBe('approved');
    expect(r.approvals.map((a) => a.userId)).toEqual([people.alice.userId]);
    expect(after.jobs.pending).toEqual([{ kind: 'issue', requestId: t.id }]);

    // Idempotent: the same pass again, and a second replica's at the same time, change nothing.
    await Promise.all([pass.run(new Date()), reconcilePass(replica(after)).run(new Date())]);
    expect(after.jobs.pending).toEqual([{ kind: 'issue', requestId: t.id }]);
    await after.jobs.runAll(after.handlers);
    expect((await state(after, t.id)).state).toBe('issued');
    expect(t.chat.deliveries).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'issued' });
    await pass.run(new Date());
    expect(after.jobs.pending).toEqual([]);
  });

  it('the sweep pass counts a CSR it could not handle and goes on with the rest', async () => {
    const t = await submitted(pki);
    const before = await state(t, t.id);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    const after = await redisForgets(t, before);
    const broken: Deps = {
      ...after.deps,
      store: Object.assign(Object.create(after.store) as InMemoryRequestStore, {
        get: () => Promise.reject(new Error('Redis is away')),
      }),
    };
    expect(await reconcilePass(broken).run(new Date())).toEqual({ csrs: 1, failed: 1 });
    expect(await reconcilePass(after.deps).run(new Date())).toEqual({ csrs: 1, failed: 0 });
    expect((await state(after, t.id)).state).toBe('approved');
  });

  it('with a quorum of two, both approvers come back from the condition', async () => {
    const t = await submitted(pki, { settings: { quorum: 2 } });
    const before = await state(t, t.id);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await approveRequest(t.deps, t.id, admin(people.bob));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    const after = await redisForgets(t, before);
    await onCsrEvent(after.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
    const r = await state(after, t.id);
    expect(r.state).toBe('approved');
    expect(r.approvals.map((a) => a.userId).sort()).toEqual([people.alice.userId, people.bob.userId].sort());
    expect(r.decision?.by.map((d) => d.userId).sort()).toEqual([people.alice.userId, people.bob.userId].sort());
  });

  it('Redis kept approving but lost the approve job: the full pass moves it on and enqueues the issue job', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    const approving = await state(t, t.id);
    expect(approving.state).toBe('approving');
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));

    const after = await redisForgets(t, approving);
    const watch = await startReconciler(after.deps);
    watch.stop();
    expect((await state(after, t.id)).state).toBe('approved');
    expect(after.jobs.pending).toEqual([{ kind: 'issue', requestId: t.id }]);
    await after.jobs.runAll(after.handlers);
    expect((await state(after, t.id)).state).toBe('issued');
    expect(t.chat.deliveries).toHaveLength(1);
  });

  it('the approve job and the watch event of its own write race: one approved notice, one issue job, one delivery', async () => {
    // The issue job finds the signer has not answered yet and parks until the next run.
    const t = await submitted(pki, { settings: { signerWatchMs: 0 } });
    const watch = await startReconciler(t.deps);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll(t.handlers);
    await new Promise((r) => setImmediate(r));
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    watch.stop();
    expect((await state(t, t.id)).state).toBe('issued');
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);
    expect(t.chat.deliveries).toHaveLength(1);
  });

  it('denial reached the cluster, Redis says pending: the full pass denies it with the denier and reason from the condition', async () => {
    const t = await submitted(pki);
    const before = await state(t, t.id);
    await denyRequest(t.deps, t.id, admin(people.alice), 'not on call: ask on Monday');
    await t.jobs.runAll(t.handlers);

    const after = await redisForgets(t, before);
    const watch = await startReconciler(after.deps);
    watch.stop();
    const r = await state(after, t.id);
    expect(r.state).toBe('denied');
    expect(r.decision).toMatchObject({ by: [{ userId: people.alice.userId, name: 'Alice Admin' }], reason: 'not on call: ask on Monday' });
    expect(t.chat.lastCard).toMatchObject({ state: 'denied' });
    expect(after.jobs.enqueued).toEqual([]);
  });

  it('a CsrbotApproved condition csrbot did not write (an unreadable message) still moves the request on, as an outside approval', async () => {
    const t = await submitted(pki);
    t.csrApi.approveOutside(t.request.csrName, APPROVAL_REASON, 'approved by hand');
    await onCsrEvent(t.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
    const r = await state(t, t.id);
    expect(r.state).toBe('approved');
    expect(r.approvals).toEqual([]);
    expect(r.decision).toMatchObject({ by: [], outside: expect.stringContaining('approved by hand') });
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);

    const d = await submitted(pki, { request: { id: 'req-0002' } });
    d.csrApi.denyOutside(d.request.csrName, DENIAL_REASON, '');
    await onCsrEvent(d.deps, 'MODIFIED', d.csrApi.object(d.request.csrName)!);
    expect((await state(d, 'req-0002')).state).toBe('denied');
  });
});
