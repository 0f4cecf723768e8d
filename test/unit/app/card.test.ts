import { describe, expect, it } from '@jest/globals';
import { processCard, refreshCard } from '../../../src/app/card.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { makeDeps } from '../../support/fakes/make-deps.js';

/** A card render during which the request moves on (another job's step), as when two renders of one card race. */
async function racingSetup() {
  const t = makeDeps();
  const { request } = await t.store.create(aRequest({ state: 'approved', card: { channel: 'CADMINS', ts: '1.000001' } }));
  const realUpdate = t.chat.updateCard.bind(t.chat);
  let first = true;
  t.chat.updateCard = async (r) => {
    await realUpdate(r);
    if (first) {
      first = false;
      // The issue step lands while this render is on its way to Slack, and its own render came first.
      await t.store.transition(request.id, ['approved'], 'issued', {});
    }
  };
  return { t, id: request.id };
}

describe('card renders', () => {
  it('a card job whose request moved on while it rendered renders again: the card ends on the latest state', async () => {
    const { t, id } = await racingSetup();
    await processCard(t.deps, id);
    expect(t.chat.lastCard?.state).toBe('issued');
    expect(t.chat.cardUpdates.map((c) => c.state)).toEqual(['approved', 'issued']);
  });

  it('an inline refresh with a stale record renders the stored state last', async () => {
    const { t, id } = await racingSetup();
    const stale = (await t.store.get(id))!;
    await refreshCard(t.deps, stale);
    expect(t.chat.lastCard?.state).toBe('issued');
  });

  it('a request that does not move is rendered once', async () => {
    const t = makeDeps();
    const { request } = await t.store.create(aRequest({ state: 'pending', card: { channel: 'CADMINS', ts: '1.000002' } }));
    await processCard(t.deps, request.id);
    expect(t.chat.cardUpdates).toHaveLength(1);
  });
});
