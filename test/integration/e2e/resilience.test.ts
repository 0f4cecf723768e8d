import { afterEach, describe, expect, it } from '@jest/globals';
import { clusterState, startApiserver, startPrivateControlPlane, stopApiserver, stopPrivateControlPlane } from '@csrbot/control-plane';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  requestIdOf,
  requestViaDm,
  spawnBot,
  startWorld,
  waitForCard,
  waitForQuiet,
  type BotProcess,
  type World,
} from './world.js';
import { botsRedis } from './redis-ha.js';
import { waitUntil } from '../../support/redis-ha/index.js';

describe('nothing is lost', () => {
  let w: World | undefined;
  let bot: BotProcess | undefined;
  afterEach(async () => {
    await bot?.kill('SIGTERM');
    bot = undefined;
    await w?.stop();
    w = undefined;
  });

  it.each([
    ['right after the Approve click', 'click'],
    ['once jane was told it is approved, before delivery', 'approved-notice'],
  ])(
    'crash: csrbot SIGKILLed %s and restarted delivers exactly once',
    async (_label, when) => {
      w = await startWorld({ replicas: 0 });
      bot = await spawnBot(w);
      const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
      const click = await w.alice.click(card, 'csrbot_approve');
      expect(click.acked).toBe(true);
      if (when === 'approved-notice') await w.jane.waitForDm((m) => m.text.includes('was approved by'), WAIT);
      await bot.kill('SIGKILL');
      const deliveredBeforeCrash = w.jane.dms().filter(isCertificateDm).length;

      bot = await spawnBot(w);
      await w.jane.waitForDm(isCertificateDm, { timeoutMs: 60_000 });
      // Until the queue drains (the dead worker's job included) a duplicate could still come.
      await waitForQuiet(w);
      expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
      expect(deliveredBeforeCrash).toBeLessThanOrEqual(1);
      expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
    },
    120_000,
  );

  it('item 7: SIGKILLed after the certificate DM went out and before csrbot recorded it, the restarted bot does not send it again', async () => {
    w = await startWorld({ replicas: 0 });
    bot = await spawnBot(w);
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    const id = requestIdOf(card);
    // The DM appears when files.completeUploadExternal runs; Slack's answer is held, so the bot is
    // still waiting for it (and has recorded nothing) when it dies: exactly between delivery and recording.
    w.emu.faults.next('files.completeUploadExternal', { answerDelayMs: 15_000 });
    expect((await w.alice.click(card, 'csrbot_approve')).acked).toBe(true);
    await w.jane.waitForDm(isCertificateDm, { timeoutMs: 60_000 });
    await bot.kill('SIGKILL');
    const bots = botsRedis(w);
    try {
      expect((await bots.store.get(id))?.state).toBe('approved');
      bot = await spawnBot(w);
      // The issue job the dead worker held is retaken once its lock lapses, finds the DM, and records the delivery.
      await waitUntil(`request ${id} recorded as issued`, async () => ((await bots.store.get(id))?.state === 'issued' ? true : undefined), 90_000);
    } finally {
      await bots.close();
    }
    // The certificate DM's own message event went to the killed process and was never acked: expected.
    await waitForQuiet(w, { timeoutMs: 75_000, allowUnacked: true });
    expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
  }, 180_000);

  it.each([
    ['Socket Mode', []],
    ['HTTP mode', ['SLACK_APP_TOKEN']],
  ])(
    'crash: csrbot SIGKILLed in %s after acking a DM upload, before the summary, and restarted: jane gets exactly one summary',
    async (_label, unset) => {
      w = await startWorld({ replicas: 0, unset, env: { SWEEP_INTERVAL: '2s', INBOX_REPLAY_AFTER: '1s' } });
      bot = await spawnBot(w);
      const { csrPem } = janesKeyAndCsr(w);
      // The bot hangs reading the file: the event is acked, the summary not yet posted.
      w.emu.faults.slow('download', 20_000);
      const { message } = await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
      await w.emu.waitFor(
        () => (w!.emu.deliveries.some((d) => d.acked && JSON.stringify(d.body).includes(message.ts)) && w!.emu.inFlight().requests > 0 ? true : undefined),
        'the upload event acked and its download under way',
        WAIT,
      );
      await bot.kill('SIGKILL');
      expect(w.jane.dms().filter(hasAction('csrbot_submit_request'))).toHaveLength(0);

      bot = await spawnBot(w);
      await w.jane.waitForDm(hasAction('csrbot_submit_request'), WAIT);
      // A sweep the killed process was running stays active until BullMQ finds it stalled: JOB_LOCK_DURATION plus
      // two JOB_STALLED_INTERVALs (5 s and 2 s here; the scheduled tasks once ignored them and took up to 90 s).
      await waitForQuiet(w, { timeoutMs: 75_000 });
      expect(w.jane.dms().filter(hasAction('csrbot_submit_request'))).toHaveLength(1);
    },
    180_000,
  );

  it('API outage: with kube-apiserver down for 30 s, jane is told of the delay and the request completes', async () => {
    // A control plane of its own, so other test files keep a working API server.
    const plane = await startPrivateControlPlane();
    try {
      await outage(plane);
    } finally {
      await stopPrivateControlPlane(plane);
    }
  }, 180_000);

  async function outage(plane: string): Promise<void> {
    w = await startWorld({ env: { KUBECONFIG: clusterState(plane).csrbotKubeconfig } });
    const { csrPem } = janesKeyAndCsr(w);
    const downAt = Date.now();
    await stopApiserver(plane);
    try {
      await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
      const summary = await w.jane.waitForDm(hasAction('csrbot_submit_request'), WAIT);
      await w.jane.click(summary, 'csrbot_submit_request');
      const delayed = await w.jane.waitForDm((m) => m.text.includes('is delayed'), WAIT);
      expect(delayed.text).toContain('keep retrying');
      const left = 30_000 - (Date.now() - downAt);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      expect(w.emu.messagesIn(w.emu.adminChannelId).filter(hasAction('csrbot_approve'))).toHaveLength(0);
    } finally {
      await startApiserver(plane);
    }
    const card = await waitForCard(w, hasAction('csrbot_approve'));
    await w.alice.click(card, 'csrbot_approve');
    await w.jane.waitForDm(isCertificateDm, { timeoutMs: 60_000 });
    await waitForQuiet(w);
    expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
    expect(w.jane.dms().filter((m) => m.text.includes('is delayed'))).toHaveLength(1);
  }
});
