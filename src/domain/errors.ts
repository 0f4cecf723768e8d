/**
 * Coded errors. Every failure a user or admin can see carries a stable `code`;
 * the one table below turns a code (plus the error's details) into the text a
 * person reads: what is wrong, and how to fix it.
 *
 * Areas own their section of the table. Keep codes SCREAMING_SNAKE and stable:
 * tests, metrics and logs refer to them.
 */
import { CLIENT_SIGNER } from './kubernetes-rules.js';
import { visible } from './visible.js';

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

/**
 * TLS failures by kind (`problem`, from adapters/tls-problem.ts) for a server
 * csrbot calls: the API server (trusted through KUBECONFIG) or Slack (through
 * Node's trust store). `reason` is Node's code, `message` its text.
 */
function tlsProblemText(target: 'kubernetes' | 'slack', d: Details): string {
  const who = target === 'kubernetes' ? "The API server's certificate" : "Slack's certificate";
  const why = `${str(d.reason)}${d.message ? `: ${str(d.message)}` : ''}`;
  switch (d.problem) {
    case 'untrusted':
      return target === 'kubernetes'
        ? `${who} is not trusted by the CA in KUBECONFIG (${why}). To fix, put the CA that signed the API server's certificate in the kubeconfig's ` +
            'certificate-authority-data (kubectl config view --raw --minify on a machine that connects shows it).'
        : `${who} is not trusted by this machine (${why}); a TLS-inspecting proxy re-signs traffic with its own CA. ` +
            'To fix, give Node that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or let csrbot reach Slack directly.';
    case 'hostname':
      return (
        `${who} does not name the host csrbot connects to (${why}). ` +
        (target === 'kubernetes'
          ? "To fix, use a server address the certificate lists in KUBECONFIG, or set tls-server-name in the kubeconfig's cluster."
          : 'To fix, check SLACK_API_URL and any proxy in the way.')
      );
    case 'expired':
      return `${who} has expired (${why}). To fix, renew the server's certificate, or correct this machine's clock if it is wrong.`;
    case 'not-yet-valid':
      return `${who} is not valid yet (${why}). To fix, correct this machine's clock (or the server's certificate dates).`;
    case 'client-certificate':
      return `The API server refused csrbot's client certificate during the TLS handshake (${why}). To fix, renew or correct client-certificate-data and client-key-data in KUBECONFIG.`;
    case 'not-tls':
      return `The server does not speak TLS at that address (${why}). To fix, check the URL's scheme (https://) and port.`;
    default:
      return `The TLS connection failed (${why}). To fix, check the server's certificate${target === 'kubernetes' ? ' and the CA in KUBECONFIG' : ''}.`;
  }
}
/** A detail as text. Single values have controls escaped (a CN's newline must not fake a line); lists are joined after. */
const one = (v: unknown): string => visible(String(v));
const str = (v: unknown, fallback = ''): string => (v === undefined ? fallback : Array.isArray(v) ? v.map(one).join(', ') : one(v));
/** Multi-line text csrbot composed (commands, problem lists): its own newlines stay, anything else invisible is escaped. */
const block = (v: unknown, fallback = ''): string => (v === undefined ? fallback : String(v).split('\n').map(one).join('\n'));

