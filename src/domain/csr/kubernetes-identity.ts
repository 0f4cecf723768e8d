import { SYSTEM_AUTHENTICATED } from '../kubernetes-rules.js';
import type { ParsedCsr } from './types.js';

export interface KubernetesIdentity {
  /** The CN, which Kubernetes' x509 authenticator takes as the username (undefined without CN). */
  username: string | undefined;
  /** The O values, as Kubernetes groups, plus system:authenticated that the API server adds. */
  groups: string[];
}

/** Who a certificate issued for this CSR would authenticate as. */
export function kubernetesIdentityOf(csr: ParsedCsr): KubernetesIdentity {
  const groups = [...csr.subject.organizations];
  if (!groups.includes(SYSTEM_AUTHENTICATED)) groups.push(SYSTEM_AUTHENTICATED);
  return { username: csr.subject.commonName, groups };
}
