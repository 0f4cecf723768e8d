import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface LoadKubeConfigOptions {
  /** Explicit kubeconfig file. Default: $KUBECONFIG, else in-cluster, else ~/.kube/config. */
  kubeconfigPath?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

const inClusterTokenFile = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Finds the cluster the way kubectl users expect: an explicit path, then
 * KUBECONFIG, then the pod's ServiceAccount, then ~/.kube/config.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const env = opts.env ?? process.env;
  const kc = new KubeConfig();
  const explicit = opts.kubeconfigPath ?? env.KUBECONFIG;
  if (explicit) {
    // KUBECONFIG may be a path list; kubectl merges them, loadFromFile takes the first.
    const first = explicit.split(path.delimiter).find(Boolean) ?? explicit;
    kc.loadFromFile(first);
    return kc;
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(inClusterTokenFile)) {
    kc.loadFromCluster();
    return kc;
  }
  const home = path.join(os.homedir(), '.kube', 'config');
  if (existsSync(home)) {
    kc.loadFromFile(home);
    return kc;
  }
  throw new Error(
    'No Kubernetes configuration found. To resolve, set KUBECONFIG to a kubeconfig file, run csrbot in a pod with the csrbot ServiceAccount (kubectl apply -k deploy/rbac), or create ~/.kube/config.',
  );
}
