import { spawnSync } from 'node:child_process';
import { loadAllYaml } from '@kubernetes/client-node';

const KUBECTL_HINT =
  'kubectl is needed to check the manifests in deploy/ (it builds them with its built-in kustomize and asks the API server to validate them). ' +
  'Install any kubectl >= 1.27: apt-get install kubectl, or see https://kubernetes.io/docs/tasks/tools/#kubectl, and put it on PATH.';

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; a kubectl that is not installed throws with how to get it. Never skips. */
export function kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): KubectlResult {
  const r = spawnSync('kubectl', [...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []), ...args], {
    encoding: 'utf8',
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${KUBECTL_HINT}\n(${r.error.message})`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl, failing with its stderr unless it exits 0. */
export function kubectlOk(args: string[], opts: { kubeconfig?: string; input?: string } = {}): KubectlResult {
  const r = kubectl(args, opts);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl kustomize dir`: the objects it builds. */
export function kustomize(dir: string): K8sObject[] {
  return (loadAllYaml(kubectlOk(['kustomize', dir]).stdout) as K8sObject[]).filter((o) => o?.kind);
}

/**
 * `kubectl apply -k dir --server-side --dry-run=server --validate=strict`:
 * the API server validates every field (unknown ones are errors) and runs
 * admission, including Pod Security's warnings, without storing anything.
 * Returns the objects as the server would store them, and kubectl's stderr
 * (where the server's warnings go).
 */
export function serverDryRun(dir: string, kubeconfig: string): { objects: K8sObject[]; warnings: string[]; result: KubectlResult } {
  const result = kubectl(['apply', '-k', dir, '--server-side', '--dry-run=server', '--validate=strict', '-o', 'json'], { kubeconfig });
  const parsed = result.status === 0 ? (JSON.parse(result.stdout) as K8sObject & { items?: K8sObject[] }) : undefined;
  const objects = parsed ? (parsed.kind === 'List' ? (parsed.items ?? []) : [parsed]) : [];
  const warnings = result.stderr.split('\n').filter((l) => /^Warning:/.test(l));
  return { objects, warnings, result };
}
