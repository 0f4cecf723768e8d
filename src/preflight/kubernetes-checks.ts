import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  KubernetesCsrApi,
  canI,
  describeAccess,
  kubeconfigProblem,
  loadKubeConfig,
  requiredAccess,
  selfSubjectReview,
  type Identity,
} from '../adapters/kubernetes/index.js';
import { CsrbotError, isCsrbotError } from '../domain/errors.js';
import { fromError, pass, skip, type CheckResult } from './check-result.js';
import { signerVerdict } from './signer-check.js';

export interface KubernetesCheckOptions {
  /** KUBECONFIG; unset: in-cluster, else ~/.kube/config. */
  kubeconfigPath?: string;
  /** ALLOWED_SIGNERS: csrbot approves for each. */
  signers: readonly string[];
  /** Per request. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Errors that mean "the API server is down or slow": csrbot starts anyway
 * (it waits for the cluster, readiness shows it). Everything else it can
 * answer with (401, 403, TLS trust, a kubeconfig that names no cluster) is a
 * setting to fix.
 */
const OUTAGE = new Set(['CLUSTER_UNREACHABLE', 'CLUSTER_TIMEOUT', 'CLUSTER_ERROR']);

export const isClusterOutage = (e: unknown): boolean => isCsrbotError(e) && OUTAGE.has(e.code);

function asCsrbotError(e: unknown): CsrbotError {
  return isCsrbotError(e) ? e : new CsrbotError('CLUSTER_ERROR', { status: 'n/a', message: e instanceof Error ? e.message : String(e) });
}

/** The kubectl command that binds deploy/rbac's ClusterRole to this identity. */
export function bindCommand(username: string | undefined): string {
  const sa = username && /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (sa) return `kubectl create clusterrolebinding csrbot-${sa[2]} --clusterrole=csrbot --serviceaccount=${sa[1]}:${sa[2]}`;
  if (username) return `kubectl create clusterrolebinding csrbot-${username.replace(/[^a-z0-9-]/g, '-')} --clusterrole=csrbot --user=${username}`;
  return 'add the identity csrbot runs as to the subjects of the ClusterRoleBinding csrbot';
}

/**
 * The Kubernetes half of the start-up checks: a kubeconfig that names one
 * cluster, who the API server says csrbot is (SelfSubjectReview), and a
 * SelfSubjectAccessReview for every permission csrbot uses.
 */
export async function checkKubernetes(o: KubernetesCheckOptions): Promise<{ results: CheckResult[]; kc?: KubeConfig; identity?: Identity }> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const path = o.kubeconfigPath;
  const notChecked = (why: string) => [skip('kubernetes-identity', `not checked: ${why}`), skip('kubernetes-permissions', `not checked: ${why}`)];

  let kc: KubeConfig;
  try {
    if (path) {
      // KUBECONFIG may be a list; loadKubeConfig reads the first, like this check.
      const first = path.split(delimiter).find(Boolean) ?? path;
      if (!existsSync(first)) throw new Error(`${first} does not exist`);
      readFileSync(first);
    }
    kc = loadKubeConfig({ kubeconfigPath: path });
  } catch (e) {
    const message = ((e as NodeJS.ErrnoException).code ?? '') === 'EACCES' ? 'it cannot be read (EACCES)' : (e as Error).message;
    return { results: [fromError('kubeconfig', new CsrbotError('KUBECONFIG_INVALID', { path, message })), ...notChecked('no usable kubeconfig')] };
  }
  const problem = kubeconfigProblem(kc, path ?? 'in-cluster');
  if (problem) return { results: [fromError('kubeconfig', problem), ...notChecked('no usable kubeconfig')] };
  const cluster = kc.getCurrentCluster()!;
  const results: CheckResult[] = [pass('kubeconfig', `context ${kc.getCurrentContext()}: cluster ${cluster.name} at ${cluster.server}`)];

  let identity: Identity | undefined;
  try {
    identity = await selfSubjectReview(kc, { timeoutMs });
    results.push(pass('kubernetes-identity', `csrbot is "${identity.username}" (groups: ${identity.groups.join(', ') || 'none'})`));
  } catch (e) {
    const err = asCsrbotError(e);
    if (isClusterOutage(err))
      return {
        results: [...results, fromError('kubernetes-identity', err, true), skip('kubernetes-permissions', 'not checked: the API server did not answer')],
        kc,
      };
    // Before Kubernetes 1.28 there is no SelfSubjectReview; the access reviews still tell what csrbot may do.
    if (err.code === 'CSR_NOT_FOUND')
      results.push({
        name: 'kubernetes-identity',
        status: 'warn',
        detail: new CsrbotError('CLUSTER_WHOAMI_UNSUPPORTED').userMessage,
        code: 'CLUSTER_WHOAMI_UNSUPPORTED',
      });
    else if (err.code === 'CLUSTER_FORBIDDEN') results.push({ name: 'kubernetes-identity', status: 'warn', detail: err.userMessage, code: err.code });
    // 401 and TLS: nothing else can work either.
    else return { results: [...results, fromError('kubernetes-identity', err), skip('kubernetes-permissions', 'not checked: see kubernetes-identity')], kc };
  }

  const questions = requiredAccess(o.signers);
  try {
    const answers = await Promise.all(questions.map((q) => canI(kc, q, { timeoutMs })));
    const missing = questions.filter((_, i) => !answers[i]).map(describeAccess);
    results.push(
      missing.length > 0
        ? fromError(
            'kubernetes-permissions',
            new CsrbotError('CLUSTER_PERMISSIONS_MISSING', { user: identity?.username ?? '(unknown)', missing, bind: bindCommand(identity?.username) }),
          )
        : pass('kubernetes-permissions', `has all ${questions.length} permissions csrbot uses: ${questions.map(describeAccess).join(', ')}`),
    );
  } catch (e) {
    const err = asCsrbotError(e);
    results.push(fromError('kubernetes-permissions', err, isClusterOutage(err)));
  }
  try {
    const { items } = await KubernetesCsrApi.create(kc).listManaged();
    results.push(signerVerdict(items, new Date(), o.signers?.[0]));
  } catch (e) {
    results.push(skip('kubernetes-signer', `not checked: csrbot's CSRs could not be listed (${asCsrbotError(e).code})`));
  }
  return { results, kc, identity };
}
