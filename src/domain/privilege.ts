/**
 * What a Kubernetes identity would be able to do, and the one definition of
 * "privileged" that every decision uses (the card's permission preview,
 * quorum for cluster-admin-level requests, no auto-renewal for privileged
 * identities). The abilities are checked cluster-wide with
 * SubjectAccessReview by an adapter; namespaced grants are invisible to that
 * check, so "none" means "none cluster-wide".
 */
import { isSystemName, SYSTEM_MASTERS } from './kubernetes-rules.js';

/** The sensitive abilities csrbot checks for, most dangerous first. */
export const SENSITIVE_ABILITIES = [
  'cluster-admin', // * on * in every API group
  'approve-signers', // approve on certificates.k8s.io/signers
  'update-csr-approval', // update certificatesigningrequests/approval
  'impersonate', // impersonate users, groups or service accounts
  'escalate-or-bind', // escalate or bind on (cluster)roles
  'read-secrets', // get/list secrets
  'exec-into-pods', // create pods/exec
  'create-pods', // create pods (runs any service account's token)
  'nodes-proxy', // get/create nodes/proxy (kubelet API)
] as const;

export type Ability = (typeof SENSITIVE_ABILITIES)[number];

/** The abilities that, together, let someone mint credentials like csrbot does. */
export const CSRBOT_POWERS: readonly Ability[] = ['approve-signers', 'update-csr-approval'];

export interface Identity {
  username: string;
  groups: readonly string[];
}

/** The outcome of checking an identity's sensitive abilities. */
export interface PermissionPreview {
  identity: Identity;
  /** Which sensitive abilities the identity holds cluster-wide, in SENSITIVE_ABILITIES order. */
  abilities: readonly Ability[];
}

/**
 * Privileged: needs people to approve it, every time. Any sensitive ability,
 * or a name in the system: namespace (which the CSR checks refuse anyway).
 */
export function isPrivileged(p: PermissionPreview): boolean {
  if (p.abilities.length > 0) return true;
  return isSystemName(p.identity.username) || p.identity.groups.some((g) => g === SYSTEM_MASTERS || isSystemName(g));
}

/** Cluster-admin level: the default quorum for these is 2. */
export function isClusterAdminLevel(p: PermissionPreview): boolean {
  return p.abilities.includes('cluster-admin');
}

/** Would hold the powers csrbot itself uses to approve certificates. */
export function holdsCsrbotPowers(p: PermissionPreview): boolean {
  return p.abilities.includes('cluster-admin') || CSRBOT_POWERS.every((a) => p.abilities.includes(a));
}
