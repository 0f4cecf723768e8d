/**
 * Coded errors. Every failure a user or admin can see carries a stable `code`;
 * the one table below turns a code (plus the error's details) into the text a
 * person reads: what is wrong, and how to fix it.
 *
 * Areas own their section of the table. Keep codes SCREAMING_SNAKE and stable:
 * tests, metrics and logs refer to them.
 */
export type Details = Record<string, string | number | boolean | string[] | undefined>;

export class CsrbotError extends Error {
  readonly code: ErrorCode;
  readonly details: Details;
  constructor(code: ErrorCode, details: Details = {}, options?: { cause?: unknown }) {
    super(`${code}: ${describeError(code, details)}`, options);
    this.name = 'CsrbotError';
    this.code = code;
    this.details = details;
  }
  /** The text a person sees (Slack message, CLI output). */
  get userMessage(): string {
    return describeError(this.code, this.details);
  }
}

export function isCsrbotError(e: unknown): e is CsrbotError {
  return e instanceof CsrbotError;
}

type Render = (d: Details) => string;
const str = (v: unknown, fallback = ''): string => (v === undefined ? fallback : Array.isArray(v) ? v.join(', ') : String(v));

/** code -> user-facing text. The only place such text is written. */
const messages = {
  // ---- CSR intake (src/domain/csr) -------------------------------------
  // (the intake section is filled in by the CSR parsing work)

  // ---- Kubernetes (src/adapters/kubernetes) -----------------------------
  CLUSTER_UNREACHABLE: (d) =>
    `The Kubernetes API at ${str(d.server, 'the configured server')} could not be reached (${str(d.reason, 'no answer')}). ` +
    'csrbot keeps retrying; check KUBECONFIG and that the API server is up.',
  CLUSTER_FORBIDDEN: (d) =>
    `The Kubernetes API refused csrbot: ${str(d.message)}. ` +
    `Grant the missing permission (${str(d.verb, '?')} on ${str(d.resource, '?')}) with deploy/rbac.yaml: kubectl apply -f deploy/rbac.yaml`,
  CSR_NOT_FOUND: (d) => `The CertificateSigningRequest ${str(d.name)} no longer exists in the cluster (it was deleted or garbage-collected).`,
  CSR_ALREADY_DECIDED: (d) => `The CertificateSigningRequest ${str(d.name)} was already ${str(d.decision, 'decided')}; it cannot be ${str(d.attempted, 'changed')} now.`,
  CSR_REJECTED_BY_API: (d) => `The Kubernetes API refused the CertificateSigningRequest ${str(d.name)}: ${str(d.message)}`,
  CSR_SIGNING_FAILED: (d) => `The cluster signer failed to issue a certificate for ${str(d.name)}: ${str(d.message)}`,
  CLUSTER_CONFLICT: (d) => `The CertificateSigningRequest ${str(d.name)} kept changing while csrbot updated it; try again.`,
  CLUSTER_TIMEOUT: (d) => `The Kubernetes API did not answer in time (${str(d.operation, 'request')}). csrbot will retry.`,
  CLUSTER_ERROR: (d) => `The Kubernetes API answered with an error (${str(d.status, '?')}): ${str(d.message)}`,

  // ---- Configuration ------------------------------------------------------
  CONFIG_INVALID: (d) => `csrbot cannot start; fix these settings:\n${str(d.problems)}`,
} satisfies Record<string, Render>;

export type ErrorCode = keyof typeof messages;

export function describeError(code: ErrorCode, details: Details = {}): string {
  return messages[code](details);
}

export const errorCodes = Object.keys(messages) as ErrorCode[];
