import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest, denyRequest } from '../../../src/app/decide.js';
import { stuckRequestsPass } from '../../../src/app/stuck-requests.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted, type Submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

const MINUTE = 60_000;
const pass = (t: Submitted) => stuckRequestsPass(t.deps, { graceMs: MINUTE, stuckAfterMs: 30 * MINUTE });
const later = (t: Submitted, ms: number) => new Date(t.clock.now().getTime() + ms);

/** The queue refuses the next enqueue of `kind` (a Redis blip, or a crash right after the compare-and-set). */
function loseNextEnqueue(t: Submitted, kind: string): void {
  const real = t.jobs.enqueue.bind(t.jobs);
  let lost = false;
  t.jobs.enqueue = async (k, id) => {
    if (k === kind && !lost) {
      lost = true;
      throw new Error('Connection is closed.');
    }
    return real(k, id);
  };
}

describe('item 2: the decision and its job are not two writes that can part', () => {
  it('approved in Slack but the approve job was lost: later clicks are "already decided", and the sweep still gets the certificate out', async () => {
    const t = await submitted(pki, { settings: { signerWatchMs: 0 } });
    loseNextEnqueue(t, 'approve');
    // The decision is stored, so the click is answered as decided.
    await expect(approveRequest(t.deps, t.id, admin(people.alice))).resolves.toEqual({ kind: 'decided' });
    expect((await state(t, t.id)).state).toBe('approving');
    expect(t.jobs.pending).toEqual([]);
    await expect(approveRequest(t.deps, t.id, admin(people.bob))).resolves.toEqual({ kind: 'refused', code: 'REQUEST_ALREADY_DECIDED' });

    // Within the grace period the sweep leaves it alone (its job may be on its way).
    expect(await pass(t).run(t.clock.now())).toMatchObject({ redriven: 0 });
    expect(await pass(t).run(later(t, 2 * MINUTE))).toMatchObject({ redriven: 1 });
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    expect((await state(t, t.id)).state).toBe('issued');
    expect(t.chat.deliveries).toHaveLength(1);
    // Nothing left: a second sweep finds nothing to do.
    expect(await pass(t).run(later(t, 3 * MINUTE))).toMatchObject({ redriven: 0 });
  });

  it('the same for a deny whose job was lost', async () => {
    const t = await submitted(pki);
    loseNextEnqueue(t, 'deny');
    await expect(denyRequest(t.deps, t.id, admin(people.alice), 'no')).resolves.toEqual({ kind: 'decided' });
    await pass(t).run(later(t, 2 * MINUTE));
    await t.jobs.runAll(t.handlers);
    expect((await state(t, t.id)).state).toBe('denied');
    expect(t.csrApi.object(t.request.csrName)?.state).toBe('denied');
  });

  it('leaves alone a request with a live job and one waiting for the admins', async () => {
    const t = await submitted(pki);
    const pending = await pass(t).run(later(t, 60 * MINUTE));
    expect(pending).toMatchObject({ redriven: 0, stuck: 0 });
    await approveRequest(t.deps, t.id, admin(people.alice));
    expect(await pass(t).run(later(t, 2 * MINUTE))).toMatchObject({ live: 1, redriven: 0 });
    expect(t.chat.adminMessages).toEqual([]);
  });
});

describe('item 3: retries never end in silence', () => {
  it('stuck longer than the threshold: the admins are told once, with the reason, and the requester is told the truth', async () => {
    const t = await submitted(pki);
    await approveRequest(t.deps, t.id, admin(people.alice));
    t.csrApi.failNext('approve', 'CLUSTER_UNREACHABLE', { message: 'connect ECONNREFUSED 10.0.0.1:6443' }, 1000);
    await expect(t.jobs.runAll(t.handlers)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });

    await pass(t).run(later(t, 10 * MINUTE));
    expect(t.chat.adminMessages).toEqual([]);
    await pass(t).run(later(t, 31 * MINUTE));
    await pass(t).run(later(t, 45 * MINUTE));
    const stuck = t.chat.adminMessages.filter((m) => m.includes(t.id));
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toContain('write the approval to the cluster');
    expect(stuck[0]).toContain('CLUSTER_UNREACHABLE: The Kubernetes API');
    const told = t.chat.noticesOf('delayed').map((n) => (n.notice.kind === 'delayed' ? n.notice.reason : ''));
    expect(told.some((reason) => /31 minutes.*admins have been told/.test(reason))).toBe(true);
  });
});
