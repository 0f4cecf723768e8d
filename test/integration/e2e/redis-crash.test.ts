/**
 * A crashed Redis master (SIGKILL, no coordinated failover) can lose its last
 * writes under asynchronous replication. The whole flow (jane's DM upload,
 * the card, alice's Approve, the certificate DM) runs through the Slack
 * emulator, the real control plane and the bot as main.ts wires it, on a
 * Sentinel deployment and a Redis Cluster of the test's own (ports
 * 7100-7115, clear of the other HA suites' 7000-7099); the master holding csrbot's keys is
 * killed at the moments of the crash table in docs/operations.md ("What a
 * failover guarantees"). Each case checks what users see, what Redis says,
 * and what csrbot does after a restart (the reconciler's full pass over its
 * CSRs), and prints what it measured.
 */
import { afterAll, beforeAll, describe, expect, it as jestIt, jest } from '@jest/globals';
import type { Queue } from 'bullmq';
import type { Message } from '@csrbot/slack-emulator';
import { waitUntil } from '../../support/redis-ha/index.js';
import { botsRedis, quiet, startCluster, startSentinel, type HaRedis } from './redis-ha.js';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  fileText,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  readCsr,
  requestIdOf,
  requestViaDm,
  type World,
  startWorld,
  withBotLog,
} from './world.js';

// Under CI load (2 cores, load ~10) these suites failed now and then: csrbot's stalls after a
// failover (three causes, fixed) and the harness killing a replica that lacked the last writes
// (it now waits: replicaCaughtUp in test/support/redis-ha). One retry, with the first failure and
// csrbot's log printed, stays as a guard; see docs/operations.md "What a failover guarantees".
jest.retryTimes(1, { logErrorsBeforeRetry: true });

/** What users, the cluster and Redis say about one request, once csrbot has nothing left to do. */
interface Seen {
  /** Certificate DMs jane received for this request's certificate. */
  certificateDms: number;
  /** "... was approved by ..." DMs jane received for this request. */
  approvedNotices: number;
  /** Approved conditions on the CSR (Kubernetes keeps one). */
  csrApproved: number;
  csrIssued: boolean;
  /** The card still offers Approve. */
  cardOffersApprove: boolean;
  cardText: string;
  redisState: string;
}

interface Case {
  id: string;
  csrName: string;
  card: Message;
}

