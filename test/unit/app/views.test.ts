import { describe, expect, it } from '@jest/globals';
import { holders, homeContent, myCertificates, normaliseSerial, pendingQueue, publishHome, refreshHomes, statusOf } from '../../../src/app/views.js';
import { aCertificateRecord } from '../../support/contracts/certificate-inventory.contract.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';

const NOW = '2025-06-01T12:00:00.000Z';
const jane = people.jane;
const alice = people.alice; // admin by SLACK_ADMIN_USERS
const gina = people.gina; // admin by the admin group
const mallory = people.mallory;

async function world() {
  const t = makeDeps({ now: NOW, settings: { adminGroup: 'SADMINS' } });
  t.chat.setGroup('SADMINS', [gina.userId]);
  const mine = aCertificateRecord({ requesterId: jane.userId, notAfter: '2025-06-02T00:00:00.000Z', username: 'jane' });
  const older = aCertificateRecord({ requesterId: jane.userId, notAfter: '2025-05-01T00:00:00.000Z', username: 'jane', status: 'renewed' });
  const hers = aCertificateRecord({ requesterId: mallory.userId, notAfter: '2025-06-03T00:00:00.000Z', username: 'mallory' });
  for (const c of [mine, older, hers]) await t.inventory.record(c);
  const pendingMine = aRequest({ requester: jane, createdAt: '2025-06-01T10:00:00.000Z', card: { channel: 'CADMINS', ts: '1700000000.000001' } });
  const pendingHers = aRequest({ requester: mallory, kubernetesUsername: 'mallory', createdAt: '2025-06-01T09:00:00.000Z' });
  const doneMine = aRequest({ requester: jane, createdAt: '2025-05-01T00:00:00.000Z' });
  for (const r of [pendingMine, pendingHers, doneMine]) await t.store.create(r);
  await t.store.transition(doneMine.id, ['pending'], 'denied', { decision: { by: [], outside: 'kubectl', at: NOW } });
  return { ...t, mine, older, hers, pendingMine, pendingHers };
}

describe('views', () => {
  it('/cert list: my certificates (soonest expiry first, ended ones too) and only my open requests', async () => {
    const w = await world();
    const v = await myCertificates(w.deps, jane.userId);
    expect(v.certificates.map((c) => c.serial)).toEqual([w.older.serial, w.mine.serial]);
    expect(v.requests.map((r) => r.id)).toEqual([w.pendingMine.id]);
    expect(v.now.toISOString()).toBe(NOW);
  });

  it('/cert status: the holder and admins see a certificate or request; anyone else is refused without learning whose', async () => {
    const w = await world();
    expect(await statusOf(w.deps, jane.userId, w.mine.serial)).toMatchObject({ kind: 'certificate', certificate: { serial: w.mine.serial } });
    // Pasted as openssl prints it.
    const pasted = w.mine.serial
      .toUpperCase()
      .match(/.{1,2}/g)!
      .join(':');
    expect(await statusOf(w.deps, jane.userId, pasted)).toMatchObject({ kind: 'certificate' });
    expect(await statusOf(w.deps, jane.userId, w.pendingMine.id)).toMatchObject({ kind: 'request', request: { id: w.pendingMine.id } });
    expect(await statusOf(w.deps, alice.userId, w.mine.serial)).toMatchObject({ kind: 'certificate' });
    expect(await statusOf(w.deps, gina.userId, w.pendingMine.id)).toMatchObject({ kind: 'request' });
    const refused = await statusOf(w.deps, mallory.userId, w.mine.serial);
    expect(refused).toMatchObject({ kind: 'refused', error: { code: 'NOT_YOUR_CERTIFICATE' } });
    expect(JSON.stringify(refused)).not.toContain(jane.userId);
    expect(await statusOf(w.deps, mallory.userId, w.pendingMine.id)).toMatchObject({ kind: 'refused', error: { code: 'NOT_YOUR_CERTIFICATE' } });
    for (const ref of ['', 'nope!', 'deadbeef']) {
      expect(await statusOf(w.deps, jane.userId, ref)).toMatchObject({ kind: 'refused', error: { code: 'NOTHING_BY_THAT_ID' } });
    }
  });

  it('normalises serials as people paste them', () => {
    expect(normaliseSerial('5F:A0:01')).toBe('5fa001');
    expect(normaliseSerial('0x5fa001')).toBe('5fa001');
    expect(normaliseSerial('req-1')).toBeUndefined();
    expect(normaliseSerial('')).toBeUndefined();
  });

  it('/cert pending and /cert holders are for admins only (listed or by group)', async () => {
    const w = await world();
    expect(await pendingQueue(w.deps, jane.userId)).toMatchObject({ kind: 'refused', error: { code: 'ADMINS_ONLY' } });
    expect(await holders(w.deps, mallory.userId)).toMatchObject({ kind: 'refused', error: { code: 'ADMINS_ONLY' } });
    const q = await pendingQueue(w.deps, gina.userId);
    if (q.kind !== 'queue') throw new Error('expected the queue');
    // Longest-waiting first; a card link where there is a card.
    expect(q.queue.items.map((i) => i.request.id)).toEqual([w.pendingHers.id, w.pendingMine.id]);
    expect(q.queue.items[0]!.cardLink).toBeUndefined();
    expect(q.queue.items[1]!.cardLink).toMatch(/^https:\/\/example\.slack\.com\/archives\/CADMINS\/p/);
    const h = await holders(w.deps, alice.userId);
    if (h.kind !== 'holders') throw new Error('expected holders');
    // Valid and active only: the renewed and expired one is not a holder's.
    expect(h.holders.items.map((c) => c.serial)).toEqual([w.mine.serial, w.hers.serial]);
    expect(h.holders.total).toBe(2);
  });

  it('the App Home shows the admin queue only to admins', async () => {
    const w = await world();
    const mine = await homeContent(w.deps, jane.userId);
    expect(mine.admin).toBeUndefined();
    expect(mine.certificates.total).toBe(2);
    expect(mine.requests.items.map((r) => r.id)).toEqual([w.pendingMine.id]);
    const admin = await homeContent(w.deps, gina.userId);
    expect(admin.admin?.queue.total).toBe(2);
    await publishHome(w.deps, gina.userId);
    expect(w.chat.homeOf(gina.userId)?.admin?.queue.items).toHaveLength(2);
  });

  it('a change refreshes the requester and every admin, and one failure does not stop the others', async () => {
    const w = await world();
    w.chat.failNext('publishHome');
    await refreshHomes(w.deps, { userId: jane.userId, queue: true, requestId: w.pendingMine.id });
    const published = w.chat.homes.map((h) => h.userId).sort();
    // Four homes attempted (jane, alice, bob, gina); the first failed.
    expect(published).toHaveLength(3);
    expect(w.chat.calls.filter((c) => c === 'publishHome')).toHaveLength(4);
    expect(new Set([...published, jane.userId])).toEqual(new Set([jane.userId, alice.userId, people.bob.userId, gina.userId]));
  });

  it('a change to a certificate only refreshes its holder', async () => {
    const w = await world();
    await refreshHomes(w.deps, { userId: jane.userId, queue: false });
    expect(w.chat.homes.map((h) => h.userId)).toEqual([jane.userId]);
  });
});
