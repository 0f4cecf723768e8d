// What jest's globalSetup/globalTeardown do, loaded through tsx by
// jest-global-setup.ts / jest-global-teardown.ts (see there for why).
import { rmSync } from 'node:fs';
import { ensureBinaries } from './build.js';
import { useExternalCluster } from './external.js';
import { startControlPlane, stopControlPlane } from './launcher.js';
import { readState } from './state.js';

/** Builds if needed, starts the control plane (or adopts KUBECONFIG_TEST) and returns the state file. */
export async function setUp(ownerPid: number): Promise<string> {
  const external = process.env.KUBECONFIG_TEST;
  const started = Date.now();
  let stateFile: string;
  if (external) {
    stateFile = await useExternalCluster(external);
  } else {
    const binDir = await ensureBinaries();
    // The watchdog stops the control plane if the jest process dies
    // without running globalTeardown (SIGKILL, crash).
    stateFile = await startControlPlane({ binDir, ownerPid });
  }
  process.stderr.write(`\ncontrol plane ready in ${Date.now() - started} ms (${external ? `KUBECONFIG_TEST=${external}` : stateFile})\n`);
  return stateFile;
}

/** Stops every process of the run; throws (failing the run) if one survives. */
export async function tearDown(stateFile: string): Promise<void> {
  const state = readState(stateFile);
  if (state.mode === 'external') {
    rmSync(state.dir, { recursive: true, force: true });
    return;
  }
  await stopControlPlane(stateFile);
}
