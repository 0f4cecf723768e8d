// jest globalSetup: builds the control plane if needed and starts it once per
// run. Tests run in workers and find it through CLUSTER_STATE_FILE (workers
// inherit this process's env), see ./cluster.ts.
//
// jest loads this file natively, so its relative `.js` imports would not
// resolve to our `.ts` sources; tsx loads the real work instead.
import { tsImport } from 'tsx/esm/api';
import type * as Hooks from './global-hooks.js';

export default async function globalSetup(): Promise<void> {
  const hooks = (await tsImport('./global-hooks.ts', import.meta.url)) as typeof Hooks;
  process.env.CLUSTER_STATE_FILE = await hooks.setUp(process.pid);
}
