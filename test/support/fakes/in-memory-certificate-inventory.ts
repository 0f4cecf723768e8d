/**
 * CertificateInventory in memory, for use-case tests. The contract suite runs
 * against it and the Redis adapter, so both behave the same. Records go
 * through the adapter's own encoding, so tests see what Redis would give back.
 */
import type { CertificateRecord, CertificateStatus } from '../../../src/domain/inventory.js';
import type { CertificateInventory } from '../../../src/ports.js';
import { checkSerial, decodeCertificateRecord, encodeCertificateRecord, notAfterMs } from '../../../src/adapters/store/redis-certificate-inventory.js';

export class InMemoryCertificateInventory implements CertificateInventory {
  private readonly records = new Map<string, string>();

  static create(): InMemoryCertificateInventory {
    return new InMemoryCertificateInventory();
  }

  async record(cert: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }> {
    checkSerial(cert.serial);
    notAfterMs(cert);
    const stored = encodeCertificateRecord(cert);
    const existing = this.records.get(cert.serial);
    if (existing) return { created: false, record: decodeCertificateRecord(existing)! };
    this.records.set(cert.serial, stored);
    return { created: true, record: decodeCertificateRecord(stored)! };
  }

  async get(serial: string): Promise<CertificateRecord | undefined> {
    return decodeCertificateRecord(this.records.get(serial));
  }

  async getMany(serials: readonly string[]): Promise<Array<CertificateRecord | undefined>> {
    return Promise.all(serials.map((s) => this.get(s)));
  }

  async byRequester(slackUserId: string): Promise<CertificateRecord[]> {
    return this.sorted().filter((r) => r.requesterId === slackUserId);
  }

  async expiringBefore(until: Date, limit = 1000): Promise<CertificateRecord[]> {
    return this.sorted()
      .filter((r) => notAfterMs(r) < until.getTime())
      .slice(0, limit);
  }

  async validAt(at: Date, limit = 1000): Promise<CertificateRecord[]> {
    return this.sorted()
      .filter((r) => notAfterMs(r) > at.getTime())
      .slice(0, limit);
  }

  async setStatus(serial: string, from: readonly CertificateStatus[], to: CertificateStatus, replacedBy?: string): Promise<CertificateRecord | undefined> {
    checkSerial(serial);
    if (from.length === 0) throw new Error(`CertificateInventory.setStatus to '${to}' needs at least one 'from' status`);
    if (replacedBy !== undefined) checkSerial(replacedBy);
    const r = decodeCertificateRecord(this.records.get(serial));
    if (!r || !from.includes(r.status)) return undefined;
    return this.put({ ...r, status: to, ...(replacedBy !== undefined ? { replacedBy } : {}) });
  }

  async markReminded(serial: string, dueMs: number): Promise<boolean> {
    checkSerial(serial);
    const r = decodeCertificateRecord(this.records.get(serial));
    if (!r || (r.remindedThrough ?? -1) >= Math.trunc(dueMs)) return false;
    this.put({ ...r, remindedThrough: Math.trunc(dueMs) });
    return true;
  }

  async page(fromMs: number, count: number, cursor?: { notAfterMs: number; serial: string }): Promise<Array<{ serial: string; notAfterMs: number }>> {
    return this.sorted()
      .map((r) => ({ serial: r.serial, notAfterMs: notAfterMs(r) }))
      .filter((e) => e.notAfterMs >= fromMs)
      .filter((e) => !cursor || e.notAfterMs > cursor.notAfterMs || (e.notAfterMs === cursor.notAfterMs && e.serial > cursor.serial))
      .slice(0, count);
  }

  async forgetExpiredBefore(before: Date, limit = 1000): Promise<number> {
    const gone = (await this.expiringBefore(before, limit)).map((r) => r.serial);
    for (const s of gone) this.records.delete(s);
    return gone.length;
  }

  /** Redis's order: notAfter, then serial. */
  private sorted(): CertificateRecord[] {
    return [...this.records.values()]
      .map((r) => decodeCertificateRecord(r)!)
      .sort((a, b) => notAfterMs(a) - notAfterMs(b) || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  }

  private put(r: CertificateRecord): CertificateRecord {
    this.records.set(r.serial, encodeCertificateRecord(r));
    return r;
  }
}
