import type { KubeConfig } from '@kubernetes/client-node';
import { CsrbotError } from '../../domain/errors.js';

/**
 * What stops a loaded kubeconfig from naming one cluster and one user, as a
 * coded error; undefined when it is usable. client-node itself would only
 * say "No active cluster!" at the first request.
 */
export function kubeconfigProblem(kc: KubeConfig, path: string): CsrbotError | undefined {
  const current = kc.getCurrentContext();
  const contexts = kc.getContexts().map((c) => c.name);
  if (!current) return new CsrbotError('KUBECONFIG_NO_CONTEXT', { path, contexts: contexts.length > 0 ? contexts : undefined });
  const context = kc.getContextObject(current);
  const bad = (problem: string) => new CsrbotError('KUBECONFIG_BAD_CONTEXT', { path, context: current, problem });
  if (!context) return bad(`is not defined in the file${contexts.length > 0 ? ` (contexts: ${contexts.join(', ')})` : ''}`);
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) return bad(`names the cluster "${context.cluster}", which the file does not define`);
  if (!cluster.server) return bad(`uses the cluster "${cluster.name}", which has no server`);
  if (context.user && !kc.getUser(context.user)) return bad(`names the user "${context.user}", which the file does not define`);
  return undefined;
}
