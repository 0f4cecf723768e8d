/**
 * Issue 11: the ways a request could end where no one can get it out, or
 * where Slack says something the cluster contradicts. Each test reproduces
 * one of them with the fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest, denyRequest } from '../../../src/app/decide.js';
import { processIssue } from '../../../src/app/issue.js';
import { processSubmit } from '../../../src/app/submit.js';
import { CsrbotError } from '../../../src/domain/errors.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, newRequest, state, submitted, type Submitted } from './flow.js';
import { makeDeps } from '../../support/fakes/make-deps.js';
import { submitRequest } from '../../../src/app/submit.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** What SlackChat throws when Slack answers chat.update with `error`. */
const slackError = (error: string) => new CsrbotError('SLACK_API_ERROR', { method: 'chat.update', error });

/** Slack answers `error` to every update of the card at `ts` (a card posted later works). */
function cardGone(t: Submitted, ts: string, error: string): void {
  const update = t.chat.updateCard.bind(t.chat);
  t.chat.updateCard = async (r) => {
    if (r.card?.ts === ts) throw slackError(error);
    return update(r);
  };
}

describe('item 1: delivery never depends on the card', () => {
  for (const error of ['message_not_found', 'channel_not_found', 'not_in_channel']) {
    it(`the card is gone (${error}): the certificate is still delivered, the card is re-posted and the admins are told why`, async () => {
      const t = await submitted(pki, { settings: { signerWatchMs: 0 } });
      const firstCard = t.chat.cards[0]!;
      cardGone(t, firstCard.ts, error);
      await approveRequest(t.deps, t.id, admin(people.alice));
      await t.jobs.runAll(t.handlers).catch(() => undefined);
      t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
      await t.jobs.runAll(t.handlers);
      expect((await state(t, t.id)).state).toBe('issued');
      expect(t.chat.deliveries).toHaveLength(1);
      // A new card, showing the decision, and the request points at it.
      expect(t.chat.cards).toHaveLength(2);
      expect(t.chat.cards[1]!.request.state).not.toBe('pending');
      expect((await state(t, t.id)).card?.ts).toBe(t.chat.cards.at(-1)!.ts);
      expect(t.chat.adminMessages.filter((m) => m.includes(firstCard.ts))).toHaveLength(1);
      expect(t.chat.adminMessages.find((m) => m.includes(firstCard.ts))).toContain(error);
    });
  }

  it('a card update that fails for another reason (Slack down) does not hold up delivery, and is retried on its own', async () => {
    const t = await submitted(pki, { settings: { signerWatchMs: 0 } });
    t.chat.failNext('updateCard', new CsrbotError('SLACK_API_ERROR', { method: 'chat.update', error: 'service_unavailable' }), 2);
    await approveRequest(t.deps, t.id, admin(people.alice));
    await t.jobs.runAll(t.handlers, { maxJobs: 1 }).catch(() => undefined);
    // The card's retry is a job of its own: the issue job does not wait for it.
    expect(t.jobs.pending.map((j) => j.kind).sort()).toEqual(['card', 'issue']);
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await processIssue(t.deps, t.id);
    expect(t.chat.deliveries).toHaveLength(1);
    await t.jobs.runAll(t.handlers).catch(() => undefined); // the card job fails once more
    await t.jobs.runAll(t.handlers);
    expect(t.chat.lastCard).toMatchObject({ state: 'issued' });
    expect(t.chat.cards).toHaveLength(1);
  });

  it('approved with kubectl while the card is gone: the certificate still goes out', async () => {
    const t = await submitted(pki, { settings: { signerWatchMs: 0 } });
    cardGone(t, t.chat.cards[0]!.ts, 'message_not_found');
    t.csrApi.approveOutside(t.request.csrName);
    const { onCsrEvent } = await import('../../../src/app/reconcile.js');
    await onCsrEvent(t.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
    t.csrApi.issue(t.request.csrName, pki.sign(t.key.csrPem));
    await t.jobs.runAll(t.handlers);
    expect(t.chat.deliveries).toHaveLength(1);
    expect((await state(t, t.id)).state).toBe('issued');
  });
});

describe('item 4: Slack never says denied while the cluster approved', () => {
  it('kubectl approve between the Deny click and the deny job: everyone is told the cluster approved while the deny was being written', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'no');
    t.csrApi.approveOutside(t.request.csrName, 'KubectlApprove', 'approved by ops-oncall');
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    const r = await state(t, t.id);
    expect(r.state).toBe('approved');
    // The cluster's own words say who approved.
    expect(r.decision?.outside).toContain('approved by ops-oncall');
    const told = t.chat.adminMessages.filter((m) => m.includes(t.id));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/approved in the cluster .*while the deny by Alice Admin \(UALICE\) was being written/);
    expect(t.chat.noticesOf('denied')).toHaveLength(0);
  });

  it('the same when the watch sees the kubectl approval first', async () => {
    const t = await submitted(pki);
    await denyRequest(t.deps, t.id, admin(people.alice), 'no');
    t.csrApi.approveOutside(t.request.csrName, 'KubectlApprove', 'approved by ops-oncall');
    const { onCsrEvent } = await import('../../../src/app/reconcile.js');
    await onCsrEvent(t.deps, 'MODIFIED', t.csrApi.object(t.request.csrName)!);
    await t.jobs.runAll({ ...t.handlers, issue: async () => undefined });
    expect((await state(t, t.id)).state).toBe('approved');
    const told = t.chat.adminMessages.filter((m) => m.includes(t.id));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/while the deny by Alice Admin \(UALICE\) was being written/);
    expect(t.chat.noticesOf('denied')).toHaveLength(0);
  });
});

describe('item 5: no duplicate live card', () => {
  it('storing the card location fails after the post: the retry leaves one live card', async () => {
    const t = makeDeps();
    const key = pki.userKey();
    const { request } = await submitRequest(t.deps, newRequest(key));
    const realUpdate = t.store.update.bind(t.store);
    let failures = 1;
    t.store.update = async (id, patch) => {
      if (patch.card && failures-- > 0) throw new Error('Redis blip');
      return realUpdate(id, patch);
    };
    await expect(processSubmit(t.deps, request.id)).rejects.toThrow('Redis blip');
    await processSubmit(t.deps, request.id);
    const live = t.chat.cards.filter((c) => !t.chat.retracted.some((r) => r.ts === c.ts));
    expect(live).toHaveLength(1);
    expect((await state(t, request.id)).card?.ts).toBe(live[0]!.ts);
  });

  it('the submit job dies between posting the card and recording it (SIGKILL: no catch runs): the retry adopts that card instead of posting a second', async () => {
    const t = makeDeps();
    const key = pki.userKey();
    const { request } = await submitRequest(t.deps, newRequest(key));
    const realUpdate = t.store.update.bind(t.store);
    let died = false;
    t.store.update = (id, patch) => {
      // The process is gone: the write never happens and nothing after it runs.
      if (patch.card && !died) return ((died = true), new Promise(() => undefined));
      return realUpdate(id, patch);
    };
    void processSubmit(t.deps, request.id);
    for (let i = 0; i < 100 && !died; i++) await new Promise((r) => setImmediate(r));
    expect(t.chat.cards).toHaveLength(1);
    // The job is retaken (stalled) and runs again.
    await processSubmit(t.deps, request.id);
    expect(t.chat.cards).toHaveLength(1);
    expect((await state(t, request.id)).card?.ts).toBe(t.chat.cards[0]!.ts);
  });
});
