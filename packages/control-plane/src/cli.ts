// npm run cluster:start | cluster:stop
//
// start: builds if needed, starts the control plane in the background (it
// keeps running after this command returns) and writes
// .cluster/admin.kubeconfig and .cluster/csrbot.kubeconfig.
// stop: stops every process it started and removes .cluster/run.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureBinaries } from './build.js';
import { startControlPlane, stopControlPlane } from './launcher.js';
import { isAlive } from './processes.js';
import { dotCluster } from './paths.js';
import { readState } from './state.js';

const runDir = path.join(dotCluster, 'run');
const stateFile = path.join(runDir, 'state.json');
const adminOut = path.join(dotCluster, 'admin.kubeconfig');
const csrbotOut = path.join(dotCluster, 'csrbot.kubeconfig');

async function start(): Promise<void> {
  if (existsSync(stateFile)) {
    const state = readState(stateFile);
    if (Object.values(state.processes).some((p) => p && isAlive(p.pid))) {
      console.log(`already running at ${state.server}; stop it with: npm run cluster:stop`);
      return;
    }
    rmSync(runDir, { recursive: true, force: true });
  }
  const binDir = await ensureBinaries();
  mkdirSync(dotCluster, { recursive: true });
  await startControlPlane({ binDir, dir: runDir });
  const state = readState(stateFile);
  copyFileSync(state.adminKubeconfig, adminOut);
  copyFileSync(state.csrbotKubeconfig, csrbotOut);
  const pids = Object.entries(state.processes)
    .map(([n, p]) => `${n}=${p?.pid}`)
    .join(' ');
  console.log(`control plane ready at ${state.server} (${pids})
  kubectl --kubeconfig ${path.relative(process.cwd(), adminOut)} get csr
  kubectl --kubeconfig ${path.relative(process.cwd(), csrbotOut)} auth can-i --list
logs: ${path.join(runDir, 'logs')}
stop: npm run cluster:stop`);
}

async function stop(): Promise<void> {
  const pids = await stopControlPlane(stateFile);
  rmSync(adminOut, { force: true });
  rmSync(csrbotOut, { force: true });
  rmSync(runDir, { recursive: true, force: true });
  console.log(pids.length ? `stopped ${pids.join(', ')}` : 'not running');
}

const cmd = process.argv[2];
const run = cmd === 'start' ? start : cmd === 'stop' ? stop : undefined;
if (!run) {
  console.error('usage: cli.ts start|stop');
  process.exit(2);
}
run().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
