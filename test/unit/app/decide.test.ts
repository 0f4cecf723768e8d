import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest, denyRequest, processApprove, processDeny } from '../../../src/app/decide.js';
import { APPROVAL_REASON, DENIAL_REASON } from '../../../src/app/deps.js';
import type { RequestState } from '../../../src/domain/lifecycle.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** Counts winning store transitions by target state. */
function countTransitions(t: Awaited<ReturnType<typeof submitted>>): Record<string, number> {
  const won: Record<string, number> = {};
  const real = t.store.transition.bind(t.store);
  t.store.transition = async (id, from, to: RequestState, patch) => {
    const r = await real(id, from, to, patch);
    if (r) won[to] = (won[to] ?? 0) + 1;
    return r;
  };
  return won;
}

describe('approveRequest: who may approve', () => {
  it('refuses a non-admin privately, stores nothing and enqueues nothing', async () => {
    const t = await submitted(pki);
    const cardsBefore = t.chat.cardUpdates.length;
    const out = await approveRequest(t.deps, t.id, admin(people.mallory));
    expect(out).toEqual({ kind: 'refused', code: 'NOT_AN_APPROVER' });
    expect(t.chat.ephemerals).toEqual([{ channel: 'CADMINS', userId: 'UMALLORY', text: expect.stringContaining('Only csrbot admins can decide') }]);
    const r = await state(t, t.id);
    expect(r.state).toBe('pending');
    expect(r.approvals).toEqual([]);
    expect(t.jobs.enqueued.map((j) => j.kind)).toEqual(['submit']);
    expect(t.chat.cardUpdates.length).toBe(cardsBefore);
  });

  it('names the admin group in the refusal when one is configured', async () => {
    const t = await submitted(pki, { settings: { adminGroup: 'SADMINS' } });
    t.chat.setGroup('SADMINS', [people.gina.userId]);
    await approveRequest(t.deps, t.id, admin(people.mallory));
    expect(t.chat.ephemerals[0]!.text).toContain('<!subteam^SADMINS>');
  });

  it('accepts a member of SLACK_ADMIN_GROUP who is not in the admin user list', async () => {
    const t = await submitted(pki, { settings: { adminGroup: 'SADMINS' } });
    t.chat.setGroup('SADMINS', [people.gina.userId]);
    await expect(approveRequest(t.deps, t.id, admin(people.gina))).resolves.toEqual({ kind: 'decided' });
    expect((await state(t, t.id)).state).toBe('approving');
    expect(t.chat.ephemerals).toEqual([]);
  });

  it('refuses self-approval by an admin who is the requester, unless allowSelfApproval', async () => {
    const selfish = { ...people.jane };
    const t = await submitted(pki, { settings: { adminUsers: [selfish.userId] } });
    await expect(approveRequest(t.deps, t.id, admin(selfish))).resolves.toEqual({ kind: 'refused', code: 'SELF_APPROVAL' });
    expect(t.chat.ephemerals[0]!.text).toContain('cannot approve your own');
    expect((await state(t, t.id)).approvals).toEqual([]);

    const t2 = await submitted(pki, { settings: { adminUsers: [selfish.userId], allowSelfApproval: true } });
    await expect(approveRequest(t2.deps, t2.id, admin(selfish))).resolves.toEqual({ kind: 'decided' });
  });

  it('answers REQUEST_NOT_FOUND for an unknown id', async () => {
    const t = await submitted(pki);
    await expect(approveRequest(t.deps, 'gone-1', admin(people.alice))).resolves.toEqual({ kind: 'refused', code: 'REQUEST_NOT_FOUND' });
    expect(t.chat.ephemerals[0]!.text).toContain('no request gone-1');
  });
});

