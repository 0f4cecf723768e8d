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
  // Details used here: `found` names what the input was; `commands` holds the
  // exact openssl commands for this user (opensslCommandsFor); a caller that
  // knows the user may re-render with describeError(code, {...details, commands}).
  CSR_EMPTY: (d) => `That is empty: there is no certificate request in it. Make a key and a request with:\n${str(d.commands)}\nthen send the .csr file.`,
  CSR_TOO_LARGE: (d) =>
    `That input is ${str(d.bytes)} bytes; a certificate request is at most a few KB and csrbot reads at most ${str(d.limit)} bytes. ` +
    'Send only the .csr file made by `openssl req`, not a bundle or a log.',
  CSR_PRIVATE_KEY: (d) =>
    `That is a PRIVATE KEY (${str(d.found, 'private key')}), not a certificate request. This key is now exposed: anyone who can read ` +
    'what you sent has it. Delete the message (or file) you shared it in now, and never use that key again. ' +
    `Make a new key and a request, and send only the .csr file (the .key never leaves your machine):\n${str(d.commands)}`,
  CSR_IS_CERTIFICATE: (d) =>
    `That is a certificate${d.subject ? ` (${str(d.subject)})` : ''}, not a certificate request. csrbot issues certificates from requests: ` +
    `make a request from your key and send the .csr file:\n${str(d.commands)}`,
  CSR_IS_PUBLIC_KEY: (d) =>
    `That is a public key, not a certificate request. A request is signed with your private key; make one (keep the key to yourself):\n${str(d.commands)}`,
  CSR_UNEXPECTED_PEM: (d) =>
    `That is a PEM block labelled "${str(d.label)}", not a certificate request (label CERTIFICATE REQUEST). Make a request with:\n${str(d.commands)}`,
  CSR_NOT_PEM: (d) =>
    `That is ${str(d.found, 'text')} without a -----BEGIN CERTIFICATE REQUEST----- block, so it is not a certificate request. ` +
    `Send the whole .csr file, or make one with:\n${str(d.commands)}`,
  CSR_GARBAGE: (d) =>
    `That is ${str(d.found, 'binary data')} that is neither a PEM nor a DER certificate request. Send the .csr file made by:\n${str(d.commands)}`,
  CSR_BAD_BASE64: () =>
    'The certificate request block contains characters that are not base64 (was it edited, or reformatted by a chat client?). ' +
    'Send the .csr file as a file attachment instead of pasting it, or paste it inside a ``` code block.',
  CSR_TRUNCATED: (d) =>
    `The certificate request is cut off (${str(d.reason, 'it ends early')}). Send the complete .csr file: it starts with ` +
    '-----BEGIN CERTIFICATE REQUEST----- and ends with -----END CERTIFICATE REQUEST-----. Attaching the file avoids copy-paste losses.',
  CSR_MALFORMED: (d) =>
    `That looks like a certificate request but it is damaged: ${str(d.reason, 'its structure is invalid')}. ` +
    `Make a fresh one with openssl:\n${str(d.commands)}`,
  CSR_MULTIPLE: (d) =>
    `That contains ${str(d.found, 'several PEM blocks')}. Send exactly one certificate request per message ` +
    '(Kubernetes would silently use only the first, which may not be the one you meant).',
  CSR_BAD_SIGNATURE: (d) =>
    `The request's self-signature does not verify${d.subject ? ` (subject ${str(d.subject)})` : ''}: it was altered after openssl signed it, ` +
    `or signed with a different key. Make it again and send it unmodified (skip the first command if you still have your key):\n${str(d.commands)}`,
  CSR_WEAK_KEY: (d) =>
    `The request uses a weak key: ${str(d.key)} (at least ${str(d.minimum)} is required). Make a new, stronger key and request:\n${str(d.commands)}`,
  CSR_UNSUPPORTED_KEY: (d) =>
    `The request uses a ${str(d.key)} key, which Kubernetes client certificates do not support here (use RSA 2048+, ECDSA P-256/P-384/P-521 or Ed25519). ` +
    `Make a new key and request:\n${str(d.commands)}`,
  CSR_UNSUPPORTED_SIGNATURE: (d) =>
    `The request is signed with ${str(d.algorithm, 'an unsupported algorithm')}${d.reason ? ` (${str(d.reason)})` : ''}; ` +
    'Kubernetes accepts SHA-256/384/512 with RSA (PKCS#1 v1.5, or PSS with salt length = digest length), ECDSA and Ed25519. ' +
    `Make the request again with a modern digest:\n${str(d.commands)}`,
  // Policy findings (src/domain/policy): errors block, warnings go on the admin card.
  CSR_NO_CN: (d) =>
    `The request has no common name (CN), and Kubernetes takes your username from the CN. Make it again with your username as CN:\n${str(d.commands)}`,
  CSR_AMBIGUOUS_CN: (d) =>
    `The request has several common names (${str(d.commonNames)}); Kubernetes would silently use the last one. Use exactly one CN:\n${str(d.commands)}`,
  CSR_CN_MISMATCH: (d) =>
    `The request's CN is "${str(d.cn)}" but your Kubernetes username is "${str(d.expected)}": you can only request a certificate for yourself. ` +
    `Make the request again with:\n${str(d.commands)}`,
  CSR_SYSTEM_CN: (d) =>
    `The CN "${str(d.cn)}" is in the reserved system: namespace (used by cluster components); csrbot never requests it. Use your own username:\n${str(d.commands)}`,
  CSR_SYSTEM_MASTERS: (d) =>
    'The request asks for O=system:masters, which is unrestricted cluster-admin that no RBAC rule can take away; csrbot always refuses it. ' +
    `Ask for the group you need instead, e.g.:\n${str(d.commands)}`,
  CSR_SYSTEM_GROUP: (d) =>
    `The request asks for the reserved group(s) ${str(d.groups)}: system: groups belong to cluster components and are always refused. Remove them:\n${str(d.commands)}`,
  CSR_GROUP_NOT_ALLOWED: (d) =>
    `You may not request the group(s) ${str(d.groups)}. Groups you may request: ${str(d.allowed, 'none')}. ` +
    `Ask an admin to grant the group, or make the request without it:\n${str(d.commands)}`,
  CSR_LEGACY_STRING: (d) =>
    `The ${str(d.field)} "${str(d.value)}" is encoded as ${str(d.stringType)}, which Kubernetes does not read as this text. ` +
    `Make the request again with openssl's -utf8 flag:\n${str(d.commands)}`,
  CSR_SANS_PRESENT: (d) =>
    `The request asks for subject alternative names (${str(d.sans)}). Client certificates authenticate by CN and O only; ` +
    `${d.refused ? 'this policy refuses SANs. Make the request again without -addext subjectAltName:' : 'SANs would be copied into the certificate for no purpose. To leave them out:'}\n${str(d.commands)}`,
  CSR_LIFETIME_INVALID: (d) => `The requested lifetime "${str(d.requested)}" is not a whole number of seconds. Ask for e.g. 86400 (one day).`,
  CSR_LIFETIME_TOO_SHORT: (d) =>
    `The requested lifetime ${str(d.requested)} s is below the Kubernetes minimum of ${str(d.minimum)} s (10 minutes). Ask for at least ${str(d.minimum)} s.`,
  CSR_LIFETIME_TOO_LONG: (d) =>
    `The requested lifetime ${str(d.requested)} s is longer than this cluster allows (${str(d.maximum)} s). Ask for at most ${str(d.maximum)} s, and renew when it runs out.`,
  CSR_SIGNER_NOT_ALLOWED: (d) => `The signer "${str(d.signer)}" is not allowed here. Allowed signers: ${str(d.allowed)}.`,
  USERNAME_NO_EMAIL: (d) =>
    `csrbot takes your Kubernetes username from your Slack profile email, but Slack shows none for ${str(d.slackUser, 'you')}. ` +
    'Ask a Slack admin to make your email visible to apps (users:read.email), or an admin to add you to the username mapping file.',
  USERNAME_NO_SLACK_NAME: (d) => `Slack returned no username for ${str(d.slackUser, 'you')}; ask an admin to add you to the username mapping file.`,
  USERNAME_NOT_MAPPED: (d) =>
    `You (${str(d.slackUser)}${d.email ? `, ${str(d.email)}` : ''}) are not in csrbot's username mapping, so csrbot does not know your Kubernetes username. ` +
    'Ask an admin to add a line for you to the mapping file.',
  USERNAME_INVALID: (d) =>
    `The Kubernetes username "${str(d.username)}" derived for ${str(d.slackUser, 'you')} cannot be used: ${str(d.reason)}. Ask an admin to map you to a valid username.`,
  USERNAME_MAPPING_INVALID: (d) => `The username mapping file ${str(d.source, '')} is invalid; fix these entries:\n${str(d.problems)}`,
  POLICY_CONFIG_INVALID: (d) => `The CSR policy ${str(d.source, '')} is invalid; fix these settings:\n${str(d.problems)}`,

  // ---- Kubernetes (src/adapters/kubernetes) -----------------------------
  CLUSTER_UNREACHABLE: (d) =>
    `The Kubernetes API at ${str(d.server, 'the configured server')} could not be reached (${str(d.reason, 'no answer')}). ` +
    'csrbot keeps retrying; check KUBECONFIG and that the API server is up.',
  CLUSTER_FORBIDDEN: (d) =>
    `The Kubernetes API refused csrbot: ${str(d.message)}. ` +
    `Grant the missing permission (${str(d.verb, '?')} on ${str(d.resource, '?')}) with deploy/rbac: kubectl apply -k deploy/rbac`,
  CSR_NOT_FOUND: (d) => `The CertificateSigningRequest ${str(d.name)} no longer exists in the cluster (it was deleted or garbage-collected).`,
  CSR_ALREADY_DECIDED: (d) =>
    `The CertificateSigningRequest ${str(d.name)} was already ${str(d.decision, 'decided')}; it cannot be ${str(d.attempted, 'changed')} now.`,
  CSR_REJECTED_BY_API: (d) => `The Kubernetes API refused the CertificateSigningRequest ${str(d.name)}: ${str(d.message)}`,
  CSR_SIGNING_FAILED: (d) => `The cluster signer failed to issue a certificate for ${str(d.name)}: ${str(d.message)}`,
  CLUSTER_UNAUTHORIZED: (d) =>
    `The Kubernetes API at ${str(d.server, 'the configured server')} did not accept csrbot's credentials (${str(d.message, '401')}). ` +
    'Check the token or client certificate in KUBECONFIG (or the mounted ServiceAccount token).',
  CSR_NAME_TAKEN: (d) => `A different CertificateSigningRequest named ${str(d.name)} already exists in the cluster; csrbot will not reuse the name.`,
  CLUSTER_CONFLICT: (d) => `The CertificateSigningRequest ${str(d.name)} kept changing while csrbot updated it; try again.`,
  CLUSTER_TIMEOUT: (d) => `The Kubernetes API did not answer in time (${str(d.operation, 'request')}). csrbot will retry.`,
  CLUSTER_ERROR: (d) => `The Kubernetes API answered with an error (${str(d.status, '?')}): ${str(d.message)}`,

  // ---- The request flow (src/app) -----------------------------------------
  NOT_AN_APPROVER: (d) =>
    `Only csrbot admins can decide certificate requests${d.group ? ` (members of <!subteam^${str(d.group)}>)` : ''}. Ask one of them to look at this request; nothing was changed.`,
  SELF_APPROVAL: () => 'You cannot approve your own certificate request. Ask another admin; nothing was changed.',
  REQUEST_ALREADY_DECIDED: (d) => `This request was already ${str(d.state)}${d.by ? ` by ${str(d.by)}` : ''}. Nothing was changed.`,
  REQUEST_NOT_FOUND: (d) => `csrbot has no request ${str(d.id)}. It may have expired; ask the requester to send the CSR again.`,
  CERTIFICATE_KEY_MISMATCH: (d) =>
    `The certificate issued for ${str(d.name)} is not for the key in the request (expected SPKI ${str(d.expected)}, got ${str(d.actual)}). It was not delivered; an admin should inspect the cluster signer.`,
  ISSUANCE_TIMEOUT: (d) =>
    `The cluster approved ${str(d.name)} but its signer issued no certificate within ${str(d.timeout)}. Check that kube-controller-manager runs the csrsigning controller with --cluster-signing-cert-file/--cluster-signing-key-file.`,

  // ---- Configuration ------------------------------------------------------
  CONFIG_INVALID: (d) => `csrbot cannot start; fix these settings:\n${str(d.problems)}`,
} satisfies Record<string, Render>;

