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
    await expect(store.saveIssued(req.id, anIssuedCertificate({ notAfter: 'soon' }))).rejects.toThrow(/not a date/);
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

describe('RedisRequestStore retention', () => {
  it('a finished request expires after the retention; an open one never does', async () => {
    const prefix = uniquePrefix('store-retention');
    prefixes.push(prefix);
    const store = RedisRequestStore.create({ redis, prefix, retentionMs: 90 * 86_400_000 });
    const open = aRequest();
    const done = aRequest();
    await store.create(open);
    await store.create(done);
    await store.addApproval(done.id, { userId: 'U1', name: 'amy', at: '2025-01-01T00:00:00Z' });
    expect(await store.once(done.id, 'notice-denied')).toBe(true);
    await store.transition(done.id, ['pending'], 'denied', {});
    const day = 86_400_000;
    for (const key of [`${prefix}:request:${done.id}`, `${prefix}:request:${done.id}:approvals`, `${prefix}:request:${done.id}:once:notice-denied`]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(89 * day);
      expect(ttl).toBeLessThanOrEqual(90 * day);
    }
    expect(await redis.pttl(`${prefix}:request:${open.id}`)).toBe(-1);
    // Every key the finished request left behind expires: none is kept forever.
    const left = (await redis.keys(`${prefix}:request:${done.id}*`)).sort();
    expect(left.length).toBe(3);
    for (const key of left) expect(await redis.pttl(key)).toBeGreaterThan(89 * day);
  });
});
