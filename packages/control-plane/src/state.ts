import { readFileSync, writeFileSync, renameSync } from 'node:fs';

/** One long-running process the harness started, with what it takes to start it again. */
export interface ProcessInfo {
  pid: number;
  command: string;
  args: string[];
  logFile: string;
}

export type ProcessName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'watchdog';

/**
 * Everything a test worker (or `cluster:stop`, or the watchdog) needs to find
 * and control the control plane. globalSetup runs in jest's parent process and
 * tests run in workers, so this JSON file is how they share it.
 */
export interface ClusterState {
  version: 1;
  /** `harness`: processes we started; `external`: KUBECONFIG_TEST cluster we must not stop. */
  mode: 'harness' | 'external';
  /** Temp dir with PKI, etcd data and logs (harness) or generated kubeconfigs (external). */
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  apiserverPort?: number;
  /** PEM file of the CA that signs kube-apiserver-client certificates (the harness CA). */
  signerCaFile: string;
  /** PEM file of the CA kube-apiserver's serving certificate chains to. */
  serverCaFile: string;
  adminKubeconfig: string;
  csrbotKubeconfig: string;
  /** Where the binaries came from (harness), so a test can start a second control plane. */
  binDir?: string;
  /** Process that owns the run; the watchdog stops everything when it dies. */
  ownerPid?: number;
  processes: Partial<Record<ProcessName, ProcessInfo>>;
}

export function readState(file: string): ClusterState {
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** Atomic write: the watchdog may read at any moment. */
export function writeState(file: string, state: ClusterState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, file);
}
