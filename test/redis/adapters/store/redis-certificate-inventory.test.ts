import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisCertificateInventory } from '../../../../src/adapters/store/redis-certificate-inventory.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../../support/redis.js';
import { aCertificateRecord, certificateInventoryContract } from '../../../support/contracts/certificate-inventory.contract.js';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = new Redis(await redisUrlForTests());
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
});

function open(name: string): { inventory: RedisCertificateInventory; prefix: string } {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return { inventory: RedisCertificateInventory.create({ redis, prefix }), prefix };
}

certificateInventoryContract('RedisCertificateInventory', async () => ({ inventory: open('inventory-contract').inventory, close: async () => {} }));

describe('RedisCertificateInventory layout', () => {
  it('keeps the facts as one JSON field beside plain status fields, indexed by expiry and by holder', async () => {
    const { inventory, prefix } = open('inventory-layout');
    const cert = aCertificateRecord({ requesterId: 'ULAYOUT' });
    await inventory.record(cert);
    expect(await redis.hkeys(`${prefix}:certificate:${cert.serial}`)).toEqual(['facts', 'status']);
    expect(await redis.hget(`${prefix}:certificate:${cert.serial}`, 'status')).toBe('active');
    expect(await redis.zscore(`${prefix}:certificates:by-expiry`, cert.serial)).toBe(String(Date.parse(cert.notAfter)));
    expect(await redis.zscore(`${prefix}:certificates:by-requester:ULAYOUT`, cert.serial)).toBe(String(Date.parse(cert.notAfter)));
  });

  it('refuses a prefix with a trailing colon', () => {
    expect(() => RedisCertificateInventory.create({ redis, prefix: 'x:' })).toThrow(/trailing/);
  });
});
