import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { approveRequest } from '../../../src/app/decide.js';
import { actOnCertificate } from '../../../src/app/certificate-actions.js';
import { drainReminders, onNewCertificate } from '../../../src/app/remind.js';
import { reminderPass, retentionPass } from '../../../src/app/sweep.js';
import { Annotations } from '../../../src/app/deps.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, issuedCertificate, state } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const issued = (days = 1) => issuedCertificate(pki, days);

describe('expiry reminders', () => {
  it('a 24 h certificate: one reminder at 2/3 of its life, one at expiry, each exactly once, in the holder’s time zone', async () => {
    const t = await issued(1);
    t.chat.timeZones.set(people.jane.userId, 'Asia/Tokyo');
    // Only the next rung waits in the due-set.
    expect(t.reminders.all).toEqual([{ serial: t.serial, dueMs: t.notAfter - 8 * HOUR }]);

    expect(await drainReminders(t.deps)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    t.clock.set(new Date(t.notAfter - 8 * HOUR));
    expect((await drainReminders(t.deps)).sent).toBe(1);
    expect((await drainReminders(t.deps)).sent).toBe(0);
    expect(t.chat.reminders).toHaveLength(1);
    expect(t.chat.reminders[0]).toMatchObject({ step: 'at-67pct', timeZone: 'Asia/Tokyo', expired: false, clusterName: 'testcluster' });
    expect(t.chat.reminders[0]!.certificate).toMatchObject({ serial: t.serial, username: 'jane', requesterId: people.jane.userId });

    t.clock.set(new Date(t.notAfter));
    await drainReminders(t.deps);
    await drainReminders(t.deps);
    expect(t.chat.reminders.map((r) => [r.step, r.expired])).toEqual([
      ['at-67pct', false],
      ['expiry', true],
    ]);
    expect(t.audit.types().filter((x) => x === 'reminded')).toHaveLength(2);
  });

  it('a reminder whose DM failed is sent again once its lease runs out, and only once', async () => {
    const t = await issued(1);
    t.clock.set(new Date(t.notAfter - 8 * HOUR));
    t.chat.failNext('remindHolder', new Error('slack down'));
    expect((await drainReminders(t.deps)).failed).toBe(1);
    expect((await drainReminders(t.deps)).sent).toBe(0); // still leased
    t.clock.advance(61_000);
    expect((await drainReminders(t.deps)).sent).toBe(1);
    expect(t.chat.reminders).toHaveLength(1);
  });

  it('the sweep restores reminders lost from Redis, and adds nothing when none are missing', async () => {
    const t = await issued(1);
    const before = t.reminders.all;
    await t.reminders.cancel(t.serial);
    expect(t.reminders.all).toEqual([]);
    expect(await reminderPass(t.deps).run(t.clock.now())).toEqual({ certificates: 1, restored: 1 });
    expect(t.reminders.all).toEqual(before);
    expect(await reminderPass(t.deps).run(t.clock.now())).toEqual({ certificates: 1, restored: 0 });
    // After the first reminder went out, a lost expiry reminder comes back but the sent one does not.
    t.clock.set(new Date(t.notAfter - 8 * HOUR));
    await drainReminders(t.deps);
    expect(t.reminders.all).toEqual([{ serial: t.serial, dueMs: t.notAfter }]);
    await t.reminders.cancel(t.serial);
    expect(await reminderPass(t.deps).run(t.clock.now())).toEqual({ certificates: 1, restored: 1 });
    expect(t.reminders.all).toEqual([{ serial: t.serial, dueMs: t.notAfter }]);
  });

  it('Snooze 1 day skips the rungs in between and reminds once a day later', async () => {
    const t = await issued(30);
    expect(t.reminders.all).toEqual([{ serial: t.serial, dueMs: t.notAfter - 7 * DAY }]);
    t.clock.set(new Date(t.notAfter - 7 * DAY));
    await drainReminders(t.deps);
    const out = await actOnCertificate(t.flow, 'snooze', t.serial, { userId: people.jane.userId, channel: 'DJANE' });
    expect(out).toEqual({ kind: 'snoozed', until: new Date(t.notAfter - 6 * DAY) });
    t.clock.set(new Date(t.notAfter - 6 * DAY));
    await drainReminders(t.deps);
    t.clock.set(new Date(t.notAfter - DAY));
    await drainReminders(t.deps);
    expect(t.chat.reminders.map((r) => r.step)).toEqual(['7d-before', 'snooze', '1d-before']);
    expect(t.audit.types()).toContain('snoozed');
  });

  it('I no longer need it: recorded, and no reminder is sent after it', async () => {
    const t = await issued(1);
    const out = await actOnCertificate(t.flow, 'dismiss', t.serial, { userId: people.jane.userId, channel: 'DJANE' });
    expect(out.kind).toBe('dismissed');
    expect((await t.inventory.get(t.serial))?.status).toBe('dismissed');
    t.clock.set(new Date(t.notAfter + 1));
    await drainReminders(t.deps);
    await reminderPass(t.deps).run(new Date(t.notAfter - HOUR));
    await drainReminders(t.deps);
    expect(t.chat.reminders).toEqual([]);
    expect(t.audit.events.find((e) => e.type === 'dismissed')).toMatchObject({ serial: t.serial, actor: people.jane.userId, via: 'slack' });
    expect(t.chat.ephemerals.at(-1)?.text).toContain('No more reminders');
  });

  it('a click by anyone but the holder is refused and changes nothing', async () => {
    const t = await issued(1);
    for (const action of ['renew', 'snooze', 'dismiss'] as const) {
      const out = await actOnCertificate(t.flow, action, t.serial, { userId: people.mallory.userId, channel: 'DMALLORY' });
      expect(out).toEqual({ kind: 'not-holder' });
    }
    expect(t.chat.ephemerals.filter((e) => e.userId === people.mallory.userId).map((e) => e.text)).toEqual(
      Array(3).fill(`Only the holder of certificate \`${t.serial}\` (<@${people.jane.userId}>) can renew, snooze or dismiss it.`),
    );
    expect((await t.inventory.get(t.serial))?.status).toBe('active');
    expect(t.jobs.pending).toEqual([]);
    expect(t.reminders.all).toHaveLength(1);
  });

  it('retention forgets certificates expired longer than it', async () => {
    const t = await issued(1);
    expect(await retentionPass(t.deps, DAY).run(new Date(t.notAfter + DAY - 1))).toEqual({ forgotten: 0 });
    expect(await retentionPass(t.deps, DAY).run(new Date(t.notAfter + DAY + 1))).toEqual({ forgotten: 1 });
    expect(await t.inventory.get(t.serial)).toBeUndefined();
  });
});

describe('Renew', () => {
  it('resubmits the stored CSR marked as a renewal; once issued, the old certificate stops reminding', async () => {
    const t = await issued(1);
    const out = await actOnCertificate(t.flow, 'renew', t.serial, { userId: people.jane.userId, channel: 'DJANE' });
    expect(out).toEqual({ kind: 'renewal-submitted', requestId: `renew-${t.serial}` });
    // A double click renews once.
    await actOnCertificate(t.flow, 'renew', t.serial, { userId: people.jane.userId, channel: 'DJANE' });
    await t.jobs.runAll(t.handlers);
    const renewal = await state(t, `renew-${t.serial}`);
    expect(renewal).toMatchObject({ state: 'pending', renewalOf: t.serial, reason: `renewal of ${t.serial}` });
    expect(renewal.csr.pem).toBe(t.key.csrPem);
    expect(t.csrApi.spec(renewal.csrName)?.annotations[Annotations.renewalOf]).toBe(`renewal of ${t.serial}`);
    expect(t.chat.cards.at(-1)?.request.renewalOf).toBe(t.serial);

    await approveRequest(t.deps, renewal.id, admin(people.alice));
    t.clock.advance(HOUR);
    const newPem = pki.sign(t.key.csrPem, 1);
    await t.jobs.runAll({ ...t.handlers, issue: async (id) => (t.csrApi.issue(renewal.csrName, newPem), t.handlers.issue!(id)) });
    const newSerial = new X509Certificate(newPem).serialNumber.toLowerCase();
    expect(t.chat.deliveries.at(-1)?.files.certificatePem).toBe(newPem);
    expect(t.chat.deliveries.at(-1)?.files.kubeconfig).toContain('jane.key');
    expect(await t.inventory.get(t.serial)).toMatchObject({ status: 'renewed', replacedBy: newSerial });
    expect(await t.inventory.get(newSerial)).toMatchObject({ status: 'active', renewalOf: t.serial, keyFingerprint: t.key.summary.fingerprint });
    expect(t.reminders.all.map((r) => r.serial)).toEqual([newSerial]);
    expect(t.audit.types()).toEqual(expect.arrayContaining(['requested', 'approved', 'issued', 'renewal-requested']));
  });

  it('a later certificate for the same holder, username and key supersedes the old one', async () => {
    const t = await issued(1);
    const old = await t.inventory.get(t.serial);
    const newer = { ...old!, serial: `${t.serial}ff`, requestId: 'req-0002', notAfter: new Date(t.notAfter + DAY).toISOString() };
    await t.inventory.record(newer);
    await onNewCertificate(t.deps, newer);
    expect(await t.inventory.get(t.serial)).toMatchObject({ status: 'superseded', replacedBy: newer.serial });
    expect(t.reminders.all.every((r) => r.serial === newer.serial)).toBe(true);
  });
});
