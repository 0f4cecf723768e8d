/**
 * The whole flow (emulated Slack, real control plane, the bot as main.ts
 * wires it) on a Redis Cluster and on Sentinel, with a coordinated failover
 * of the master holding csrbot's keys while jane submits and another while
 * alice approves. Nothing may be lost or done twice.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { Annotations } from '../../../src/app/deps.js';
import { signerCaPem } from '@csrbot/control-plane';
import { botsRedis, quiet, startCluster, startSentinel, type HaRedis } from './redis-ha.js';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  readCsr,
  startWorld,
  waitForCard,
  withBotLog,
  type World,
} from './world.js';

// Under CI load (2 cores, load ~10) these suites failed now and then: csrbot's stalls after a
// failover (three causes, fixed) and the harness killing a replica that lacked the last writes
// (it now waits: replicaCaughtUp in test/support/redis-ha). One retry, with the first failure and
// csrbot's log printed, stays as a guard; see docs/operations.md "What a failover guarantees".
jest.retryTimes(1, { logErrorsBeforeRetry: true });

describe.each([
  ['a Redis Cluster (3 masters, 3 replicas)', () => startCluster(7020)],
  ['Redis Sentinel (master, replica, 3 sentinels)', () => startSentinel(7030)],
])('the full flow on %s, failing over in the middle', (_name, startRedis) => {
  let redis: HaRedis;
  let w: World | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
    await redis?.stop();
  }, 60_000);

  it('a failover as jane submits and another as alice approves lose nothing: one certificate, one approval, the card says issued', async () => {
    w = await startWorld({ redisEnv: redis.env });
    const prefix = w.env.REDIS_PREFIX!;
    const { csrPem } = janesKeyAndCsr(w);
    await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
    const summary = await w.jane.waitForDm(hasAction('csrbot_submit_request'), WAIT);

    // Failover 1 races the Submit click (the request record, the submit job, the CSR, the card).
    const first = redis.failover(prefix);
    await w.jane.click(summary, 'csrbot_submit_request');
    const f1 = await first;
    const card = await waitForCard(w, hasAction('csrbot_approve'));
    const csrName = csrNameOf(card);

    // Failover 2 races the Approve click (approval, CAS, approve job) and the jobs after it,
    // once failover 1 is complete (a master still catching up is no place to fail over to).
    await redis.settle();
    const second = redis.failover(prefix);
    const click = await w.alice.click(card, 'csrbot_approve');
    expect(click.acked).toBe(true);
    const f2 = await second;
    expect([f1.from !== f1.to, f2.from !== f2.to]).toEqual([true, true]);

    const dm = await w.jane.waitForDm(isCertificateDm, { timeoutMs: 60_000 });
    const { certificate } = deliveredKubeconfig(w, dm);
    const cert = new X509Certificate(certificate);
    expect(cert.verify(new X509Certificate(signerCaPem()).publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=jane');

    const approved = (await readCsr(w, csrName)).status?.conditions?.find((c) => c.type === 'Approved');
    expect(approved?.reason).toBe('CsrbotApproved');
    expect(approved?.message).toBe(`Approved in Slack by Alice Admin (${w.alice.id})`);
    // Seen once in a loaded full run (2 cores, load ~10): the certificate DM arrived but the card stayed at
    // "waiting for the cluster signer" for the whole wait. Not reproduced alone or under load since; the bot's
    // own log goes into the failure so the next one can be read.
    await withBotLog(w, () =>
      w!.emu.waitFor(() => JSON.stringify(currentCard(w!, card).blocks).includes('Approved and issued'), 'card shows issued', { timeoutMs: 90_000 }),
    );

    // Once csrbot is idle: exactly one certificate DM, one Approved condition, one card, and Redis agrees.
    const bot = botsRedis(w);
    try {
      await quiet(w, bot.queue);
      expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
      expect(await conditionCount(w, csrName, 'Approved')).toBe(1);
      expect(w.emu.messagesIn(w.emu.adminChannelId).filter((m) => m.user === w!.emu.botUserId && m.text.includes('for jane'))).toHaveLength(1);
      // The CSR's annotation is how csrbot finds the request behind a CSR.
      const id = (await readCsr(w, csrName)).metadata?.annotations?.[Annotations.requestId];
      expect(id).toBeDefined();
      const r = await bot.store.get(id!);
      expect(r?.csrName).toBe(csrName);
      expect(r?.state).toBe('issued');
      expect(r?.approvals.map((a) => a.userId)).toEqual([w.alice.id]);
      expect(w.logs.join('')).not.toContain('job failed for good');
      expect(w.logs.join('')).not.toContain('maxmemory-policy');
    } finally {
      await bot.close();
    }
  }, 330_000);
});
