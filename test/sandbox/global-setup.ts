// jest globalSetup of the sandbox project: the sandbox builds its control
// plane on first use, which takes minutes on a cold cache; build (or find)
// the binaries here, once, before any test's timeout is running. They are
// the same cached binaries the cluster project uses.
//
// jest loads this file natively, so the package's `.js` imports of `.ts`
// sources go through tsx.
import { tsImport } from 'tsx/esm/api';
import type * as ControlPlane from '../../packages/control-plane/src/build.js';

export default async function globalSetup(): Promise<void> {
  const build = (await tsImport('../../packages/control-plane/src/build.ts', import.meta.url)) as typeof ControlPlane;
  await build.ensureBinaries();
}
