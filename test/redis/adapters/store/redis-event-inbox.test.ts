import { describe, expect, it } from '@jest/globals';
import { RedisEventInbox } from '../../../../src/adapters/store/redis-event-inbox.js';
import { redisForSuite } from '../../../support/redis.js';
import { eventInboxContract } from '../../../support/contracts/event-inbox.contract.js';

const suite = redisForSuite();

function open(name: string): { inbox: RedisEventInbox; prefix: string } {
  const prefix = suite.prefix(name);
  return { inbox: RedisEventInbox.create({ redis: suite.redis, prefix }), prefix };
}

eventInboxContract('RedisEventInbox', async () => ({ inbox: open('inbox-contract').inbox, close: async () => {} }));

describe('RedisEventInbox', () => {
  it('stores ids only, with an expiry, so nothing piles up', async () => {
    const { inbox, prefix } = open('inbox-keys');
    await inbox.record({ eventId: 'Ev1', teamId: 'T1', channel: 'DJANE', userId: 'UJANE', ts: '1.0', fileIds: ['F1'], receivedAtMs: 1000 });
    const key = `${prefix}:inbox:DJANE-1.0`;
    expect(JSON.parse((await suite.redis.get(key))!)).toEqual({
      eventId: 'Ev1',
      teamId: 'T1',
      channel: 'DJANE',
      userId: 'UJANE',
      ts: '1.0',
      fileIds: ['F1'],
      receivedAtMs: 1000,
    });
    expect(await suite.redis.ttl(key)).toBeGreaterThan(24 * 3600);
    await inbox.done('DJANE', '1.0');
    expect(await suite.redis.get(key)).toBe('done');
    expect(await suite.redis.ttl(key)).toBeGreaterThan(24 * 3600);
    expect(await suite.redis.zcard(`${prefix}:inbox-open`)).toBe(0);
  });

  it('an open entry whose key is gone (expired, deleted) is dropped from the open set', async () => {
    const { inbox, prefix } = open('inbox-stale');
    await inbox.record({ channel: 'DJANE', userId: 'UJANE', ts: '1.0', fileIds: [], receivedAtMs: 1000 });
    await suite.redis.del(`${prefix}:inbox:DJANE-1.0`);
    expect(await inbox.openBefore(5000, 10)).toEqual([]);
    expect(await suite.redis.zcard(`${prefix}:inbox-open`)).toBe(0);
  });
});
