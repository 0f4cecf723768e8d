/**
 * When the local sandbox may start. Its personas are fake people with
 * one-click admin rights over a cluster, so it must never come up where
 * csrbot is meant to talk to a real workspace or run in production: any
 * Slack setting, NODE_ENV=production, or a pod's environment keeps it off.
 */

/** The address the sandbox and everything it starts listen on; never anything reachable from another host. */
export const SANDBOX_HOST = '127.0.0.1';

/** Why the sandbox may not start in this environment; empty when it may. */
export function sandboxRefusals(env: Readonly<Record<string, string | undefined>>): string[] {
  const reasons: string[] = [];
  const slack = Object.keys(env)
    .filter((k) => k.startsWith('SLACK_') && (env[k] ?? '').trim() !== '')
    .sort();
  if (slack.length > 0) reasons.push(`Slack is configured (${slack.join(', ')}): csrbot talks to that workspace, not to a sandbox`);
  if (env.NODE_ENV === 'production') reasons.push('NODE_ENV is production');
  if ((env.KUBERNETES_SERVICE_HOST ?? '') !== '') reasons.push('running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is set)');
  return reasons;
}

/** The sandbox's own settings: what it takes from the environment, and what it ignores on purpose. */
export interface SandboxEnvironment {
  /** A kubeconfig for a local kind/k3d cluster, accepted only when its server is on loopback; otherwise the sandbox's own control plane. */
  kubeconfig?: string;
  /** Settings present in the environment that the sandbox does not use, so the start line can say so. */
  ignored: string[];
}

/**
 * What the sandbox may take from the environment. KUBECONFIG and REDIS_URL
 * point at real infrastructure and are never used; only an explicit
 * SANDBOX_KUBECONFIG is (its server is checked to be on loopback when it is read).
 */
export function sandboxEnvironment(env: Readonly<Record<string, string | undefined>>): SandboxEnvironment {
  const ignored = ['KUBECONFIG', 'REDIS_URL'].filter((k) => (env[k] ?? '') !== '');
  const kubeconfig = env.SANDBOX_KUBECONFIG?.trim();
  return kubeconfig ? { kubeconfig, ignored } : { ignored };
}

/** Whether a Kubernetes API server URL is on this machine's loopback (the only external cluster the sandbox accepts). */
export function isLoopbackServer(server: string): boolean {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