describe('approveRequest: counting approvals', () => {
  it('quorum 1: one click decides, records the approver and enqueues one approve job', async () => {
    const t = await submitted(pki);
    await expect(approveRequest(t.deps, t.id, admin(people.alice))).resolves.toEqual({ kind: 'decided' });
    const r = await state(t, t.id);
    // Decided in Slack, not yet written to the cluster.
    expect(r.state).toBe('approving');
    expect(r.approvals).toEqual([{ userId: 'UALICE', name: 'Alice Admin', at: t.clock.now().toISOString() }]);
    expect(r.decision).toEqual({ by: [{ userId: 'UALICE', name: 'Alice Admin' }], at: t.clock.now().toISOString() });
    expect(t.csrApi.object(t.request.csrName)?.state).toBe('pending');
    expect(t.jobs.enqueued).toEqual([
      { kind: 'submit', requestId: t.id },
      { kind: 'approve', requestId: t.id },
    ]);
  });

  it('quorum 2: the first click is recorded on the card, the same admin twice counts once, a second admin decides', async () => {
    const t = await submitted(pki, { settings: { quorum: 2 } });
    await expect(approveRequest(t.deps, t.id, admin(people.alice))).resolves.toEqual({ kind: 'recorded', approvals: 1, quorum: 2 });
    expect(t.chat.lastCard).toMatchObject({ state: 'pending', approvals: [{ userId: 'UALICE' }] });
    await expect(approveRequest(t.deps, t.id, admin(people.alice))).resolves.toEqual({ kind: 'recorded', approvals: 1, quorum: 2 });
    expect((await state(t, t.id)).approvals).toHaveLength(1);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'approve')).toHaveLength(0);

    await expect(approveRequest(t.deps, t.id, admin(people.bob))).resolves.toEqual({ kind: 'decided' });
    const r = await state(t, t.id);
    expect(r.state).toBe('approving');
    expect(r.approvals.map((a) => a.userId).sort()).toEqual(['UALICE', 'UBOB']);
    expect(r.decision?.by.map((d) => d.userId).sort()).toEqual(['UALICE', 'UBOB']);
    expect(r.decision?.by.map((d) => d.name).sort()).toEqual(['Alice Admin', 'Bob Admin']);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'approve')).toHaveLength(1);
  });

  it('20 concurrent clicks by two admins: one transition, one approve job, every clicker gets a consistent answer', async () => {
    const t = await submitted(pki);
    const won = countTransitions(t);
    const clicks = Array.from({ length: 20 }, (_, i) => approveRequest(t.deps, t.id, admin(i % 2 ? people.bob : people.alice)));
    const outcomes = await Promise.all(clicks);
    expect(won).toEqual({ approving: 1 });
    expect(t.jobs.enqueued.filter((j) => j.kind === 'approve')).toHaveLength(1);
    for (const o of outcomes) expect(o.kind === 'decided' || (o.kind === 'refused' && o.code === 'REQUEST_ALREADY_DECIDED')).toBe(true);
    expect(outcomes.filter((o) => o.kind === 'decided').length).toBeGreaterThanOrEqual(1);
    expect((await state(t, t.id)).state).toBe('approving');
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect((await state(t, t.id)).state).toBe('approved');
    expect(t.csrApi.approvals).toHaveLength(1);
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
  });

  it('a click on a decided request is refused with who decided it', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await expect(approveRequest(t.deps, t.id, admin(people.bob))).resolves.toEqual({ kind: 'refused', code: 'REQUEST_ALREADY_DECIDED' });
    // Slack renders the mention as the approver's name.
    expect(t.chat.ephemerals).toEqual([{ channel: 'CADMINS', userId: 'UBOB', text: 'This request was already approved by <@UALICE>. Nothing was changed.' }]);
    await expect(denyRequest(t.deps, t.id, admin(people.bob), 'too late')).resolves.toEqual({ kind: 'refused', code: 'REQUEST_ALREADY_DECIDED' });
    expect((await state(t, t.id)).state).toBe('approving');
  });
});

