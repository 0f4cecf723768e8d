/**
 * The short, fixed-seed version of `npm run chaos` (issue 11): its own
 * control plane, its own AOF redis-server (port 7201), the Slack emulator and
 * csrbot as two child processes, with a mixed load from the load driver while
 * replicas are SIGKILLed and Redis, the apiserver and Slack misbehave. Every
 * request's invariants must hold afterwards.
 */
import { expect, it } from '@jest/globals';
import { clusterState } from '@csrbot/control-plane';
import { formatSummary, runCampaign } from '../../support/chaos/campaign.js';

it('a short fault campaign (fixed seed): every request ends as the cluster decided, with one certificate DM and no live buttons', async () => {
  const binDir = clusterState().binDir;
  if (!binDir) throw new Error('the chaos campaign needs the harness control plane (its binaries), not KUBECONFIG_TEST');
  const lines: string[] = [];
  const summary = await runCampaign({
    binDir,
    redisPort: 7201,
    seed: 11,
    requests: 24,
    kills: 10,
    concurrency: 4,
    killGapMs: [1000, 4000],
    settleMs: 60_000,
    log: (line) => lines.push(line),
  });
  process.stdout.write(`\n${lines.join('\n')}\n${formatSummary(summary)}\n`);
  expect(summary.violations).toEqual([]);
  expect(summary.kills).toBeGreaterThanOrEqual(10);
  expect(summary.tracked).toBe(summary.requests);
  expect(Object.keys(summary.faults)).toEqual(
    expect.arrayContaining(['Redis SIGKILL + restart (AOF)', 'kube-apiserver restart', 'slack storm (429)', 'not_in_channel window (8 s)']),
  );
}, 180_000);
