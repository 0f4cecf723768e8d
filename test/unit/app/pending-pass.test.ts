import { describe, expect, it } from '@jest/globals';
import { pendingPass } from '../../../src/app/pending-pass.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';

const H = 3600_000;
const settings = { reminderSeconds: 4 * 3600, expireAfterSeconds: 23 * 3600 };

async function world() {
  const t = makeDeps({ now: '2025-06-01T00:00:00.000Z', settings: { adminGroup: 'SADMINS' } });
  const r = aRequest({ requester: people.jane, createdAt: '2025-06-01T00:00:00.000Z', card: { channel: 'CADMINS', ts: '1700000000.000001' } });
  await t.store.create(r);
  return { ...t, r };
}

describe('pendingPass', () => {
  it('does nothing before PENDING_REMINDER', async () => {
    const w = await world();
    w.clock.advance(4 * H - 1000);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 0, expired: 0 });
    expect(w.chat.cardReplies).toEqual([]);
  });

  it('nudges once, in the card thread, naming the admin group, however many passes run', async () => {
    const w = await world();
    w.clock.advance(4 * H);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 1, expired: 0 });
    w.clock.advance(H);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 0, expired: 0 });
    expect(w.chat.cardReplies).toHaveLength(1);
    expect(w.chat.cardReplies[0]!.request.id).toBe(w.r.id);
    expect(w.chat.cardReplies[0]!.text).toContain('<!subteam^SADMINS>');
    expect(w.chat.cardReplies[0]!.text).toContain('waited 4 h');
  });

  it('nudges again on the next pass if posting the nudge failed', async () => {
    const w = await world();
    w.clock.advance(5 * H);
    w.chat.failNext('replyOnCard');
    await expect(pendingPass(w.deps, settings)).rejects.toThrow(/injected/);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 1, expired: 0 });
    expect(w.chat.cardReplies).toHaveLength(1);
  });

  it('leaves decided requests alone', async () => {
    const w = await world();
    await w.store.transition(w.r.id, ['pending'], 'approving', { decision: { by: [{ userId: 'UALICE', name: 'Alice' }], at: '2025-06-01T00:10:00.000Z' } });
    w.clock.advance(23 * H);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 0, expired: 0 });
    expect((await w.store.get(w.r.id))!.state).toBe('approving');
  });

  it('at PENDING_EXPIRY closes the request as expired: the card re-rendered, the requester told how to ask again, once', async () => {
    const w = await world();
    w.clock.advance(23 * H);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 0, expired: 1 });
    expect((await w.store.get(w.r.id))!.state).toBe('expired');
    expect(w.chat.lastCard?.state).toBe('expired');
    expect(w.chat.noticesOf('expired')).toHaveLength(1);
    expect(await pendingPass(w.deps, settings)).toEqual({ nudged: 0, expired: 0 });
    expect(w.chat.noticesOf('expired')).toHaveLength(1);
    // Closed: an admin's late click can no longer decide it.
    expect(await w.store.transition(w.r.id, ['pending'], 'approving')).toBeUndefined();
  });
});
