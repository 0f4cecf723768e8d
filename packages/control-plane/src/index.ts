export {
  adminKubeConfig,
  clientCertKubeConfig,
  clusterState,
  controlPlanePids,
  csrbotKubeConfig,
  kubeconfigPaths,
  pauseApiserver,
  resumeApiserver,
  signerCaPem,
  startApiserver,
  startPrivateControlPlane,
  stateFile,
  stopApiserver,
  stopPrivateControlPlane,
  unreachableKubeConfig,
} from './cluster.js';
export type { ClusterState } from './cluster.js';
export { applyKustomizationFiles, applyManifest, kustomizationFiles } from './apply.js';
export { ensureBinaries, goInstallHint } from './build.js';
export { CSRBOT_USER, startControlPlane, stopControlPlane } from './launcher.js';
export type { StartOptions } from './launcher.js';
export { makePki } from './pki.js';
export type { Pki } from './pki.js';
export { isAlive } from './processes.js';
export { repoRoot } from './paths.js';
export { freePort } from './free-port.js';
export { REDIS_HOST, answersPing, missingRedisBinaries, redisInstallHint, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
