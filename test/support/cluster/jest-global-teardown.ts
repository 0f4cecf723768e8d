// Stops every control-plane process of this run and fails the run if one
// survives, so "no process outlives the tests" is checked on every run.
import { rmSync } from 'node:fs';
import { stopControlPlane } from './launcher.js';
import { readState } from './state.js';

export default async function globalTeardown(): Promise<void> {
  const stateFile = process.env.CLUSTER_STATE_FILE;
  if (!stateFile) return;
  const state = readState(stateFile);
  if (state.mode === 'external') {
    rmSync(state.dir, { recursive: true, force: true });
    return;
  }
  await stopControlPlane(stateFile);
  delete process.env.CLUSTER_STATE_FILE;
}
