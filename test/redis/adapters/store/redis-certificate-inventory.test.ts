import { describe, expect, it } from '@jest/globals';
import { RedisCertificateInventory } from '../../../../src/adapters/store/redis-certificate-inventory.js';
import { redisForSuite } from '../../../support/redis.js';
import { aCertificateRecord, certificateInventoryContract } from '../../../support/contracts/certificate-inventory.contract.js';

const suite = redisForSuite();

function open(name: string): { inventory: RedisCertificateInventory; prefix: string } {
  const prefix = suite.prefix(name);
  return { inventory: RedisCertificateInventory.create({ redis: suite.redis, prefix }), prefix };
}

certificateInventoryContract('RedisCertificateInventory', async () => ({ inventory: open('inventory-contract').inventory, close: async () => {} }));

describe('RedisCertificateInventory layout', () => {
  it('keeps one string per certificate, a header of the mutable fields over the facts JSON, indexed by expiry and by holder', async () => {
    const { inventory, prefix } = open('inventory-layout');
    const cert = aCertificateRecord({ requesterId: 'ULAYOUT' });
    await inventory.record(cert);
    const stored = (await suite.redis.get(`${prefix}:certificate:${cert.serial}`))!;
    expect(stored.split('\n')[0]).toBe('active\t\t');
    await inventory.setStatus(cert.serial, ['active'], 'renewed', '0abc');
    await inventory.markReminded(cert.serial, 1234);
    const after = (await suite.redis.get(`${prefix}:certificate:${cert.serial}`))!;
    expect(after.split('\n')[0]).toBe('renewed\t1234\t0abc');
    expect(JSON.parse(after.slice(after.indexOf('\n') + 1))).toMatchObject({ groups: [], approvers: [] });
    expect(await suite.redis.zscore(`${prefix}:certificates:by-expiry`, cert.serial)).toBe(String(Date.parse(cert.notAfter)));
    expect(await suite.redis.zscore(`${prefix}:certificates:by-requester:ULAYOUT`, cert.serial)).toBe(String(Date.parse(cert.notAfter)));
  });

  it('refuses a prefix with a trailing colon', () => {
    expect(() => RedisCertificateInventory.create({ redis: suite.redis, prefix: 'x:' })).toThrow(/trailing/);
  });
});
