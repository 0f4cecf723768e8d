/**
 * A dead end the chaos campaign found (issue 11, "no live buttons on a decided
 * card"): a decision made outside Slack reaches its final state through the CSR
 * watch, outside any job. A replica SIGKILLed after that transition and before
 * the card was updated left the card offering Approve/Deny, and the requester
 * untold, for good: `denied` is final, so no later pass or job looked at it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { kubeconfigPaths } from '@csrbot/control-plane';
import {
  currentCard,
  csrNameOf,
  hasAction,
  janesKeyAndCsr,
  mark,
  requestIdOf,
  requestViaDm,
  spawnBot,
  startWorld,
  waitForNewDm,
  type BotProcess,
  type World,
} from './world.js';
import { botsRedis } from './redis-ha.js';
import { waitUntil } from '../../support/redis-ha/index.js';

const kubectl = (args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfigPaths().admin, ...args], { stdio: 'pipe' });

describe('a final state reached outside a job', () => {
  let w: World | undefined;
  let bot: BotProcess | undefined;
  afterEach(async () => {
    await bot?.kill('SIGTERM');
    bot = undefined;
    await w?.stop();
    w = undefined;
  });

  it('kubectl certificate deny, then csrbot SIGKILLed while Slack refuses the card update: the restarted bot shows Denied and tells jane', async () => {
    // The sweep (with the pass that finds unannounced final states) runs every 5 s instead of every 10 minutes.
    w = await startWorld({ replicas: 0, env: { SWEEP_INTERVAL: '5s' } });
    bot = await spawnBot(w);
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    const id = requestIdOf(card);
    const since = mark(w);
    // Slack answers 500 to the card update and the notice: WebClient keeps retrying, so the bot is mid-announcement when it dies.
    w.emu.faults.next('chat.update', { status: 500, times: 1000 });
    w.emu.faults.next('chat.postMessage', { status: 500, times: 1000 });
    kubectl(['certificate', 'deny', csrNameOf(card)]);
    const bots = botsRedis(w);
    try {
      await waitUntil(`request ${id} denied in Redis`, async () => ((await bots.store.get(id))?.state === 'denied' ? true : undefined), 60_000);
      await bot.kill('SIGKILL');
    } finally {
      await bots.close();
    }
    w.emu.faults.clear();
    // Cut off: the card still offers the buttons of a request the cluster denied.
    expect(hasAction('csrbot_approve')(currentCard(w, card))).toBe(true);

    bot = await spawnBot(w);
    const decided = await w.emu.waitFor(
      () => {
        const now = currentCard(w!, card);
        return !hasAction('csrbot_approve')(now) && !hasAction('csrbot_deny')(now) ? now : undefined;
      },
      'the card without Approve/Deny',
      { timeoutMs: 90_000 },
    );
    expect(JSON.stringify(decided.blocks)).toContain('Denied');
    await waitForNewDm(w, w.jane, since, (m) => m.text.includes(id) && m.text.includes('was denied'));
  }, 180_000);
});
