import { describe, expect, it } from '@jest/globals';
import { openRequestStats } from '../../../src/app/open-requests.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';

describe('openRequestStats', () => {
  it('says how many requests wait, and for how long the oldest has, per open state', async () => {
    const { deps, store } = makeDeps({ now: '2025-01-01T02:00:00.000Z' });
    expect(await openRequestStats(deps)).toEqual([
      { state: 'pending', count: 0, oldestAgeSeconds: 0 },
      { state: 'approved', count: 0, oldestAgeSeconds: 0 },
    ]);
    const a = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
    await store.create(a);
    await store.create(aRequest({ createdAt: '2025-01-01T01:30:00.000Z' }));
    await store.transition(a.id, ['pending'], 'approving', {
      decision: { by: [{ userId: people.alice.userId, name: 'Alice' }], at: '2025-01-01T01:50:00.000Z' },
    });
    expect(await openRequestStats(deps)).toEqual([
      { state: 'pending', count: 1, oldestAgeSeconds: 1800 },
      { state: 'approved', count: 1, oldestAgeSeconds: 600 },
    ]);
  });
});
