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
    expect(await redis.get(`${prefix}:csr:${req.csrName}`)).toBe(req.id);
  });

  it('keeps the issued summary on the request only (the inventory holds certificates)', async () => {
    const prefix = uniquePrefix('store-issued');
    prefixes.push(prefix);
    const store = RedisRequestStore.create({ redis, prefix });
    const a = aRequest();
    await store.create(a);
    const cert = anIssuedCertificate({ notAfter: '2025-03-01T00:00:00.000Z' });
    await store.saveIssued(a.id, cert);
    expect(JSON.parse((await redis.hget(`${prefix}:request:${a.id}`, 'issued'))!)).toEqual(cert);
    expect((await redis.keys(`${prefix}:cert*`)).length).toBe(0);
    await expect(store.saveIssued(a.id, anIssuedCertificate({ notAfter: 'soon' }))).rejects.toThrow(/not a date/);
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
    for (const key of [
      `${prefix}:request:${done.id}`,
      `${prefix}:request:${done.id}:approvals`,
      `${prefix}:csr:${done.csrName}`,
      `${prefix}:request:${done.id}:once:notice-denied`,
    ]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(89 * day);
      expect(ttl).toBeLessThanOrEqual(90 * day);
    }
    expect(await redis.pttl(`${prefix}:request:${open.id}`)).toBe(-1);
  });
});
