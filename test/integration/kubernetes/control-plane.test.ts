// The harness itself: outages the adapter must survive, and no control-plane
// process outliving whoever started it. Uses private control planes so the
// shared one other test files use is never disturbed.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubernetesCsrApi } from '../../../src/adapters/kubernetes/index.js';
import { KubeConfig } from '@kubernetes/client-node';
import {
  clusterState,
  controlPlanePids,
  pauseApiserver,
  resumeApiserver,
  startApiserver,
  startPrivateControlPlane,
  stopApiserver,
  stopPrivateControlPlane,
} from '../../support/cluster/cluster.js';
import { isAlive } from '../../support/cluster/processes.js';
import { csrSpec, opensslKeyAndCsr, uniqueName } from './support.js';

const harness = clusterState().mode === 'harness';
const maybe = harness ? describe : describe.skip; // KUBECONFIG_TEST clusters are not ours to break

/** Pids of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle) && isAlive(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(100);
  return cond();
}

const load = (file: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
};

maybe('kube-apiserver outages', () => {
  let file = '';
  afterAll(async () => {
    if (file) await stopPrivateControlPlane(file);
  });

  it('stop/start on the same port: the adapter reports CLUSTER_UNREACHABLE, then data and the watch come back', async () => {
    file = await startPrivateControlPlane();
    const state = clusterState(file);
    const seen: string[] = [];
    const errors: string[] = [];
    const api = KubernetesCsrApi.create(load(state.csrbotKubeconfig), { requestTimeoutMs: 2_000, onWatchError: (err) => errors.push(err.code) });
    const before = uniqueName('outage-before');
    await api.create(csrSpec(before, opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] }).csrPem));

    const { resourceVersion } = await api.listManaged();
    const watch = api.watch({ resourceVersion }, (_type, csr) => seen.push(csr.name));
    try {
      const oldPid = state.processes['kube-apiserver']?.pid;
      await stopApiserver(file);
      await expect(api.get(before)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE', details: expect.objectContaining({ reason: 'ECONNREFUSED' }) });

      await startApiserver(file);
      const after = clusterState(file);
      expect(after.processes['kube-apiserver']?.pid).not.toBe(oldPid);
      expect(after.server).toBe(state.server);
      expect((await api.get(before))?.name).toBe(before);

      const later = uniqueName('outage-after');
      await api.create(csrSpec(later, opensslKeyAndCsr({ cn: 'jane', o: ['dev-team'] }).csrPem));
      expect(await waitUntil(() => seen.includes(later), 20_000)).toBe(true);
    } finally {
      watch.stop();
    }
    expect(errors.length).toBeGreaterThan(0);
  }, 90_000);

  it('a paused (SIGSTOPped) apiserver gives CLUSTER_TIMEOUT; resumed, it answers again', async () => {
    const state = clusterState(file);
    const api = KubernetesCsrApi.create(load(state.csrbotKubeconfig), { requestTimeoutMs: 1_000 });
    pauseApiserver(file);
    try {
      await expect(api.listManaged()).rejects.toMatchObject({ code: 'CLUSTER_TIMEOUT' });
    } finally {
      resumeApiserver(file);
    }
    await expect(api.listManaged()).resolves.toHaveProperty('items');
  }, 30_000);
});

maybe('no control-plane process outlives its owner', () => {
  it('stopping leaves nothing behind', async () => {
    const file = await startPrivateControlPlane();
    const dir = clusterState(file).dir;
    const pids = controlPlanePids(file);
    expect(pids.length).toBe(4); // watchdog, etcd, kube-apiserver, kube-controller-manager
    expect(processesMentioning(dir).length).toBeGreaterThanOrEqual(3);
    await stopPrivateControlPlane(file);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('the watchdog stops everything when the owning process is SIGKILLed (no teardown runs)', async () => {
    const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
    const ownerPid = owner.pid ?? 0;
    const file = await startPrivateControlPlane({ ownerPid });
    const dir = clusterState(file).dir;
    const pids = controlPlanePids(file);
    try {
      expect(pids.every(isAlive)).toBe(true);
      owner.kill('SIGKILL');
      expect(await waitUntil(() => pids.every((p) => !isAlive(p)), 20_000)).toBe(true);
      expect(processesMentioning(dir)).toEqual([]);
      expect(await waitUntil(() => !existsSync(dir), 5_000)).toBe(true);
    } finally {
      if (existsSync(file)) await stopPrivateControlPlane(file);
    }
  }, 60_000);
});

describe('this run', () => {
  it('records every control-plane process it started, all alive while tests run', () => {
    const pids = controlPlanePids();
    if (harness) expect(pids.length).toBe(4);
    expect(pids.filter((p) => !isAlive(p))).toEqual([]);
  });
});
