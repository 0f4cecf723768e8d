/**
 * Rules Kubernetes itself sets that csrbot applies in several places,
 * defined once so they cannot drift.
 */

/** The built-in signer for client certificates that authenticate to kube-apiserver; csrbot's default. */
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

/** The API refuses a CSR's expirationSeconds below this (10 minutes). */
export const MIN_EXPIRATION_SECONDS = 600;

/** The CSR cleaner deletes a CSR nobody decided 24 h after its creation (1 h after issuance, once decided). */
export const UNDECIDED_CSR_GC_SECONDS = 24 * 3600;

const SYSTEM_PREFIX = 'system:';

/** Users and groups in the reserved system: namespace belong to cluster components; csrbot never requests them. */
export function isSystemName(name: string): boolean {
  return name.toLowerCase().startsWith(SYSTEM_PREFIX);
}

/** Unrestricted cluster-admin: no RBAC rule can take it away. */
export const SYSTEM_MASTERS = `${SYSTEM_PREFIX}masters`;

/** The group kube-apiserver adds to every authenticated user. */
export const SYSTEM_AUTHENTICATED = `${SYSTEM_PREFIX}authenticated`;
