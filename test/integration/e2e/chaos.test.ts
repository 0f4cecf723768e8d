/**
 * The short, fixed-seed version of `npm run chaos` (issue 11). The real parts,
 * all the campaign's own: a control plane (from this run's binaries, so its
 * kube-apiserver can be restarted without breaking other test files), an AOF
 * redis-server (port 7401), the Slack emulator and csrbot as two child
 * processes. A mixed load from the load driver while replicas are SIGKILLed,
 * Redis restarts, the apiserver restarts, Slack answers 429 and 5xx, cards are
 * deleted and the bot is out of the admin channel. Every request's invariants
 * must hold afterwards.
 */
import { expect, it } from '@jest/globals';
import { clusterState } from '@csrbot/control-plane';
import { formatSummary, runCampaign } from '../../support/chaos/campaign.js';
import type { DecisionKind, Via } from '../../support/load/driver.js';

// Every decision of the load driver once, by DM upload and by modal, in a fixed order (the faults are planned by
// how many requests have started, so they meet the same load every run).
const SCRIPT: Array<{ via: Via; decision: DecisionKind }> = [
  { via: 'dm', decision: 'approve' },
  { via: 'modal', decision: 'deny' },
  { via: 'dm', decision: 'double-approve' },
  { via: 'dm', decision: 'kubectl-approve' },
  { via: 'modal', decision: 'approve-vs-deny' },
  { via: 'dm', decision: 'approve-then-delete-card' },
  { via: 'dm', decision: 'deny-vs-kubectl-approve' },
  { via: 'modal', decision: 'kubectl-deny' },
  { via: 'dm', decision: 'delete-card-then-kubectl-approve' },
  { via: 'dm', decision: 'approve-vs-kubectl-deny' },
];

// Every fault kind of the campaign, each injected and each met by csrbot (Slack's answers show it was hit).
const FAULTS = [
  'Redis SIGKILL + restart (AOF)',
  'kube-apiserver restart',
  'slack storm (429)',
  'slack storm (5xx)',
  'Slack answers 429',
  'Slack answers 5xx',
  'not_in_channel window (until refused)',
  'Slack answers not_in_channel',
  'cards deleted',
  'Slack answers message_not_found',
];

it('a short fault campaign (fixed seed): every request ends as the cluster decided, with one certificate DM and no live buttons', async () => {
  const binDir = clusterState().binDir;
  if (!binDir) throw new Error('the chaos run needs the harness control plane (its binaries), not KUBECONFIG_TEST');
  const summary = await runCampaign({
    binDir,
    redisPort: 7401,
    seed: 11,
    requests: SCRIPT.length,
    kills: 3,
    concurrency: 5,
    killGapMs: [500, 2000],
    settleMs: 40_000,
    notInChannelWindow: 'until-refused',
    driver: { stepTimeoutMs: 60_000, outcomeTimeoutMs: 40_000, script: SCRIPT },
    // Live, so a run cut short by the timeout still shows how far it got.
    log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  });
  process.stdout.write(`\n${formatSummary(summary)}\n`);
  expect(summary.violations).toEqual([]);
  expect(summary.requests).toBeGreaterThanOrEqual(SCRIPT.length);
  expect(summary.tracked).toBe(summary.requests);
  expect(summary.kills).toBeGreaterThanOrEqual(3);
  expect(FAULTS.filter((fault) => !((summary.faults[fault] ?? 0) > 0))).toEqual([]);
}, 180_000);
