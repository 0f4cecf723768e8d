/** Domain-shaped views of CertificateSigningRequests; no SDK types leak past the adapter. */

/** The signer csrbot asks for: client certificates that kube-apiserver trusts. */
export { CLIENT_SIGNER } from '../../domain/kubernetes-rules.js';
/** Every CSR csrbot creates carries this label, so watches can select only ours. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'csrbot';

/**
 * Where a CSR stands, as the cluster records it:
 * pending (no decision), approved (not yet signed), issued (certificate present),
 * denied, failed (approved but the signer refused, see failureMessage).
 */
export type CsrState = 'pending' | 'approved' | 'denied' | 'failed' | 'issued';

export interface CsrCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** ISO 8601 */
  lastUpdateTime?: string;
}

export interface CsrView {
  name: string;
  uid: string;
  state: CsrState;
  signerName: string;
  usages: string[];
  expirationSeconds?: number;
  /** Who created the CSR, as the API server authenticated them. */
  requestedBy?: string;
  /** PEM of the issued certificate once state is 'issued'. */
  certificatePem?: string;
  /** The signer's message when state is 'failed'. */
  failureMessage?: string;
  conditions: CsrCondition[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion: string;
  /** ISO 8601 */
  createdAt?: string;
}

export interface CreateCsrInput {
  name: string;
  /** PEM "CERTIFICATE REQUEST". */
  csrPem: string;
  /** Default ['client auth', 'digital signature']. */
  usages?: string[];
  /** Requested validity; the signer caps it (--cluster-signing-duration). */
  expirationSeconds?: number;
  /** Default kubernetes.io/kube-apiserver-client. */
  signerName?: string;
  /** Merged with app.kubernetes.io/managed-by=csrbot. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DecisionInput {
  /** Machine-readable CamelCase reason, e.g. "CsrbotApproved". */
  reason: string;
  /** Human-readable; name the approver, e.g. "approved in Slack by @alice (U123)". */
  message: string;
}

export type DecisionOutcome = 'approved' | 'denied' | 'already-approved' | 'already-denied';

export interface DecisionResult {
  outcome: DecisionOutcome;
  csr: CsrView;
}

export type CsrWatchEvent =
  | { type: 'added' | 'modified' | 'deleted'; csr: CsrView }
  /** The watch could not resume from its resourceVersion; it restarted and replays every current CSR as 'added'. */
  | { type: 'resync' };

export interface WatchOptions {
  /** Default app.kubernetes.io/managed-by=csrbot. Pass '' for all CSRs. */
  labelSelector?: string;
  /** e.g. metadata.name=<csr>: watch one CSR instead of all that match the labels. */
  fieldSelector?: string;
  /** Start after this resourceVersion (from list()); default: current state replayed as 'added'. */
  resourceVersion?: string;
  /** Called when the watch connection fails; the watch keeps reconnecting until stopped. */
  onError?: (error: Error) => void;
}
