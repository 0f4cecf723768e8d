/**
 * A request's life, and the only legal moves. Every change of state in Redis
 * goes through a compare-and-set on these, which is what makes a Slack
 * retry, a double click or a second replica harmless: only one caller wins a
 * transition, and only the winner announces it.
 */
import type { Details, ErrorCode } from './errors.js';
import type { Ability } from './privilege.js';

export type RequestState =
  | 'pending' // CSR being created / card being posted / waiting for admins
  | 'approving' // Slack reached the quorum; the Approved condition is being written to the cluster
  | 'denying' // an admin denied in Slack; the Denied condition is being written to the cluster
  | 'approved' // the CSR is Approved in the cluster (by csrbot or outside Slack); waiting for the signer
  | 'issued' // certificate delivered to the requester
  | 'denied' // the CSR is Denied in the cluster (by csrbot or outside Slack)
  | 'failed' // the signer refused, or issuance timed out
  | 'deleted' // the CSR object disappeared before a certificate was issued
  | 'expired'; // nobody decided before Kubernetes garbage-collects an undecided CSR (24 h): csrbot closed the card

/**
 * A Slack decision and the cluster's can cross: kubectl may decide the CSR
 * while ours is being written. Kubernetes keeps the first, so approving may
 * end denied and denying may end approved: the cluster's word stands.
 */
export const transitions: Record<RequestState, readonly RequestState[]> = {
  pending: ['approving', 'denying', 'approved', 'denied', 'failed', 'deleted', 'expired'],
  approving: ['approved', 'denied', 'deleted', 'failed'], // failed: the CSR was swapped under its name after the card (CSR_CONTENT_CHANGED)
  denying: ['denied', 'approved', 'deleted'],
  approved: ['issued', 'failed', 'deleted'],
  issued: [],
  denied: [],
  failed: [],
  deleted: [],
  expired: [],
};

export function canTransition(from: RequestState, to: RequestState): boolean {
  return transitions[from].includes(to);
}

/**
 * Where a request that is not final waits, as the metrics count it: for the
 * admins (pending), or for the cluster (approved: a decision being written,
 * or the signer).
 */
export const OPEN_STATES = ['pending', 'approved'] as const satisfies readonly RequestState[];
export type OpenState = (typeof OPEN_STATES)[number];

/** The bucket a state is counted in; undefined for a final state. */
export function openBucket(s: RequestState): OpenState | undefined {
  if (s === 'pending') return 'pending';
  if (s === 'approving' || s === 'denying' || s === 'approved') return 'approved';
  return undefined;
}

export interface SlackPerson {
  userId: string;
  teamId: string;
  /** Slack handle. */
  name: string;
  realName?: string;
  email?: string;
  /** A bot or app user (users.info is_bot / is_app_user). */
  isBot?: boolean;
  /** Deactivated in Slack. */
  deleted?: boolean;
  /** A guest: multi-channel (is_restricted) or single-channel (is_ultra_restricted). */
  guest?: 'multi-channel' | 'single-channel';
}

/** One admin's Approve click. The id is the record; the name is kept only to render cards and the cluster's condition message. */
export interface Approval {
  userId: string;
  name: string;
  at: string;
  /** The approver's own Kubernetes username under the username rule, when it yields one: two accounts of one identity count once. */
  kubernetesUsername?: string;
}

/** Approvals by distinct people: by Kubernetes identity where known, else by Slack id. */
export function distinctApprovals(approvals: readonly Approval[]): Approval[] {
  const seen = new Set<string>();
  return approvals.filter((a) => {
    const key = a.kubernetesUsername !== undefined ? `k8s:${a.kubernetesUsername.toLowerCase()}` : `slack:${a.userId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Someone who decided in Slack: compared by id, the name only rendered. */
export interface Decider {
  userId: string;
  name: string;
}

export interface Decision {
  /** The Slack deciders (the approvers at the quorum, or the denier); empty when the cluster decided outside Slack. */
  by: Decider[];
  /** Set when the decision was made outside Slack (kubectl, another controller): the cluster's reason and message. */
  outside?: string;
  at: string;
  /** The denier's reason, or the outside decision's message. */
  reason?: string;
  /** Set when csrbot approved a renewal itself: the rule that allowed it. */
  auto?: string;
}

/** What the admin card and the kubeconfig need to know about the CSR; public material only. */
export interface CsrSummary {
  pem: string;
  commonName: string;
  /** openssl -subj form, e.g. /CN=jane/O=dev-team. */
  subject?: string;
  groups: string[];
  keyDescription: string; // e.g. "RSA 2048", "ECDSA P-256", "Ed25519"
  fingerprint: string; // SHA-256 of the SPKI
  warnings: string[];
  /**
   * What the certificate's identity (username, groups, system:authenticated)
   * could do cluster-wide when it was checked; absent when not checked.
   */
  permissions?: { abilities: Ability[] };
}

export interface IssuedCertificate {
  serial: string;
  fingerprint: string; // SHA-256 of the certificate DER
  notBefore: string;
  notAfter: string;
  subject: string;
  username: string;
  groups: string[];
  /** Slack user id of the requester, for reminders and renewal. */
  requesterId?: string;
  /** Slack user ids of the approvers (empty when approved outside Slack). */
  approvers?: string[];
}

export interface CertificateRequest {
  id: string;
  csrName: string;
  /** metadata.uid of the CSR csrbot created, recorded at creation: approval writes to that object only. */
  csrUid?: string;
  state: RequestState;
  requester: SlackPerson;
  kubernetesUsername: string;
  csr: CsrSummary;
  signerName: string;
  lifetimeSeconds: number;
  reason?: string;
  createdAt: string;
  /** Where the requester talks to the bot. */
  dmChannel?: string;
  card?: { channel: string; ts: string };
  approvals: Approval[];
  quorum: number;
  decision?: Decision;
  /** Why the request failed, as a coded error: each reader gets the text the error table allows them. */
  failure?: { code: ErrorCode; details: Details };
  issued?: IssuedCertificate;
  /**
   * The signer's certificate (public), captured the first time csrbot sees it and
   * kept until it is delivered: Kubernetes deletes the CSR an hour after issuance,
   * and a delivery held up longer must still complete.
   */
  certificatePem?: string;
  /** Serial of the certificate this request renews (Renew in a reminder, /cert list). */
  renewalOf?: string;
}

/**
 * Kubernetes object names: lowercase RFC 1123, at most 253; we keep it short and readable.
 * `nonce` (lowercase hex, made once per request and stored with it) makes the name unpredictable:
 * the request id derives from what the requester sees, so without it they could create the name first.
 */
export function csrNameFor(requestId: string, username: string, nonce?: string): string {
  // Dots become dashes too: a dot next to a dash, two dots, or a dot left at the
  // 40-character cut would make an empty or dash-edged DNS label, which the API refuses.
  const slug =
    username
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 40)
      .replace(/^-+|-+$/g, '') || 'user';
  return `csrbot-${slug}-${requestId.toLowerCase().slice(0, 12)}${nonce ? `-${nonce.toLowerCase().replace(/[^a-z0-9]/g, '')}` : ''}`;
}