describe('processApprove', () => {
  it('writes Approved with reason CsrbotApproved naming the approver, announces once, and enqueues issue', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect(t.csrApi.approvals).toEqual([
      { name: t.request.csrName, reason: APPROVAL_REASON, message: 'Approved in Slack by Alice Admin (UALICE)', changed: true },
    ]);
    expect(t.csrApi.object(t.request.csrName)?.decision).toEqual({
      type: 'Approved',
      reason: 'CsrbotApproved',
      message: 'Approved in Slack by Alice Admin (UALICE)',
      at: expect.any(String),
    });
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'approved' });
    expect(t.jobs.enqueued.map((j) => j.kind)).toEqual(['submit', 'approve', 'issue']);

    // The job again (a BullMQ retry after a crash): the request is already approved, so no second write and no second DM.
    await processApprove(t.deps, t.id);
    expect(t.csrApi.approvals).toHaveLength(1);
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
  });

  it('names the people of the winning decision: a click counted after the quorum was reached is not in the Approved condition', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    // bob's simultaneous click was recorded after alice's reached the quorum (two replicas, one at a time here).
    const r = await state(t, t.id);
    await t.store.addApproval(t.id, { ...r.approvals[0]!, userId: people.bob.userId, name: people.bob.realName });
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect(t.csrApi.approvals.map((a) => a.message)).toEqual(['Approved in Slack by Alice Admin (UALICE)']);
    expect((await state(t, t.id)).decision?.by.map((d) => d.userId)).toEqual([people.alice.userId]);
  });

  it('a crash after the cluster write but before approving -> approved: the retry writes a no-op and finishes once', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    const real = t.store.transition.bind(t.store);
    let crashed = false;
    t.store.transition = async (id, from, to: RequestState, patch) => {
      if (to === 'approved' && !crashed) {
        crashed = true;
        throw new Error('process killed');
      }
      return real(id, from, to, patch);
    };
    await expect(processApprove(t.deps, t.id)).rejects.toThrow('process killed');
    expect((await state(t, t.id)).state).toBe('approving');
    expect(t.csrApi.object(t.request.csrName)?.state).toBe('approved');
    await processApprove(t.deps, t.id);
    expect(t.csrApi.approvals.map((a) => a.changed)).toEqual([true, false]);
    expect((await state(t, t.id)).state).toBe('approved');
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);
  });

  it('quorum 2: the condition message names both approvers', async () => {
    const t = await submitted(pki, { settings: { quorum: 2 } });
    await approveRequest(t.deps, t.id, admin(people.alice));
    await approveRequest(t.deps, t.id, admin(people.bob));
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect(t.csrApi.object(t.request.csrName)?.decision?.message).toBe('Approved in Slack by Alice Admin (UALICE), Bob Admin (UBOB)');
  });

  it('cluster unreachable: throws for a retry, tells the requester "delayed" once, then approves', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    t.csrApi.failNext('approve', 'CLUSTER_UNREACHABLE', { reason: 'ETIMEDOUT' }, 2);
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    expect(t.chat.noticesOf('delayed')).toHaveLength(1);
    expect(t.chat.noticesOf('approved')).toHaveLength(0);
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.csrApi.object(t.request.csrName)?.state).toBe('approved');
  });

  it('the CSR was denied outside Slack meanwhile: the request becomes denied and that is announced, no issue job', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    t.csrApi.denyOutside(t.request.csrName);
    await t.jobs.runAll(t.handlers);
    const r = await state(t, t.id);
    expect(r.state).toBe('denied');
    expect(r.decision?.outside).toContain('denied outside Slack');
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
    expect(t.chat.noticesOf('approved')).toHaveLength(0);
    expect(t.chat.lastCard).toMatchObject({ state: 'denied' });
    expect(t.jobs.enqueued.map((j) => j.kind)).not.toContain('issue');
  });
  it('the CSR was deleted before the approval was written: the request becomes deleted and that is announced, the job does not fail forever', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    t.csrApi.remove(t.request.csrName);
    await expect(t.jobs.runAll(t.handlers)).resolves.toEqual([{ kind: 'approve', requestId: t.id }]);
    expect((await state(t, t.id)).state).toBe('deleted');
    expect(t.chat.noticesOf('deleted')).toHaveLength(1);
    expect(t.chat.noticesOf('approved')).toHaveLength(0);
    expect(t.chat.lastCard).toMatchObject({ state: 'deleted' });
  });
});

