import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyKustomizationFiles, applyManifest } from './apply.js';
import { rbacDir, testUserRbacManifest, watchdogScript } from './paths.js';
import { makePki, writeTokenKubeconfig } from './pki.js';
import { isAlive, spawnLogged, stopProcess, tail } from './processes.js';
import { readState, writeState } from './state.js';
import type { ClusterState, ProcessName } from './state.js';
import { freePort } from './free-port.js';

/** The `csrbot` identity in the harness token file; rbac-test-user.yaml binds it to the ClusterRole in deploy/rbac. */
export const CSRBOT_USER = 'csrbot';

/** GET over TLS; resolves with the status code (0 when nothing answers). */
export function httpsStatus(url: string, opts: { ca?: string; token?: string; timeoutMs?: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        ca: opts.ca,
        rejectUnauthorized: opts.ca !== undefined,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: opts.timeoutMs ?? 2_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

async function waitFor(what: string, pid: number, logFile: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (!isAlive(pid)) throw new Error(`${what} exited while starting. Last lines of ${logFile}:\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms. Last lines of ${logFile}:\n${tail(logFile)}`);
    await sleep(250);
  }
}

export interface StartOptions {
  /** Directory holding etcd, kube-apiserver, kube-controller-manager. */
  binDir: string;
  /** When this pid dies, a watchdog stops the control plane. Default: none (cluster:start). */
  ownerPid?: number;
  /** Readiness timeout per component in ms. Default 120000. */
  timeoutMs?: number;
  /** Directory for PKI, etcd data, logs and state.json; must not exist. Default: a new temp dir. */
  dir?: string;
}

/** The admin token is read back from the state dir by helpers that need raw HTTP. */
export function adminToken(state: ClusterState): string {
  return readFileSync(path.join(state.dir, 'admin.token'), 'utf8').trim();
}

/** Waits until kube-apiserver's /readyz says ok. */
export async function waitApiserverReady(state: ClusterState, timeoutMs = 120_000): Promise<void> {
  const p = state.processes['kube-apiserver'];
  if (!p) throw new Error('no kube-apiserver in state');
  const ca = readFileSync(state.serverCaFile, 'utf8');
  const token = adminToken(state);
  await waitFor('kube-apiserver', p.pid, p.logFile, async () => (await httpsStatus(`${state.server}/readyz`, { ca, token })).status === 200, timeoutMs);
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager (CSR controllers
 * only) on free 127.0.0.1 ports, applies deploy/rbac (bound to the csrbot
 * token user by rbac-test-user.yaml) and writes admin/csrbot kubeconfigs.
 * Returns the path of the state file. On failure everything started so far
 * is stopped again.
 */
export async function startControlPlane(opts: StartOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'csrbot-cluster-'));
  if (opts.dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stateFile = path.join(dir, 'state.json');
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  const pki = makePki(dir);
  const caPem = readFileSync(pki.caCert, 'utf8');
  const [etcdPort, peerPort, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const bin = (n: string) => path.join(opts.binDir, n);

  const tokens = { admin: randomBytes(16).toString('hex'), csrbot: randomBytes(16).toString('hex'), kcm: randomBytes(16).toString('hex') };
  writeFileSync(path.join(dir, 'admin.token'), tokens.admin, { mode: 0o600 });
  // The controller manager runs with one identity for all controllers
  // (--use-service-account-credentials=false), so it gets system:masters
  // rather than a hand-assembled role that might miss a signer permission.
  writeFileSync(
    path.join(dir, 'tokens.csv'),
    [
      `${tokens.admin},admin,uid-admin,"system:masters"`,
      `${tokens.csrbot},${CSRBOT_USER},uid-csrbot`,
      `${tokens.kcm},system:kube-controller-manager,uid-kcm,"system:masters"`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  const adminKubeconfig = path.join(dir, 'admin.kubeconfig');
  const csrbotKubeconfig = path.join(dir, 'csrbot.kubeconfig');
  const kcmKubeconfig = path.join(dir, 'kcm.kubeconfig');
  writeTokenKubeconfig(adminKubeconfig, { server, caPem, user: 'admin', token: tokens.admin });
  writeTokenKubeconfig(csrbotKubeconfig, { server, caPem, user: CSRBOT_USER, token: tokens.csrbot });
  writeTokenKubeconfig(kcmKubeconfig, { server, caPem, user: 'kube-controller-manager', token: tokens.kcm });

  const state: ClusterState = {
    version: 1,
    mode: 'harness',
    dir,
    server,
    apiserverPort: apiPort,
    binDir: opts.binDir,
    signerCaFile: pki.caCert,
    serverCaFile: pki.caCert,
    adminKubeconfig,
    csrbotKubeconfig,
    ownerPid: opts.ownerPid,
    processes: {},
  };
  const save = () => writeState(stateFile, state);
  save();

  try {
    if (opts.ownerPid !== undefined) {
      state.processes.watchdog = spawnLogged(process.execPath, [watchdogScript, stateFile, String(opts.ownerPid)], path.join(logs, 'watchdog.log'));
      save();
    }

    const etcd = spawnLogged(
      bin('etcd'),
      ['--data-dir', path.join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--listen-peer-urls', `http://127.0.0.1:${peerPort}`],
      path.join(logs, 'etcd.log'),
    );
    state.processes.etcd = etcd;
    save();
    await waitFor(
      'etcd',
      etcd.pid,
      etcd.logFile,
      async () => {
        const r = await fetch(`http://127.0.0.1:${etcdPort}/health`).catch(() => undefined);
        return r?.ok === true;
      },
      timeoutMs,
    );

    state.processes['kube-apiserver'] = spawnLogged(
      bin('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        // Admission: the defaults, which include CertificateApproval,
        // CertificateSigning and CertificateSubjectRestriction.
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // The reconciler refuses a loopback advertise address; nothing here
        // needs the in-cluster `kubernetes` Service endpoints.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=1',
      ],
      path.join(logs, 'kube-apiserver.log'),
    );
    save();
    await waitApiserverReady(state, timeoutMs);

    const kcm = spawnLogged(
      bin('kube-controller-manager'),
      [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        // clusterrole-aggregation fills view/edit/admin with rules; without it the permission preview of them proves nothing.
        '--controllers=csrsigning,csrapproving,csrcleaner,clusterrole-aggregation',
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        '--cluster-signing-duration=24h',
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--cert-dir=${path.join(dir, 'kcm-certs')}`,
        '--v=1',
      ],
      path.join(logs, 'kube-controller-manager.log'),
    );
    state.processes['kube-controller-manager'] = kcm;
    save();
    await waitFor(
      'kube-controller-manager',
      kcm.pid,
      kcm.logFile,
      async () => (await httpsStatus(`https://127.0.0.1:${kcmPort}/healthz`, {})).status === 200,
      timeoutMs,
    );

    await applyKustomizationFiles(adminKubeconfig, rbacDir);
    await applyManifest(adminKubeconfig, testUserRbacManifest);
    return stateFile;
  } catch (e) {
    await stopControlPlane(stateFile, { keepDir: true }).catch(() => undefined);
    throw new Error(`${(e as Error).message}\n(control plane files kept in ${dir})`, { cause: e });
  }
}

const stopOrder: ProcessName[] = ['watchdog', 'kube-controller-manager', 'kube-apiserver', 'etcd'];

/**
 * Stops every process recorded in the state file (re-read, so an apiserver a
 * test restarted is included) and removes the temp dir. Returns the pids that
 * were stopped. Throws if one survives.
 */
export async function stopControlPlane(stateFile: string, opts: { keepDir?: boolean } = {}): Promise<number[]> {
  if (!existsSync(stateFile)) return [];
  const state = readState(stateFile);
  if (state.mode !== 'harness') return [];
  const stopped: number[] = [];
  for (const name of stopOrder) {
    const p = state.processes[name];
    if (!p) continue;
    await stopProcess(p.pid);
    stopped.push(p.pid);
  }
  const survivors = stopped.filter(isAlive);
  if (survivors.length) throw new Error(`control plane processes still running: ${survivors.join(', ')}`);
  if (!opts.keepDir && !process.env.CLUSTER_KEEP_DIR) rmSync(state.dir, { recursive: true, force: true });
  return stopped;
}
