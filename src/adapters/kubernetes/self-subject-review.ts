import { AuthenticationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { requestDeadline } from './request-deadline.js';
import { toCsrbotError } from './to-csrbot-error.js';

export interface Identity {
  username: string;
  groups: string[];
  uid?: string;
}

/** Who the API server thinks the kubeconfig's credentials are (kubectl auth whoami). */
export async function selfSubjectReview(kc: KubeConfig, opts: { timeoutMs?: number } = {}): Promise<Identity> {
  const api = kc.makeApiClient(AuthenticationV1Api);
  try {
    const r = await api.createSelfSubjectReview(
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
      requestDeadline(opts.timeoutMs ?? 10_000),
    );
    const u = r.status?.userInfo;
    return { username: u?.username ?? '', groups: u?.groups ?? [], ...(u?.uid ? { uid: u.uid } : {}) };
  } catch (e) {
    throw toCsrbotError(e, { operation: 'whoami', server: kc.getCurrentCluster()?.server, verb: 'create', resource: 'selfsubjectreviews' });
  }
}
