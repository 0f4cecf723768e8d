/**
 * Expiry reminders and renewal on the real control plane, through the Slack
 * emulator. The signer's minimum lifetime is 10 minutes, so the ladder is in
 * seconds before expiry (REMINDER_SHORT_LIFETIME=1s makes a 10-minute
 * certificate "long-lived"): the rungs fall 20 and 30 seconds after issuance.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { X509Certificate } from 'node:crypto';
import { selfSubjectReview } from '../../../src/adapters/kubernetes/index.js';
import type { Message } from '../../support/slack-emulator/index.js';
import { redisUrlForTests } from '../../support/redis.js';
import {
  WAIT,
  csrNameOf,
  deliveredKubeconfig,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  mark,
  readCsr,
  requestViaDm,
  startWorld,
  waitForCard,
  waitForNewDm,
  waitForQuiet,
  type World,
} from './world.js';

const LADDER = { CERT_DEFAULT_LIFETIME: '10m', REMINDER_SHORT_LIFETIME: '1s', REMINDER_POLL_INTERVAL: '1s' };
const isReminder = (m: Message) => hasAction('csrbot_renew')(m);
const tsMs = (ts: string) => Math.round(Number(ts) * 1000);

/** jane requests, alice approves; returns the delivered certificate. */
async function issueForJane(w: World): Promise<{ x509: X509Certificate; serial: string; dm: Message }> {
  const since = mark(w);
  const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
  await w.alice.click(card, 'csrbot_approve');
  const dm = await waitForNewDm(w, w.jane, since, isCertificateDm);
  const x509 = new X509Certificate(deliveredKubeconfig(w, dm).certificate);
  return { x509, serial: x509.serialNumber.toLowerCase(), dm };
}

async function dueSet(w: World): Promise<Array<[member: string, dueMs: number]>> {
  const redis = new Redis(await redisUrlForTests());
  try {
    const flat = await redis.zrange(`${w.prefix}:reminders:due`, '0', '-1', 'WITHSCORES');
    const out: Array<[string, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
    return out;
  } finally {
    redis.disconnect();
  }
}

describe('certificate lifecycle on the real control plane', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.stop();
    w = undefined;
  });

  it('each reminder fires at its time exactly once, with two replicas and a restart of both between scheduling and firing', async () => {
    w = await startWorld({ replicas: 0, env: { ...LADDER, REMINDER_BEFORE_EXPIRY: '580s,570s' } });
    const first = [await w.startReplica(), await w.startReplica()];
    const { x509, serial } = await issueForJane(w);
    const notAfter = Date.parse(x509.validTo);
    expect(notAfter - Date.now()).toBeGreaterThan(500_000);
    const due = [notAfter - 580_000, notAfter - 570_000];
    // Only the next rung waits in the due-set.
    expect(await dueSet(w)).toEqual([[serial, due[0]]]);

    // Both replicas go away before the first reminder is due, and two new ones take over.
    expect(Date.now()).toBeLessThan(due[0]!);
    for (const r of first) await r.stop();
    await w.startReplica();
    await w.startReplica();

    const since = mark(w);
    const one = await waitForNewDm(w, w.jane, since, isReminder);
    const two = await waitForNewDm(w, w.jane, one.ts, isReminder);
    for (const [dm, at] of [
      [one, due[0]!],
      [two, due[1]!],
    ] as const) {
      expect(tsMs(dm.ts)).toBeGreaterThanOrEqual(at);
      // Drained every second; a loaded machine may add a few more.
      expect(tsMs(dm.ts)).toBeLessThan(at + 10_000);
      expect(JSON.stringify(dm.blocks)).toContain(serial);
    }
    await waitForQuiet(w);
    expect(w.jane.dms().filter(isReminder)).toHaveLength(2);
    expect(await dueSet(w)).toEqual([]);
    // The holder's time zone (users.info tz) names the expiry.
    expect(JSON.stringify(one.blocks)).toMatch(/UTC|GMT|CET|CEST/);
  }, 120_000);

  it('deleting the reminder keys from Redis, then the sweep, restores them', async () => {
    w = await startWorld({ env: { ...LADDER, REMINDER_BEFORE_EXPIRY: '300s,60s', SWEEP_INTERVAL: '2s' } });
    const { serial } = await issueForJane(w);
    const scheduled = await dueSet(w);
    expect(scheduled.map(([m]) => m)).toEqual([serial]);
    const redis = new Redis(await redisUrlForTests());
    try {
      await redis.del(`${w.prefix}:reminders:due`, `${w.prefix}:reminders:leased`);
      expect(await dueSet(w)).toEqual([]);
      // Waits for the outcome (the sweep runs every 2 s), polling Redis until it shows or the wait gives up.
      const deadline = Date.now() + WAIT.timeoutMs;
      let restored = await dueSet(w);
      while (restored.length < 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        restored = await dueSet(w);
      }
      expect(restored.sort()).toEqual(scheduled.sort());
    } finally {
      redis.disconnect();
    }
  }, 90_000);

  it('Renew from the reminder: a new certificate for the same key, later notAfter, that authenticates; the old one stops reminding', async () => {
    w = await startWorld({ env: { ...LADDER, REMINDER_BEFORE_EXPIRY: '585s,60s' } });
    const old = await issueForJane(w);
    const since = mark(w);
    const reminder = await waitForNewDm(w, w.jane, since, isReminder);

    await w.jane.click(reminder, 'csrbot_renew');
    const card = await waitForCard(w, (m) => JSON.stringify(m.blocks).includes(`Renewal of:* \`${old.serial}\``) && hasAction('csrbot_approve')(m), since);
    await w.alice.click(card, 'csrbot_approve');
    const dm = await waitForNewDm(w, w.jane, since, isCertificateDm);
    const { kubeconfig, certificate } = deliveredKubeconfig(w, dm);
    const renewed = new X509Certificate(certificate);

    expect(renewed.serialNumber).not.toBe(old.x509.serialNumber);
    expect(Date.parse(renewed.validTo)).toBeGreaterThan(Date.parse(old.x509.validTo));
    expect(renewed.publicKey.export({ type: 'spki', format: 'der' })).toEqual(old.x509.publicKey.export({ type: 'spki', format: 'der' }));
    // The same key path as the first kubeconfig: replacing the file is all jane does.
    expect(kubeconfig).toBe(
      deliveredKubeconfig(w, old.dm).kubeconfig.replace(/client-certificate-data: \S+/, /client-certificate-data: \S+/.exec(kubeconfig)![0]),
    );
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    expect((await selfSubjectReview(kc)).username).toBe('jane');

    // The renewal's CSR carries the annotation; the old certificate's reminders are gone, the new one's are scheduled.
    expect((await readCsr(w, csrNameOf(card))).metadata?.annotations?.['csrbot.io/renewal-of']).toBe(`renewal of ${old.serial}`);
    const newSerial = renewed.serialNumber.toLowerCase();
    const members = (await dueSet(w)).map(([m]) => m);
    expect(members).not.toContain(old.serial);
    expect(members).toContain(newSerial);
    await waitForQuiet(w);
  }, 120_000);
});