/** code -> user-facing text. The only place such text is written. */
const messages = {
  // ---- CSR intake (src/domain/csr) -------------------------------------
  // Details used here: `found` names what the input was; `commands` holds the
  // exact openssl commands for this user (opensslCommandsFor); a caller that
  // knows the user may re-render with describeError(code, {...details, commands}).
  CSR_EMPTY: (d) => `That is empty: there is no certificate request in it. Make a key and a request with:\n${block(d.commands)}\nthen send the .csr file.`,
  CSR_TOO_LARGE: (d) =>
    `That is ${str(d.bytes)} bytes; a certificate request is at most a few KB and csrbot accepts at most ${str(d.limit)} bytes. ` +
    'Send only the .csr file made by `openssl req`, not a bundle or a log.',
  CSR_PRIVATE_KEY: (d) =>
    `That is a PRIVATE KEY (${str(d.found, 'private key')}), not a certificate request. This key is now exposed: anyone who can read ` +
    'what you sent has it. Delete the message (or file) you shared it in now, and never use that key again. ' +
    `Make a new key and a request, and send only the .csr file (the .key never leaves your machine):\n${block(d.commands)}`,
  CSR_IS_CERTIFICATE: (d) =>
    `That is a certificate${d.subject ? ` (${str(d.subject)})` : ''}, not a certificate request. csrbot issues certificates from requests: ` +
    `make a request from your key and send the .csr file:\n${block(d.commands)}`,
  CSR_IS_PUBLIC_KEY: (d) =>
    `That is a public key, not a certificate request. A request is signed with your private key; make one (keep the key to yourself):\n${block(d.commands)}`,
  CSR_UNEXPECTED_PEM: (d) =>
    `That is a PEM block labelled "${str(d.label)}", not a certificate request (label CERTIFICATE REQUEST). Make a request with:\n${block(d.commands)}`,
  CSR_NOT_PEM: (d) =>
    `That is ${str(d.found, 'text')} without a -----BEGIN CERTIFICATE REQUEST----- block, so it is not a certificate request. ` +
    `Send the whole .csr file, or make one with:\n${block(d.commands)}`,
  CSR_GARBAGE: (d) =>
    `That is ${str(d.found, 'binary data')} that is neither a PEM nor a DER certificate request. Send the .csr file made by:\n${block(d.commands)}`,
  CSR_BAD_BASE64: () =>
    'The certificate request block contains characters that are not base64 (was it edited, or reformatted by a chat client?). ' +
    'Send the .csr file as a file attachment instead of pasting it, or paste it inside a ``` code block.',
  CSR_TRUNCATED: (d) =>
    `The certificate request is cut off (${str(d.reason, 'it ends early')}). Send the complete .csr file: it starts with ` +
    '-----BEGIN CERTIFICATE REQUEST----- and ends with -----END CERTIFICATE REQUEST-----. Attaching the file avoids copy-paste losses.',
  CSR_MALFORMED: (d) =>
    `That looks like a certificate request but it is damaged: ${str(d.reason, 'its structure is invalid')}. ` +
    `Make a fresh one with openssl:\n${block(d.commands)}`,
  CSR_MULTIPLE: (d) =>
    `That contains ${str(d.found, 'several PEM blocks')}. Send exactly one certificate request per message ` +
    '(Kubernetes would silently use only the first, which may not be the one you meant).',
  CSR_BAD_SIGNATURE: (d) =>
    `The request's self-signature does not verify${d.subject ? ` (subject ${str(d.subject)})` : ''}: it was altered after openssl signed it, ` +
    `or signed with a different key. Make it again and send it unmodified (skip the first command if you still have your key):\n${block(d.commands)}`,
  CSR_WEAK_KEY: (d) =>
    `The request uses a weak key: ${str(d.key)} (at least ${str(d.minimum)} is required). Make a new, stronger key and request:\n${block(d.commands)}`,
  CSR_UNSUPPORTED_KEY: (d) =>
    `The request uses a ${str(d.key)} key, which Kubernetes client certificates do not support here (use RSA 2048+, ECDSA P-256/P-384/P-521 or Ed25519). ` +
    `Make a new key and request:\n${block(d.commands)}`,
  CSR_UNSUPPORTED_SIGNATURE: (d) =>
    `The request is signed with ${str(d.algorithm, 'an unsupported algorithm')}${d.reason ? ` (${str(d.reason)})` : ''}; ` +
    'Kubernetes accepts SHA-256/384/512 with RSA (PKCS#1 v1.5, or PSS with salt length = digest length), ECDSA and Ed25519. ' +
    `Make the request again with a modern digest:\n${block(d.commands)}`,
  // Policy findings (src/domain/policy): errors block, warnings go on the admin card.
  CSR_NO_CN: (d) =>
    `The request has no common name (CN), and Kubernetes takes your username from the CN. Make it again with your username as CN:\n${block(d.commands)}`,
  CSR_AMBIGUOUS_CN: (d) =>
    `The request has several common names (${str(d.commonNames)}); Kubernetes would silently use the last one. Use exactly one CN:\n${block(d.commands)}`,
  CSR_CN_MISMATCH: (d) =>
    `The request's CN is "${str(d.cn)}" but your Kubernetes username is "${str(d.expected)}": you can only request a certificate for yourself. ` +
    `Make the request again with:\n${block(d.commands)}`,
  CSR_SYSTEM_CN: (d) =>
    `The CN "${str(d.cn)}" is in the reserved system: namespace (used by cluster components); csrbot never requests it. Use your own username:\n${block(d.commands)}`,
  CSR_SYSTEM_MASTERS: (d) =>
    'The request asks for O=system:masters, which is unrestricted cluster-admin that no RBAC rule can take away; csrbot always refuses it. ' +
    `Ask for the group you need instead, e.g.:\n${block(d.commands)}`,
  CSR_SYSTEM_GROUP: (d) =>
    `The request asks for the reserved group(s) ${str(d.groups)}: system: groups belong to cluster components and are always refused. Remove them:\n${block(d.commands)}`,
  CSR_GROUP_NOT_ALLOWED: (d) =>
    `You may not request the group(s) ${str(d.groups)}. Groups you may request: ${str(d.allowed, 'none')}. ` +
    `Ask an admin to grant the group, or make the request without it:\n${block(d.commands)}`,
  CSR_LEGACY_STRING: (d) =>
    `The ${str(d.field)} "${str(d.value)}" is encoded as ${str(d.stringType)}, which Kubernetes does not read as this text. ` +
    `Make the request again with openssl's -utf8 flag:\n${block(d.commands)}`,
  CSR_CONTROL_CHARACTERS: (d) =>
    `The request contains control or invisible characters (shown escaped): ${str(d.values)}. Names must be plain text; make the request again with:\n${block(d.commands)}`,
  CSR_STRING_TYPE_DROPPED: (d) =>
    `The ${str(d.field)} "${str(d.value)}" is encoded as ${str(d.stringType)}, which Kubernetes does not read: the certificate would carry no such ${str(d.field)} ` +
    `(${d.field === 'CN' ? 'and so no username' : 'so not this group'}). Make the request again with openssl, which writes UTF8String with -utf8:\n${block(d.commands)}`,
  CSR_USER_UID: (d) =>
    `The request carries a Kubernetes user UID attribute ("${str(d.value)}", OID 1.3.6.1.4.1.57683.2). csrbot does not issue UIDs: ` +
    `the admins could not see or vouch for it. Make the request again without it:\n${block(d.commands)}`,
  CSR_SANS_PRESENT: (d) =>
    `The request asks for subject alternative names (${str(d.sans)}). Client certificates authenticate by CN and O only; ` +
    `${d.refused ? 'this policy refuses SANs. Make the request again without -addext subjectAltName:' : 'SANs would be copied into the certificate for no purpose. To leave them out:'}\n${block(d.commands)}`,
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
  IDENTITY_RESERVED: (d) =>
    `The Kubernetes username "${str(d.username)}" is reserved${d.why ? ` (${str(d.why)})` : ''}: csrbot never requests a certificate for it. ` +
    'If this is really your username, ask an admin to map you to a personal one.',
  IDENTITY_HOLDS_CSRBOT_POWERS: (d) =>
    `The identity "${str(d.username)}"${d.groups ? ` with groups ${str(d.groups)}` : ''} would be able to approve certificates (${str(d.abilities)}), ` +
    "like csrbot itself: one approval would hand out the power to mint any identity's credentials, so csrbot refuses it. " +
    'Request a certificate without the group that grants it, or ask an admin to use kubectl for such a credential.',
  USERNAME_DOMAIN_NOT_ALLOWED: (d) =>
    `Your Slack email ${str(d.email)} is not in a domain csrbot issues for (${str(d.allowed)}), so it yields no Kubernetes username. ` +
    'Ask an admin to add you to the username mapping file, or use your account in an allowed domain.',
  UPLOAD_HOST_REFUSED: (d) =>
    `csrbot did not download that file: Slack named ${str(d.origin)} as its location, and csrbot sends its token only to ${str(d.allowed)}. Paste the CSR's text instead.`,
  REASON_HAS_PRIVATE_KEY: () =>
    'The reason contains a PRIVATE KEY block. csrbot never stores private keys, so nothing was saved. ' +
    'Write the reason again without it, and treat that key as exposed: make a new one.',
  REQUEST_LIMIT_PENDING: (d) =>
    `You already have ${str(d.pending)} requests waiting for the admins (the limit is ${str(d.limit)}). Wait for a decision on those, then ask again.`,
  REQUEST_LIMIT_RATE: (d) => `You made ${str(d.submitted)} requests in the last hour (the limit is ${str(d.limit)}). Try again later.`,
  SLACK_ACCOUNT_DELETED: (d) => `The Slack account ${str(d.slackUser)} is deactivated; csrbot issues no certificates for it.`,
  SLACK_ACCOUNT_BOT: () => 'Bots and app users cannot request certificates from csrbot; a person must ask, with their own account.',
  SLACK_ACCOUNT_GUEST: (d) =>
    `Your Slack account is a ${str(d.guest)} guest, and csrbot issues cluster credentials only to full members of this workspace. ` +
    'Ask a workspace admin to make you a full member, or ask an admin to get you access another way.',
  SLACK_ACCOUNT_OTHER_TEAM: (d) =>
    `Your Slack account belongs to another workspace or organisation (${str(d.team)}), and csrbot issues cluster credentials only to members of its own workspace. ` +
    'Ask the admins of this cluster through your own organisation.',
  SELF_APPROVAL_SAME_IDENTITY: (d) =>
    `This request is for the Kubernetes username "${str(d.username)}", which is yours too (from your account ${str(d.slackUser)}): ` +
    'you cannot approve a certificate for your own identity from any Slack account. Ask another admin.',
  USERNAME_MAPPING_INVALID: (d) => `The username mapping file ${str(d.source, '')} is invalid; fix these entries:\n${block(d.problems)}`,
  POLICY_CONFIG_INVALID: (d) => `The CSR policy ${str(d.source, '')} is invalid; fix these settings:\n${block(d.problems)}`,

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
  CSR_NAME_TAKEN: (d) =>
    `A CertificateSigningRequest named ${str(d.name)} already exists in the cluster and csrbot did not create it as it is${d.field ? ` (its ${str(d.field)} differs)` : ''}; csrbot will not reuse or approve it.`,
  CSR_CONTENT_CHANGED: (d) =>
    `The CertificateSigningRequest ${str(d.name)} is no longer the one on the card (its ${str(d.field)} differs): it was deleted and re-created, or changed, after the card was posted. ` +
    'csrbot approved nothing. Someone who may create and delete CSRs did this: find out who (the API server audit log), and ask the requester to send the CSR again.',
  CLUSTER_CONFLICT: (d) => `The CertificateSigningRequest ${str(d.name)} kept changing while csrbot updated it; try again.`,
  CLUSTER_TIMEOUT: (d) => `The Kubernetes API did not answer in time (${str(d.operation, 'request')}). csrbot will retry.`,
  CLUSTER_ERROR: (d) => `The Kubernetes API answered with an error (${str(d.status, '?')}): ${str(d.message)}`,
  // TLS failures are configuration, not an outage: retrying cannot help. `problem` says which (tls-problem.ts).
  CLUSTER_TLS: (d) => `${tlsProblemText('kubernetes', d)}${d.server ? ` (server ${str(d.server)})` : ''}`,

  // ---- Start-up checks (src/preflight): csrbot start-up and `csrbot doctor` ----------
  // Each names the setting and says how to fix it; the operator reads them in the log or a terminal.
  SLACK_BOT_TOKEN_REFUSED: (d) =>
    `SLACK_BOT_TOKEN was refused by Slack (${str(d.error)}). To fix, copy the Bot User OAuth Token (xoxb-...) from your Slack app's ` +
    '"OAuth & Permissions" page into SLACK_BOT_TOKEN; if the app was uninstalled or the token revoked, reinstall the app to the workspace first.',
  SLACK_APP_TOKEN_REFUSED: (d) =>
    `SLACK_APP_TOKEN was refused by Slack (${str(d.error)}). To fix, create an app-level token with the connections:write scope ` +
    '(Slack app > Basic Information > App-Level Tokens) and put it in SLACK_APP_TOKEN, and check Socket Mode is enabled for the app; or unset SLACK_APP_TOKEN to run in HTTP mode.',
  SLACK_SCOPES_MISSING: (d) =>
    `SLACK_BOT_TOKEN lacks Bot Token Scopes that manifest.yml asks for: ${str(d.missing)}${d.method ? ` (${str(d.method)} needs them)` : ''}. ` +
    'To fix, add them in the Slack app\'s "OAuth & Permissions" page (or update the app from manifest.yml) and reinstall the app to the workspace: ' +
    'scopes take effect only after reinstalling.',
  SLACK_UNREACHABLE: (d) =>
    `Slack's Web API (SLACK_API_URL ${str(d.url)}) could not be reached (${str(d.reason, 'no answer')}). ` +
    'csrbot keeps trying and is not ready meanwhile. To fix, allow HTTPS egress to Slack (and set HTTPS_PROXY if your network needs a proxy), or correct SLACK_API_URL.',
  SLACK_TLS: (d) => `${tlsProblemText('slack', d)} (SLACK_API_URL ${str(d.url)})`,
  SLACK_API_ERROR: (d) =>
    `Slack answered ${str(d.method)} with an error (${str(d.error)}). ` +
    "csrbot retries; if it persists, see https://status.slack.com and the method's documentation.",
  SLACK_ADMIN_CHANNEL_NOT_FOUND: (d) =>
    `SLACK_ADMIN_CHANNEL ${str(d.channel)} was not found by the bot (${str(d.error, 'channel_not_found')}): the ID is wrong, or it is a private channel ` +
    'the bot has not been invited to. To fix, run /invite @' +
    `${str(d.bot, 'csrbot')} in the admin channel, and check that SLACK_ADMIN_CHANNEL is its ID (channel details > About > Channel ID).`,
  SLACK_NOT_IN_ADMIN_CHANNEL: (d) =>
    `The bot is not a member of SLACK_ADMIN_CHANNEL (#${str(d.name)}, ${str(d.channel)}), so it cannot post approval cards there. ` +
    `To fix, run /invite @${str(d.bot, 'csrbot')} in #${str(d.name)}.`,
  SLACK_ADMIN_CHANNEL_ARCHIVED: (d) =>
    `SLACK_ADMIN_CHANNEL (#${str(d.name)}, ${str(d.channel)}) is archived: nobody would see approval cards. To fix, unarchive it or set SLACK_ADMIN_CHANNEL to another channel's ID.`,
  SLACK_ADMIN_GROUP_NOT_FOUND: (d) =>
    `SLACK_ADMIN_GROUP ${str(d.group)} is not a user group in this workspace (${str(d.error)}). To fix, set it to the ID (S...) of the approvers' user group ` +
    '(People > User groups > the group > ⋯ > Copy group ID), or unset it and list the approvers in SLACK_ADMIN_USERS.',
  SLACK_ADMIN_GROUP_EMPTY: (d) =>
    `SLACK_ADMIN_GROUP ${str(d.group)} has no members, so ${d.users ? 'only SLACK_ADMIN_USERS' : 'nobody'} can decide requests. To fix, add the approvers to the user group.`,
  KUBECONFIG_INVALID: (d) =>
    `KUBECONFIG${d.path ? ` (${str(d.path)})` : ''} cannot be used: ${str(d.message)}. ` +
    'To fix, point KUBECONFIG at a kubeconfig for csrbot (bound by deploy/rbac), or run csrbot in a pod with the csrbot ServiceAccount.',
  KUBECONFIG_NO_CONTEXT: (d) =>
    `KUBECONFIG (${str(d.path)}) has no current-context, so csrbot cannot tell which cluster and credentials to use. ` +
    `To fix, choose one: kubectl config use-context <name> --kubeconfig ${str(d.path)}${d.contexts ? ` (contexts in the file: ${str(d.contexts)})` : ' (the file defines no context: add one)'}.`,
  KUBECONFIG_BAD_CONTEXT: (d) =>
    `KUBECONFIG (${str(d.path)}): current-context "${str(d.context)}" ${str(d.problem)}. ` +
    `To fix, correct the context, or choose another: kubectl config use-context <name> --kubeconfig ${str(d.path)}.`,
  CLUSTER_WHOAMI_UNSUPPORTED: () =>
    'The API server does not serve SelfSubjectReview (Kubernetes before 1.28), so csrbot cannot tell who it is; the permission checks still run. ' +
    'To fix, nothing is needed; upgrading the cluster brings this check back.',
  CLUSTER_PERMISSIONS_MISSING: (d) =>
    `csrbot's Kubernetes identity "${str(d.user)}" may not: ${str(d.missing)}. csrbot needs these to create, watch and approve certificate requests, and to list the bindings of a holder who left. ` +
    `To fix, apply deploy/rbac (kubectl apply -k deploy/rbac) and bind its ClusterRole to this identity: ${str(d.bind)}`,
  CLUSTER_SIGNER_NOT_ISSUING: (d) =>
    `${str(d.count)} of csrbot's approved requests got no certificate from the signer (the oldest, ${str(d.oldest)}, approved ${str(d.minutes)} minutes ago). ` +
    `This cluster's ${str(d.signer, CLIENT_SIGNER)} signer may not issue at all (some managed services never sign it): see "Where it works" in docs/operations.md. ` +
    'To fix on a cluster you run, give kube-controller-manager --cluster-signing-cert-file/--cluster-signing-key-file and check its log for the csrsigning controller.',
  REDIS_AUTH: (d) =>
    `Redis refused csrbot's credentials (${str(d.reason)}). To fix, put the right user and password in REDIS_URL ` +
    '(redis://:password@host:6379, or redis://user:password@host:6379 with Redis ACLs).',
  REDIS_UNREACHABLE: (d) =>
    `Redis could not be reached (${str(d.reason, 'no answer')}). csrbot starts anyway and is not ready until Redis answers. To fix, check REDIS_URL and that Redis is up.`,
  PORT_IN_USE: (d) =>
    `${str(d.setting)} ${str(d.port)} cannot be opened (${str(d.reason)}). To fix, stop what listens there or set ${str(d.setting)} to a free port` +
    `${d.setting === 'OPS_PORT' ? " (and the probes' port with it)" : ''}.`,
  PREFLIGHT_FAILED: (d) => `csrbot cannot start; fix these problems (csrbot doctor runs the same checks):\n${block(d.problems)}`,

  // ---- The request flow (src/app) -----------------------------------------
  NOT_AN_APPROVER: (d) =>
    `Only csrbot admins can decide certificate requests${d.group ? ` (members of <!subteam^${str(d.group)}>)` : ''}. Ask one of them to look at this request; nothing was changed.`,
  SELF_APPROVAL: () => 'You cannot approve your own certificate request. Ask another admin; nothing was changed.',
  REQUEST_ALREADY_DECIDED: (d) => `This request was already ${str(d.state)}${d.by ? ` by ${str(d.by)}` : ''}. Nothing was changed.`,
  REQUEST_NOT_FOUND: (d) => `csrbot has no request ${str(d.id)}. It may have expired; ask the requester to send the CSR again.`,
  NOT_YOUR_CERTIFICATE: (d) =>
    `${str(d.what, 'That')} belongs to someone else: only its holder can ${str(d.action, 'act on it')} (admins can view it). Nothing was changed. \`/cert list\` shows yours.`,
  ADMINS_ONLY: (d) =>
    `\`${str(d.command)}\` is for csrbot admins${d.group ? ` (members of <!subteam^${str(d.group)}>)` : ''}. \`/cert list\` shows your own certificates and requests.`,
  NOTHING_BY_THAT_ID: (d) =>
    `csrbot knows no request or certificate \`${str(d.ref)}\`. Use a request id or a certificate serial (hex) as \`/cert list\` shows them.`,
  CERTIFICATE_KEY_MISMATCH: (d) =>
    `The certificate issued for ${str(d.name)} is not for the key in the request (expected SPKI ${str(d.expected)}, got ${str(d.actual)}). It was not delivered; an admin should inspect the cluster signer.`,
  ISSUANCE_TIMEOUT: (d) =>
    `The cluster approved ${str(d.name)} but its signer issued no certificate within ${str(d.timeout)}. Check that kube-controller-manager runs the csrsigning controller with --cluster-signing-cert-file/--cluster-signing-key-file.`,

  // ---- Configuration ------------------------------------------------------
  CONFIG_INVALID: (d) => `csrbot cannot start; fix these settings:\n${block(d.problems)}`,
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
/** Start-up checks (src/preflight) are read in the log or by `csrbot doctor`; should one ever reach Slack, it says only this. */
const startupCheck: CodeRules = { ...operator, forRequester: () => 'csrbot is not set up right now. The people who run it can see why.' };
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
  // Like a credential, trust can be fixed (the CA in KUBECONFIG) while the job waits.
  CLUSTER_TLS: clusterTrouble,
  // Start-up checks (src/preflight): read in the log or by csrbot doctor, never in Slack.
  SLACK_BOT_TOKEN_REFUSED: startupCheck,
  SLACK_APP_TOKEN_REFUSED: startupCheck,
  SLACK_SCOPES_MISSING: startupCheck,
  SLACK_UNREACHABLE: startupCheck,
  SLACK_TLS: startupCheck,
  SLACK_API_ERROR: startupCheck,
  SLACK_ADMIN_CHANNEL_NOT_FOUND: startupCheck,
  SLACK_NOT_IN_ADMIN_CHANNEL: startupCheck,
  SLACK_ADMIN_CHANNEL_ARCHIVED: startupCheck,
  SLACK_ADMIN_GROUP_NOT_FOUND: startupCheck,
  SLACK_ADMIN_GROUP_EMPTY: startupCheck,
  KUBECONFIG_INVALID: startupCheck,
  KUBECONFIG_NO_CONTEXT: startupCheck,
  KUBECONFIG_BAD_CONTEXT: startupCheck,
  CLUSTER_WHOAMI_UNSUPPORTED: startupCheck,
  CLUSTER_PERMISSIONS_MISSING: startupCheck,
  CLUSTER_SIGNER_NOT_ISSUING: startupCheck,
  REDIS_AUTH: startupCheck,
  REDIS_UNREACHABLE: startupCheck,
  PORT_IN_USE: startupCheck,
  PREFLIGHT_FAILED: startupCheck,
  CSR_NOT_FOUND: forAdmins(),
  CSR_ALREADY_DECIDED: forAdmins(),
  CSR_CONTENT_CHANGED: forAdmins(
    () => 'Your request could not be approved: the request in the cluster was changed after the admins saw it. Send the CSR again.',
  ),
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
