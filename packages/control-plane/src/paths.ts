import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root (this file lives in packages/control-plane/src/): the harness applies the repo's deploy/rbac and keeps .cluster/ there. */
export const repoRoot = path.resolve(here, '../../..');
/** The Go module that builds the control plane binaries. */
export const goModuleDir = path.resolve(here, '..', 'go');
/** Where `npm run cluster:start` keeps kubeconfigs and its state file (git-ignored). */
export const dotCluster = path.join(repoRoot, '.cluster');
/** The state file of the `npm run cluster:start` control plane. */
export const cliStateFile = path.join(dotCluster, 'state.json');
/** The RBAC we ship (a kustomization of plain files); the harness applies it so tests run under it. */
export const rbacDir = path.join(repoRoot, 'deploy', 'rbac');
/** Test-only: binds the shipped ClusterRole to the harness's `csrbot` token user. */
export const testUserRbacManifest = path.join(here, 'rbac-test-user.yaml');
/** The watchdog that stops the control plane when its owner process dies. */
export const watchdogScript = path.join(here, 'watchdog.mjs');
