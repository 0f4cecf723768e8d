// jest globalTeardown: stops every control-plane process of the run and
// fails the run if one survives. See jest-global-setup.ts for the tsx import.
import { tsImport } from 'tsx/esm/api';
import type * as Hooks from './global-hooks.js';

export default async function globalTeardown(): Promise<void> {
  const stateFile = process.env.CLUSTER_STATE_FILE;
  if (!stateFile) return;
  const hooks = (await tsImport('./global-hooks.ts', import.meta.url)) as typeof Hooks;
  await hooks.tearDown(stateFile);
  delete process.env.CLUSTER_STATE_FILE;
}