export type ErrorCode = keyof typeof messages;

export function describeError(code: ErrorCode, details: Details = {}): string {
  return messages[code](details);
}

/**
 * Who may read a code's text: `requester` (anyone who clicked or asked),
 * `admin` (the admin channel), `operator` (logs and the people who run
 * csrbot: it names settings, URLs and flags).
 */
export type Audience = 'requester' | 'admin' | 'operator';

interface CodeRules {
  audience: Audience;
  /** Can the same job succeed later (an outage, a permission granted meanwhile)? The worker retries only these. */
  retryable: boolean;
  /** What a requester reads instead, when the audience is wider than them. */
  forRequester?: Render;
}

const requester: CodeRules = { audience: 'requester', retryable: false };
const operator: CodeRules = { audience: 'operator', retryable: false };
const clusterTrouble: CodeRules = {
  audience: 'operator',
  retryable: true,
  forRequester: () => 'The Kubernetes cluster is not answering csrbot right now. Your request is kept, and csrbot keeps trying.',
};
const forAdmins = (forRequester?: Render): CodeRules => ({ audience: 'admin', retryable: false, forRequester });

/** The rest of the table: audience and retry for every code (the compiler insists each one is here). */
const rules: Record<ErrorCode, CodeRules> = {
  ...(Object.fromEntries(Object.keys(messages).map((c) => [c, requester])) as Record<ErrorCode, CodeRules>),
  USERNAME_MAPPING_INVALID: operator,
  POLICY_CONFIG_INVALID: operator,
  CONFIG_INVALID: operator,
  CLUSTER_UNREACHABLE: clusterTrouble,
  CLUSTER_TIMEOUT: clusterTrouble,
  CLUSTER_ERROR: clusterTrouble,
  CLUSTER_CONFLICT: clusterTrouble,
  // A permission or a credential can be fixed while the job waits. The admins are told what to grant.
  CLUSTER_FORBIDDEN: { ...clusterTrouble, audience: 'admin' },
  CLUSTER_UNAUTHORIZED: clusterTrouble,
  CSR_NOT_FOUND: forAdmins(),
  CSR_ALREADY_DECIDED: forAdmins(),
  CSR_NAME_TAKEN: forAdmins(() => 'csrbot could not create the CertificateSigningRequest for your request. The admins can see why; send the CSR again later.'),
  CERTIFICATE_KEY_MISMATCH: forAdmins(() => 'The certificate the cluster issued is not for your key, so it was not delivered. The admins can see why.'),
  ISSUANCE_TIMEOUT: forAdmins(() => 'The cluster approved your request but issued no certificate in time. The admins can see why.'),
};

export function isRetryableCode(code: ErrorCode): boolean {
  return rules[code].retryable;
}

export function audienceOf(code: ErrorCode): Audience {
  return rules[code].audience;
}

const rank: Record<Audience, number> = { requester: 0, admin: 1, operator: 2 };

/** The text `reader` may see: the code's own, or, for a reader who should not see it, the table's neutral line. */
export function describeFor(reader: Audience, code: ErrorCode, details: Details = {}): string {
  const r = rules[code];
  if (rank[reader] >= rank[r.audience]) return describeError(code, details);
  return (r.forRequester ?? (() => `Something went wrong on csrbot's side (${code}). The admins can see the details.`))(details);
}

/** Retrying a job helps only for coded errors the table marks retryable, and for uncoded ones (a Slack or Redis hiccup). */
export function isRetryable(err: unknown): boolean {
  return !isCsrbotError(err) || isRetryableCode(err.code);
}

export const errorCodes = Object.keys(messages) as ErrorCode[];
