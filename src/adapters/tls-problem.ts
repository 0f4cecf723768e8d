/**
 * What kind of TLS failure an error from Node's TLS stack is (node-fetch,
 * undici and node:https all pass OpenSSL's verify codes through as `code`,
 * somewhere on the `cause` chain). A TLS failure is a configuration problem:
 * retrying cannot help, so callers report it as such instead of as an outage.
 */
export type TlsProblem = 'untrusted' | 'hostname' | 'expired' | 'not-yet-valid' | 'client-certificate' | 'not-tls' | 'other';

const byCode: Record<string, TlsProblem> = {
  // The chain does not lead to a CA we trust.
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'untrusted',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  INVALID_CA: 'untrusted',
  PATH_LENGTH_EXCEEDED: 'untrusted',
  INVALID_PURPOSE: 'untrusted',
  // The certificate is for another name.
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname',
  HOSTNAME_MISMATCH: 'hostname',
  // Dates.
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  // The server did not accept our client certificate (alerts it sent us).
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client-certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client-certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'client-certificate',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client-certificate',
  // Plain HTTP (or something else) where TLS was expected.
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not-tls',
};

export interface TlsFailure {
  problem: TlsProblem;
  /** Node's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  reason: string;
  /** Node's own words, e.g. "self-signed certificate". */
  message: string;
}

/** The TLS failure inside `e` (looking through `cause`), or undefined when it is not one. */
export function tlsFailureOf(e: unknown): TlsFailure | undefined {
  for (let cur: unknown = e, i = 0; cur && typeof cur === 'object' && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (code === 'EPROTO') {
      // node-fetch (client-node 1.x) reports handshake failures as EPROTO with OpenSSL's text.
      const reason = opensslReason(cur);
      const problem = byReason.find(([re]) => re.test(reason))?.[1] ?? 'other';
      return { problem, reason: code, message: reason };
    }
    const problem = byCode[code] ?? (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') ? 'other' : undefined);
    if (problem) return { problem, reason: code, message: shortMessage(cur) };
  }
  return undefined;
}

const byReason: Array<[RegExp, TlsProblem]> = [
  [/wrong version number|packet length too long|http request/i, 'not-tls'],
  [/unknown ca|bad certificate|certificate required|certificate expired|certificate revoked/i, 'client-certificate'],
];

/** "write EPROTO 80...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/..." -> "wrong version number". */
function opensslReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return /:([^:]+):\.\.\//.exec(m)?.[1] ?? /SSL routines:[^:]*:([^:]+)/.exec(m)?.[1] ?? shortMessage(e);
}

/**
 * node-fetch prefixes "request to https://host/... failed, reason: "; keep
 * only the reason. Node 24 appends "; if the root CA is installed locally,
 * try running Node.js with --use-system-ca", which points away from the fix
 * for a cluster (its CA belongs in the kubeconfig): drop it.
 */
function shortMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const i = m.indexOf('reason: ');
  return (i >= 0 ? m.slice(i + 'reason: '.length) : m).replace(/; if the root CA is installed locally.*$/s, '').trim();
}
