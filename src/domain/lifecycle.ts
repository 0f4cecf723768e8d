/**
 * A request's life, and the only legal moves. Every change of state in Redis
 * goes through a compare-and-set on these, which is what makes a Slack
 * retry, a double click or a second replica harmless: only one caller wins a
 * transition, and only the winner announces it.
 */
export type RequestState =
  | 'pending' // CSR being created / card being posted / waiting for admins
  | 'approved' // approval written to the cluster (by us or outside Slack); waiting for the signer
  | 'issued' // certificate delivered to the requester
  | 'denied'
  | 'failed' // the signer refused, or issuance timed out
  | 'deleted'; // the CSR object disappeared before a decision

export const transitions: Record<RequestState, readonly RequestState[]> = {
  pending: ['approved', 'denied', 'failed', 'deleted'],
  // approved -> denied: Slack approved, but the CSR was denied in the cluster
  // (kubectl) before our approval was written; the cluster's word stands.
  approved: ['issued', 'denied', 'failed', 'deleted'],
  issued: [],
  denied: [],
  failed: [],
  deleted: [],
};

export function canTransition(from: RequestState, to: RequestState): boolean {
  return transitions[from].includes(to);
}

/** States a transition into `to` may start from. */
export function sourcesOf(to: RequestState): RequestState[] {
  return (Object.keys(transitions) as RequestState[]).filter((s) => transitions[s].includes(to));
}

export function isFinal(s: RequestState): boolean {
  return transitions[s].length === 0;
}

/** States in which a request waits for someone: admins (pending) or the signer (approved); the non-final ones. */
export const OPEN_STATES = ['pending', 'approved'] as const satisfies readonly RequestState[];
export type OpenState = (typeof OPEN_STATES)[number];

export function isOpen(s: RequestState): s is OpenState {
  return (OPEN_STATES as readonly RequestState[]).includes(s);
}

export interface SlackPerson {
  userId: string;
  teamId: string;
  /** Slack handle. */
  name: string;
  realName?: string;
  email?: string;
}

export interface Approval {
  userId: string;
  name: string;
  at: string;
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
  decision?: { by: string; at: string; reason?: string; outside?: boolean };
  failure?: string;
  issued?: IssuedCertificate;
  /** The requester has been told the cluster is slow; said once per request. */
  delayNotified?: boolean;
}

/** Kubernetes object names: lowercase RFC 1123, at most 253; we keep it short and readable. */
export function csrNameFor(requestId: string, username: string): string {
  // Dots become dashes too: a dot next to a dash, two dots, or a dot left at the
  // 40-character cut would make an empty or dash-edged DNS label, which the API refuses.
  const slug =
    username
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 40)
      .replace(/^-+|-+$/g, '') || 'user';
  return `csrbot-${slug}-${requestId.toLowerCase().slice(0, 12)}`;
}
