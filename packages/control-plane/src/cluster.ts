/**
 * What integration tests import to reach the control plane started by jest's
 * global setup (or the KUBECONFIG_TEST cluster).
 *
 *   const kc = csrbotKubeConfig();            // runs under deploy/rbac's ClusterRole
 *   const admin = adminKubeConfig();          // system:masters
 *   await stopApiserver(); ...; await startApiserver();   // outage tests
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, stopControlPlane, waitApiserverReady } from './launcher.js';
import { isAlive, spawnLogged, stopProcess } from './processes.js';
import { readState, writeState } from './state.js';
import type { ClusterState } from './state.js';

export type { ClusterState } from './state.js';

/** Path of the state file written by global setup. */
export function stateFile(): string {
  const f = process.env.CLUSTER_STATE_FILE;
  if (!f) throw new Error('CLUSTER_STATE_FILE is not set: run this test through jest (the cluster project starts the control plane in its globalSetup)');
  return f;
}

/** The state of this run's control plane, or of another one given its state file. */
export function clusterState(file: string = stateFile()): ClusterState {
  return readState(file);
}

/** Kubeconfig file paths: admin (system:masters) and csrbot (bound only to deploy/rbac's ClusterRole). */
export function kubeconfigPaths(): { admin: string; csrbot: string } {
  const s = clusterState();
  return { admin: s.adminKubeconfig, csrbot: s.csrbotKubeconfig };
}

function load(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export const adminKubeConfig = (): KubeConfig => load(clusterState().adminKubeconfig);
export const csrbotKubeConfig = (): KubeConfig => load(clusterState().csrbotKubeconfig);

/** PEM of the CA that signs kube-apiserver-client certificates. */
export function signerCaPem(): string {
  return readFileSync(clusterState().signerCaFile, 'utf8');
}

/** A KubeConfig for the same API server that authenticates with a client certificate. */
export function clientCertKubeConfig(opts: { certPem: string; keyPem: string; name?: string }): KubeConfig {
  const s = clusterState();
  const kc = new KubeConfig();
  const name = opts.name ?? 'client-cert';
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: s.server, caData: Buffer.from(readFileSync(s.serverCaFile)).toString('base64'), skipTLSVerify: false }],
    users: [{ name, certData: Buffer.from(opts.certPem).toString('base64'), keyData: Buffer.from(opts.keyPem).toString('base64') }],
    contexts: [{ name, cluster: 'test', user: name }],
    currentContext: name,
  });
  return kc;
}

/**
 * A KubeConfig for an address where nothing listens (connection refused).
 * Not port 1 or 9: fetch (undici, under client-node 2) refuses those "bad
 * ports" without connecting. Nothing listens on privileged port 2.
 */
export function unreachableKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'nowhere', server: 'https://127.0.0.1:2', skipTLSVerify: true }],
    users: [{ name: 'nobody', token: 'x' }],
    contexts: [{ name: 'nowhere', cluster: 'nowhere', user: 'nobody' }],
    currentContext: 'nowhere',
  });
  return kc;
}

/** Pids of every control-plane process this run started (empty for KUBECONFIG_TEST). */
export function controlPlanePids(file: string = stateFile()): number[] {
  return Object.values(clusterState(file).processes).flatMap((p) => (p ? [p.pid] : []));
}

function requireHarness(file: string): ClusterState {
  const s = clusterState(file);
  if (s.mode !== 'harness') throw new Error('this needs the harness control plane, not KUBECONFIG_TEST');
  return s;
}

/** Stops kube-apiserver (etcd and the controllers keep running). */
export async function stopApiserver(file: string = stateFile()): Promise<void> {
  const s = requireHarness(file);
  const p = s.processes['kube-apiserver'];
  if (p) await stopProcess(p.pid);
}

/**
 * Starts kube-apiserver again with the exact same command line (same port,
 * same data), records the new pid so teardown stops it, and waits for /readyz.
 */
export async function startApiserver(file: string = stateFile()): Promise<void> {
  const s = requireHarness(file);
  const p = s.processes['kube-apiserver'];
  if (!p) throw new Error('no kube-apiserver in state');
  if (!isAlive(p.pid)) {
    s.processes['kube-apiserver'] = spawnLogged(p.command, p.args, p.logFile);
    writeState(file, s);
  }
  await waitApiserverReady(s);
}

/** SIGSTOP kube-apiserver: it keeps its port open but answers nothing (timeouts). */
export function pauseApiserver(file: string = stateFile()): void {
  const p = requireHarness(file).processes['kube-apiserver'];
  if (p) process.kill(-p.pid, 'SIGSTOP');
}

export function resumeApiserver(file: string = stateFile()): void {
  const p = requireHarness(file).processes['kube-apiserver'];
  if (p) process.kill(-p.pid, 'SIGCONT');
}

/**
 * Starts a second, private control plane (same binaries) for tests that must
 * break it. ownerPid: when that process dies the watchdog stops it.
 * Stop it with stopPrivateControlPlane.
 */
export async function startPrivateControlPlane(opts: { ownerPid?: number } = {}): Promise<string> {
  const binDir = requireHarness(stateFile()).binDir;
  if (!binDir) throw new Error('state has no binDir');
  return startControlPlane({ binDir, ownerPid: opts.ownerPid ?? process.pid });
}

export const stopPrivateControlPlane = (file: string): Promise<number[]> => stopControlPlane(file);
