import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisRequestStore } from '../../../../src/adapters/store/redis-request-store.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../../support/redis.js';
import { aRequest, anIssuedCertificate, requestStoreContract } from '../../../support/contracts/request-store.contract.js';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = new Redis(await redisUrlForTests());
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

function openStore(name: string): RedisRequestStore {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return RedisRequestStore.create({ redis, prefix });
}

requestStoreContract('RedisRequestStore', async () => ({ store: openStore('store-contract'), close: async () => {} }));

describe('RedisRequestStore layout', () => {
  it('keeps each field as its own JSON value and approvals in their own hash', async () => {
    const prefix = uniquePrefix('store-layout');
    prefixes.push(prefix);
    const store = RedisRequestStore.create({ redis, prefix });
    const req = aRequest();
    await store.create(req);
    await store.addApproval(req.id, { userId: 'U1', name: 'amy', at: '2025-01-01T00:00:00Z' });
    expect(await redis.hget(`${prefix}:request:${req.id}`, 'state')).toBe('"pending"');
    expect(await redis.hget(`${prefix}:request:${req.id}`, 'approvals')).toBeNull();
    expect(await redis.hkeys(`${prefix}:request:${req.id}:approvals`)).toEqual(['U1']);
    // Nothing else: no index by CSR name (the CSR's annotation points at the request); by-requester counts for the per-user limits.
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual(
      [
        `${prefix}:open:pending`,
        `${prefix}:request:${req.id}`,
        `${prefix}:request:${req.id}:approvals`,
        `${prefix}:by-requester:${req.requester.userId}`,
      ].sort(),
    );
  });

  it('saveIssued writes the certificate into the request hash and nothing else', async () => {
    const prefix = uniquePrefix('store-issued');
    prefixes.push(prefix);
    const store = RedisRequestStore.create({ redis, prefix });
    const req = aRequest();
    await store.create(req);
    const cert = anIssuedCertificate({ notAfter: '2025-03-01T00:00:00.000Z' });
    await store.saveIssued(req.id, cert);
    expect(JSON.parse((await redis.hget(`${prefix}:request:${req.id}`, 'issued')) ?? 'null')).toEqual(cert);
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual(
      [`${prefix}:open:pending`, `${prefix}:request:${req.id}`, `${prefix}:by-requester:${req.requester.userId}`].sort(),
    );
  });

  it('cleanupPrefix removes only its own keys', async () => {
    const mine = uniquePrefix('cleanup-mine');
    const other = uniquePrefix('cleanup-other');
    prefixes.push(other);
    await redis.set(`${mine}:a`, '1');
    await redis.set(`${other}:a`, '1');
    expect(await cleanupPrefix(redis, mine)).toBe(1);
    expect(await redis.exists(`${mine}:a`, `${other}:a`)).toBe(1);
  });
});
