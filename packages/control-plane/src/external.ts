import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { applyKustomizationFiles } from './apply.js';
import { rbacDir } from './paths.js';
import { writeTokenKubeconfig } from './pki.js';
import { writeState } from './state.js';
import type { ClusterState } from './state.js';

/**
 * KUBECONFIG_TEST mode: use a disposable cluster someone else runs (kind, ...).
 * Applies deploy/rbac with the given (admin) kubeconfig and gives the
 * tests a csrbot kubeconfig holding a short-lived token of the csrbot
 * ServiceAccount, so the suite still runs under the RBAC we ship.
 * Assumes the cluster CA also signs kube-apiserver-client certificates (true
 * for kubeadm and kind).
 */
export async function useExternalCluster(adminKubeconfig: string): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`KUBECONFIG_TEST=${adminKubeconfig} has no current cluster`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'csrbot-external-'));
  const caPem = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile
      ? (await import('node:fs')).readFileSync(cluster.caFile, 'utf8')
      : undefined;
  if (!caPem) throw new Error(`KUBECONFIG_TEST=${adminKubeconfig}: the cluster entry needs certificate-authority(-data)`);
  const caFile = path.join(dir, 'ca.crt');
  writeFileSync(caFile, caPem);

  await applyKustomizationFiles(adminKubeconfig, rbacDir);
  const core = kc.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: 'csrbot',
    namespace: 'csrbot',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 4 * 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error('TokenRequest for csrbot/csrbot returned no token');
  const csrbotKubeconfig = path.join(dir, 'csrbot.kubeconfig');
  writeTokenKubeconfig(csrbotKubeconfig, { server: cluster.server, caPem, user: 'csrbot', token });

  const state: ClusterState = {
    version: 1,
    mode: 'external',
    dir,
    server: cluster.server,
    signerCaFile: caFile,
    serverCaFile: caFile,
    adminKubeconfig: path.resolve(adminKubeconfig),
    csrbotKubeconfig,
    processes: {},
  };
  const stateFile = path.join(dir, 'state.json');
  writeState(stateFile, state);
  return stateFile;
}
