/**
 * What every CertificateInventory must do, run against the Redis adapter and
 * the in-memory fake.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { CertificateRecord } from '../../../src/domain/inventory.js';
import type { CertificateInventory } from '../../../src/ports.js';
import { readFileSync } from 'node:fs';

export interface InventoryHarness {
  inventory: CertificateInventory;
  close(): Promise<void>;
}

let seq = 0;
export function aCertificateRecord(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  seq += 1;
  return {
    serial: `5f${seq.toString(16)}${Math.random().toString(16).slice(2, 10)}`,
    fingerprint: 'aa11',
    notBefore: '2025-01-01T00:00:00.000Z',
    notAfter: '2025-01-02T00:00:00.000Z',
    subject: 'CN=jane, O=dev',
    username: 'jane',
    groups: [],
    requesterId: 'UJANE',
    approvers: [],
    requestId: `req${seq}`,
    csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
    keyFingerprint: 'ab:cd',
    issuedAt: '2025-01-01T00:00:01.000Z',
    autoRenewals: 0,
    status: 'active',
    ...overrides,
  };
}

export function certificateInventoryContract(name: string, open: () => Promise<InventoryHarness>): void {
  describe(`CertificateInventory contract: ${name}`, () => {
    let h: InventoryHarness;
    let inv: CertificateInventory;
    beforeEach(async () => {
      h = await open();
      inv = h.inventory;
    });
    afterEach(async () => {
      await h.close();
    });

    it('round-trips a record exactly, empty arrays and optional fields included', async () => {
      const cert = aCertificateRecord({ groups: [], approvers: ['UALICE', 'UBOB'], renewalOf: '0abc' });
      const { created, record } = await inv.record(cert);
      expect(created).toBe(true);
      expect(record).toEqual(cert);
      expect(await inv.get(cert.serial)).toEqual(cert);
      expect((await inv.get(cert.serial))?.groups).toEqual([]);
    });

    it('keeps the first record when the same serial is recorded again', async () => {
      const cert = aCertificateRecord();
      await inv.record(cert);
      const again = await inv.record({ ...cert, requestId: 'other' });
      expect(again).toEqual({ created: false, record: cert });
    });

    it('returns undefined for an unknown or malformed serial', async () => {
      expect(await inv.get('0fffffff')).toBeUndefined();
      expect(await inv.get('a:b')).toBeUndefined();
      expect(await inv.byRequester('UNOBODY')).toEqual([]);
    });

    it('refuses a serial that could reach other keys, a bad notAfter and anything holding a private key', async () => {
      await expect(inv.record(aCertificateRecord({ serial: 'ab:cd' }))).rejects.toThrow(/Invalid certificate serial/);
      await expect(inv.record(aCertificateRecord({ notAfter: 'soon' }))).rejects.toThrow(/not a date/);
      const key = readFileSync(new URL('../../fixtures/csr/private-key-pkcs8.pem', import.meta.url), 'utf8');
      await expect(inv.record(aCertificateRecord({ csrPem: key }))).rejects.toThrow(/PRIVATE KEY/);
    });

    it('lists a holder’s certificates soonest expiry first, and no one else’s', async () => {
      const late = aCertificateRecord({ requesterId: 'UHOLDER1', notAfter: '2025-03-01T00:00:00.000Z' });
      const soon = aCertificateRecord({ requesterId: 'UHOLDER1', notAfter: '2025-02-01T00:00:00.000Z' });
      const other = aCertificateRecord({ requesterId: 'UOTHER1' });
      for (const c of [late, soon, other]) await inv.record(c);
      expect((await inv.byRequester('UHOLDER1')).map((c) => c.serial)).toEqual([soon.serial, late.serial]);
    });

    it('lists by expiry: before a date, and valid at a date', async () => {
      const a = aCertificateRecord({ notAfter: '2030-01-01T00:00:00.000Z' });
      const b = aCertificateRecord({ notAfter: '2030-02-01T00:00:00.000Z' });
      const c = aCertificateRecord({ notAfter: '2030-03-01T00:00:00.000Z' });
      for (const x of [c, a, b]) await inv.record(x);
      const serials = (rs: CertificateRecord[]) => rs.map((r) => r.serial).filter((s) => [a.serial, b.serial, c.serial].includes(s));
      expect(serials(await inv.expiringBefore(new Date('2030-02-01T00:00:00.000Z')))).toEqual([a.serial]);
      expect(serials(await inv.validAt(new Date('2030-01-01T00:00:00.000Z')))).toEqual([b.serial, c.serial]);
      expect(await inv.validAt(new Date('2030-01-15T00:00:00.000Z'), 1)).toHaveLength(1);
    });

    it('changes status only from an expected one, and records what replaced it', async () => {
      const cert = aCertificateRecord();
      await inv.record(cert);
      const renewed = await inv.setStatus(cert.serial, ['active'], 'renewed', '0beef');
      expect(renewed).toMatchObject({ status: 'renewed', replacedBy: '0beef' });
      expect(await inv.setStatus(cert.serial, ['active'], 'dismissed')).toBeUndefined();
      expect(await inv.setStatus('0ffff1', ['active'], 'dismissed')).toBeUndefined();
      expect((await inv.get(cert.serial))?.status).toBe('renewed');
    });

    it('marks each reminder once, never one due before the last sent', async () => {
      const cert = aCertificateRecord();
      await inv.record(cert);
      expect(await inv.markReminded(cert.serial, 1000)).toBe(true);
      expect(await inv.markReminded(cert.serial, 1000)).toBe(false);
      expect(await inv.markReminded(cert.serial, 500)).toBe(false);
      expect(await inv.markReminded(cert.serial, 2000)).toBe(true);
      expect((await inv.get(cert.serial))?.remindedThrough).toBe(2000);
      expect(await inv.markReminded('0fffff2', 1)).toBe(false);
    });

    it('pages through every certificate by expiry without missing or repeating one', async () => {
      const from = Date.parse('2040-01-01T00:00:00.000Z');
      const made = [];
      for (let i = 0; i < 7; i++) made.push(aCertificateRecord({ notAfter: new Date(from + (i % 3) * 1000).toISOString() }));
      for (const c of made) await inv.record(c);
      const seen: string[] = [];
      let cursor: { serial: string; notAfterMs: number } | undefined;
      for (;;) {
        const page = await inv.page(from, 3, cursor);
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.serial));
        cursor = page.at(-1);
      }
      expect([...seen].sort()).toEqual(made.map((c) => c.serial).sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(await inv.getMany(seen.slice(0, 2))).toHaveLength(2);
    });

    it('forgets certificates expired before the retention horizon, from every index', async () => {
      const old = aCertificateRecord({ requesterId: 'URETAIN1', notAfter: '2001-01-01T00:00:00.000Z' });
      const kept = aCertificateRecord({ requesterId: 'URETAIN1', notAfter: '2050-01-01T00:00:00.000Z' });
      await inv.record(old);
      await inv.record(kept);
      expect(await inv.forgetExpiredBefore(new Date('2002-01-01T00:00:00.000Z'))).toBeGreaterThanOrEqual(1);
      expect(await inv.get(old.serial)).toBeUndefined();
      expect((await inv.byRequester('URETAIN1')).map((c) => c.serial)).toEqual([kept.serial]);
      expect((await inv.expiringBefore(new Date('2002-01-01T00:00:00.000Z'))).map((c) => c.serial)).not.toContain(old.serial);
    });
  });
}