describe('denyRequest / processDeny', () => {
  it('the reason reaches the requester notice and the CSR Denied condition', async () => {
    const t = await submitted(pki);
    await expect(denyRequest(t.deps, t.id, admin(people.bob), 'use the break-glass account instead')).resolves.toEqual({ kind: 'decided' });
    await t.jobs.runAll(t.handlers);
    const r = await state(t, t.id);
    expect(r.state).toBe('denied');
    expect(r.decision).toMatchObject({ by: [{ userId: 'UBOB', name: 'Bob Admin' }], reason: 'use the break-glass account instead' });
    expect(t.csrApi.denials).toEqual([
      { name: t.request.csrName, reason: DENIAL_REASON, message: 'Denied in Slack by Bob Admin (UBOB): use the break-glass account instead', changed: true },
    ]);
    expect(t.csrApi.object(t.request.csrName)?.state).toBe('denied');
    const notices = t.chat.noticesOf('denied');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.request.decision?.reason).toBe('use the break-glass account instead');
    expect(t.chat.lastCard).toMatchObject({ state: 'denied' });
  });

  it('refuses a non-admin, and a second deny is refused as already decided', async () => {
    const t = await submitted(pki);
    await expect(denyRequest(t.deps, t.id, admin(people.mallory), 'no')).resolves.toEqual({ kind: 'refused', code: 'NOT_AN_APPROVER' });
    expect((await state(t, t.id)).state).toBe('pending');
    await denyRequest(t.deps, t.id, admin(people.alice), 'first');
    await expect(denyRequest(t.deps, t.id, admin(people.bob), 'second')).resolves.toEqual({ kind: 'refused', code: 'REQUEST_ALREADY_DECIDED' });
    expect((await state(t, t.id)).decision?.reason).toBe('first');
    expect(t.jobs.enqueued.filter((j) => j.kind === 'deny')).toHaveLength(1);
  });

  it('approved with kubectl between the Deny click and the deny job: the cluster has the last word, jane gets her certificate', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'no');
    expect((await state(t, t.id)).state).toBe('denying');
    t.csrApi.approveOutside(t.request.csrName);
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    const r = await state(t, t.id);
    expect(r.state).toBe('approved');
    expect(r.decision?.outside).toMatch(/approved outside Slack.*while the deny by Alice Admin \(UALICE\) was being written/);
    expect(t.chat.noticesOf('denied')).toHaveLength(0);
    expect(t.chat.noticesOf('approved')).toHaveLength(1);
    expect(t.chat.lastCard).toMatchObject({ state: 'approved' });
    expect(t.jobs.enqueued.filter((j) => j.kind === 'issue')).toHaveLength(1);
    expect(t.csrApi.object(t.request.csrName)?.decision?.type).toBe('Approved');
  });

  it('processDeny twice announces once; a CSR already deleted or denied is not an error', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'no');
    t.csrApi.remove(t.request.csrName);
    await processDeny(t.deps, t.id);
    await processDeny(t.deps, t.id);
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
  });

  it('cluster forbidden on deny: admins told once with the verb and resource, the job throws', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'no');
    t.csrApi.failNext('deny', 'CLUSTER_FORBIDDEN', { message: 'forbidden', verb: 'update', resource: 'certificatesigningrequests/approval' }, 2);
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_FORBIDDEN' });
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_FORBIDDEN' });
    expect(t.chat.adminMessages).toHaveLength(1);
    expect(t.chat.adminMessages[0]).toContain('update on certificatesigningrequests/approval');
    expect(t.chat.noticesOf('denied')).toHaveLength(0);
    await t.jobs.runAll(t.handlers);
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
  });
});

describe('time to decision', () => {
  it('is observed once per request, from submission to the decision, for approvals and denials', async () => {
    const seen: Array<[string, number]> = [];
    const record = (t: Awaited<ReturnType<typeof submitted>>) => {
      t.deps.metrics = {
        requestEvent: () => undefined,
        intakeRefused: () => undefined,
        issuanceSeconds: () => undefined,
        decisionSeconds: (d, s) => void seen.push([d, s]),
      };
    };

    const a = await submitted(pki);
    record(a);
    a.clock.advance(90_000);
    await approveRequest(a.deps, a.id, admin(people.alice));
    await processApprove(a.deps, a.id);
    await processApprove(a.deps, a.id); // the job again, as after a crash
    expect(seen).toEqual([['approved', 90]]);

    const d = await submitted(pki);
    record(d);
    d.clock.advance(3_600_000);
    await denyRequest(d.deps, d.id, admin(people.bob), 'not today');
    await processDeny(d.deps, d.id);
    await processDeny(d.deps, d.id);
    expect(seen).toEqual([
      ['approved', 90],
      ['denied', 3600],
    ]);
  });
});
