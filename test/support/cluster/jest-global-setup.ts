// Builds the control plane if needed and starts it once per jest run.
// Runs in jest's parent process; tests run in workers and find the cluster
// through CLUSTER_STATE_FILE (inherited env), see ./cluster.ts.
import { ensureBinaries } from './build.js';
import { useExternalCluster } from './external.js';
import { startControlPlane } from './launcher.js';

export default async function globalSetup(): Promise<void> {
  const external = process.env.KUBECONFIG_TEST;
  const started = Date.now();
  let stateFile: string;
  if (external) {
    stateFile = await useExternalCluster(external);
  } else {
    const binDir = await ensureBinaries();
    // The watchdog stops the control plane if this jest process dies
    // without running globalTeardown (SIGKILL, crash).
    stateFile = await startControlPlane({ binDir, ownerPid: process.pid });
  }
  process.env.CLUSTER_STATE_FILE = stateFile;
  process.stderr.write(`\ncontrol plane ready in ${Date.now() - started} ms (${external ? `KUBECONFIG_TEST=${external}` : stateFile})\n`);
}