// Every moment on Sentinel; on the Cluster (whose failovers take longer) the first and the one the reconciler
// repairs, so the suite stays near 90 s on 2 shared cores.
describe.each([
  ['Sentinel (master, replica, 3 sentinels)', () => startSentinel(7100, { aof: true }), 'every moment'],
  ['a Redis Cluster (3 masters, 3 replicas)', () => startCluster(7110, { aof: true }), 'two moments'],
])('a crash of the Redis master on %s, in the middle of the flow', (topology, startRedis, moments) => {
  const everyMoment = moments === 'every moment';
  let redis: HaRedis;
  let w: World;
  let bot: { stop(): Promise<void> };
  const measured: string[] = [];
  const record = (what: string, facts: object) => measured.push(`${what}: ${JSON.stringify(facts)}`);
  /** A case whose failure carries the tail of csrbot's log. */
  const it = (name: string, fn: () => Promise<void>, timeoutMs: number) => jestIt(name, () => withBotLog(w, fn), timeoutMs);

  beforeAll(async () => {
    redis = await startRedis();
    // The sweep's reconcile pass is what finds a request Redis forgot while csrbot runs: every 2 s here. A command
    // queued for the crashed Cluster master fails after 15 s and its job retries (without it, a delivery hung for good).
    // On the Cluster the sweep keeps its default (10 min): its fourth row is measured with a restart.
    w = await startWorld({ redisEnv: redis.env, replicas: 0, env: { ...(everyMoment ? { SWEEP_INTERVAL: '2s' } : {}), REDIS_COMMAND_TIMEOUT: '15s' } });
    bot = await w.startReplica();
  }, 120_000);

  afterAll(async () => {
    process.stdout.write(`\nRedis crash measurements (${topology}):\n${measured.join('\n')}\n`);
    await w?.stop();
    await redis?.stop();
  }, 60_000);

  /** csrbot's queue as the bot sees it, for the duration of `fn`. */
  async function withQueue<T>(fn: (queue: Queue, bots: ReturnType<typeof botsRedis>) => Promise<T>): Promise<T> {
    const bots = botsRedis(w);
    try {
      return await fn(bots.queue, bots);
    } finally {
      await bots.close();
    }
  }

  /** The certificate the cluster issued for this request (PEM), if it did. */
  async function issuedPem(c: Case): Promise<string | undefined> {
    const b64 = (await readCsr(w, c.csrName)).status?.certificate;
    return b64 ? Buffer.from(b64, 'base64').toString('utf8').trim() : undefined;
  }

  /** DMs to jane that carry this request's certificate. */
  async function certificateDms(c: Case): Promise<number> {
    const pem = await issuedPem(c);
    const crtOf = (m: Message) => (m.files ?? []).find((f) => String(f.name).endsWith('.crt'));
    return pem === undefined ? 0 : w.jane.dms().filter((m) => isCertificateDm(m) && fileText(w, crtOf(m)!).trim() === pem).length;
  }

  async function waitForCertificateDms(c: Case, n: number): Promise<void> {
    await waitUntil(`${n} certificate DM(s) for ${c.csrName}`, async () => ((await certificateDms(c)) >= n ? true : undefined), WAIT.timeoutMs);
  }

  async function seen(c: Case): Promise<Seen> {
    return withQueue(async (queue, bots) => {
      await quiet(w, queue, 60_000);
      const now = currentCard(w, c.card);
      return {
        certificateDms: await certificateDms(c),
        approvedNotices: w.jane.dms().filter((m) => m.text.includes(`\`${c.id}\``) && m.text.includes('was approved by')).length,
        csrApproved: await conditionCount(w, c.csrName, 'Approved'),
        csrIssued: (await issuedPem(c)) !== undefined,
        cardOffersApprove: hasAction('csrbot_approve')(now),
        cardText: now.text,
        redisState: (await bots.store.get(c.id))?.state ?? 'missing',
      };
    });
  }

  /**
   * No job is running. A job running when Redis forgets it could never record its end, and
   * its worker would not close when csrbot stops (in this process, it would outlive the test).
   */
  async function noJobRunning(): Promise<void> {
    await withQueue((queue) =>
      waitUntil(
        'no job running',
        async () => {
          const { active } = await queue.getJobCounts('active');
          return active === 0 ? true : undefined;
        },
        WAIT.timeoutMs,
      ),
    );
  }

  /** jane uploads her CSR in a DM and submits it: the card waits for the admins. */
  async function newRequest(): Promise<Case> {
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    return { id: requestIdOf(card), csrName: csrNameOf(card), card };
  }

  async function approve(c: Case): Promise<void> {
    expect((await w.alice.click(currentCard(w, c.card), 'csrbot_approve')).acked).toBe(true);
  }

  const fullPasses = () => w.logs.filter((l) => l.includes('CSR resync done')).length;

  /** Stops csrbot and starts it again; resolves once the reconciler's full pass over csrbot's CSRs is done. */
  async function restart(): Promise<void> {
    const before = fullPasses();
    await bot.stop();
    bot = await w.startReplica();
    await waitUntil("the reconciler's full pass after the restart", async () => (fullPasses() > before ? true : undefined), WAIT.timeoutMs);
  }

  /**
   * A new request, approved while its certificate upload keeps failing; then the master crashes while the issue job
   * waits for its retry (not while a worker runs it), and Redis forgets the click and the approval. Uploads work again after.
   */
  async function forgetApprovalBeforeDelivery(): Promise<{ c: Case; f: { ms: number } }> {
    const c = await newRequest();
    w.emu.faults.next('files.getUploadURLExternal', { error: 'internal_error', times: 1000 });
    const failed = () => w.emu.calls('files.getUploadURLExternal').filter((call) => call.error).length;
    const failedBefore = failed();
    const f = await redis.loseWritesDuring(w.env.REDIS_PREFIX!, async () => {
      await approve(c);
      await waitUntil('the Approved condition', async () => ((await conditionCount(w, c.csrName, 'Approved')) > 0 ? true : undefined), WAIT.timeoutMs);
      await w.emu.waitFor(() => (failed() > failedBefore ? true : undefined), 'a failed certificate upload', WAIT);
      await withQueue((queue) => queue.pause());
      await noJobRunning();
    });
    w.emu.faults.clear();
    return { c, f };
  }

  it('SIGKILL right after the Approve click: the replica had it all; one certificate DM, Redis says issued', async () => {
    const c = await newRequest();
    await approve(c);
    const f = await redis.crashMaster(w.env.REDIS_PREFIX!);
    const after = await seen(c);
    record('crash right after the click', { failoverMs: f.ms, ...after });
    expect(after).toMatchObject({ certificateDms: 1, approvedNotices: 1, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'issued' });
    expect(after.cardText).toContain('Approved and issued');
    await restart();
    expect(await seen(c)).toEqual(after);
  }, 120_000);

  if (everyMoment)
    it('SIGKILL while the certificate is being uploaded (an outage, nothing forgotten): one certificate DM, Redis says issued', async () => {
      const c = await newRequest();
      // The upload takes a second and the master dies as it starts: the DM goes out during the failover,
      // and marking the request issued waits for the new master.
      w.emu.faults.slow('files.completeUploadExternal', 1000);
      const uploads = w.emu.calls('files.getUploadURLExternal').length;
      await approve(c);
      await w.emu.waitFor(() => (w.emu.calls('files.getUploadURLExternal').length > uploads ? true : undefined), 'the certificate upload to start', WAIT);
      const f = await redis.crashMaster(w.env.REDIS_PREFIX!);
      const after = await seen(c);
      record('crash as the certificate is uploaded', { failoverMs: f.ms, ...after });
      expect(after).toMatchObject({ certificateDms: 1, approvedNotices: 1, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'issued' });
      await restart();
      expect(await seen(c)).toEqual(after);
    }, 120_000);

  if (everyMoment)
    it('Redis forgets the click before the approve job ran: no DM, the card still offers Approve; a restart changes nothing, a second click delivers once', async () => {
      const c = await newRequest();
      // The crash beats the worker: it takes no job until the master is gone (the pause itself is replicated, so it survives).
      await withQueue((queue) => queue.pause());
      const f = await redis.loseWritesDuring(w.env.REDIS_PREFIX!, () => approve(c));
      await withQueue((queue) => queue.resume());
      const after = await seen(c);
      record('Redis forgets the click', { failoverMs: f.ms, ...after });
      expect(after).toMatchObject({ certificateDms: 0, approvedNotices: 0, csrApproved: 0, csrIssued: false, cardOffersApprove: true, redisState: 'pending' });
      await restart();
      const restarted = await seen(c);
      record('Redis forgets the click, then csrbot restarted', restarted);
      expect(restarted).toEqual(after);
      await approve(c);
      await waitForCertificateDms(c, 1);
      const again = await seen(c);
      record('Redis forgets the click, then Approve clicked again', again);
      expect(again).toMatchObject({ certificateDms: 1, approvedNotices: 1, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'issued' });
    }, 120_000);

  if (everyMoment)
    it("Redis forgets the click and the approval, before delivery (the upload was failing): the sweep finds csrbot's approval in the cluster and delivers once, without a restart", async () => {
      const { c, f } = await forgetApprovalBeforeDelivery();
      // Redis now says pending with nothing queued; the cluster approved and issued. No event will come: the sweep must find it.
      await waitForCertificateDms(c, 1);
      const after = await seen(c);
      record('Redis forgets the approval before delivery', { failoverMs: f.ms, ...after });
      // The reconcile pass found csrbot's own approval in the cluster, restored alice from it, and delivered. The
      // once-flag of the "approved" notice was lost too, so jane is told a second time.
      expect(after).toMatchObject({ certificateDms: 1, approvedNotices: 2, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'issued' });
      expect(after.cardText).toContain('Approved and issued');
      await withQueue(async (_q, bots) => expect((await bots.store.get(c.id))?.approvals.map((a) => a.userId)).toEqual([w.alice.id]));
      await restart();
      expect(await seen(c)).toEqual(after);
    }, 120_000);

  // On the Cluster the running bot's recovery of this row is not yet reliable (CI missed 45 s; docs/operations.md): measured with a restart.
  if (!everyMoment)
    it('Redis forgets the click and the approval, before delivery (the upload was failing): stuck until csrbot restarts, then delivered once', async () => {
      const { c, f } = await forgetApprovalBeforeDelivery();
      const after = await seen(c);
      record('Redis forgets the approval before delivery', { failoverMs: f.ms, ...after });
      // jane was told "approved"; the cluster approved and issued; Redis says pending and nothing is queued.
      expect(after).toMatchObject({ certificateDms: 0, approvedNotices: 1, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'pending' });
      await restart();
      const restarted = await seen(c);
      record('Redis forgets the approval before delivery, then csrbot restarted', restarted);
      // The full pass finds csrbot's own approval in the cluster, restores alice from it, and delivers. The
      // once-flag of the "approved" notice was lost too, so jane is told a second time.
      expect(restarted).toMatchObject({
        certificateDms: 1,
        approvedNotices: 2,
        csrApproved: 1,
        csrIssued: true,
        cardOffersApprove: false,
        redisState: 'issued',
      });
      expect(restarted.cardText).toContain('Approved and issued');
      await withQueue(async (_q, bots) => expect((await bots.store.get(c.id))?.approvals.map((a) => a.userId)).toEqual([w.alice.id]));
    }, 120_000);

  if (everyMoment)
    it('Redis forgets everything up to the delivery: jane has her certificate; the sweep moves the record to issued and does not send it again', async () => {
      const c = await newRequest();
      const f = await redis.loseWritesDuring(w.env.REDIS_PREFIX!, async () => {
        await approve(c);
        await waitForCertificateDms(c, 1);
        await noJobRunning();
      });
      await withQueue((_q, bots) =>
        waitUntil('the sweep to find the request issued', async () => ((await bots.store.get(c.id))?.state === 'issued' ? true : undefined), WAIT.timeoutMs),
      );
      const after = await seen(c);
      record('Redis forgets the delivery', { failoverMs: f.ms, ...after });
      // The record of the first DM was lost with Redis, but delivery looks in the DM for the certificate file first: it does not go out again.
      expect(after).toMatchObject({ certificateDms: 1, approvedNotices: 2, csrApproved: 1, csrIssued: true, cardOffersApprove: false, redisState: 'issued' });
      expect(after.cardText).toContain('Approved and issued');
      await restart();
      expect(await seen(c)).toEqual(after);
    }, 120_000);
});
