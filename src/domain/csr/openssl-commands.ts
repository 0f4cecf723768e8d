/**
 * The exact openssl commands a user runs to make an acceptable request. Shown
 * by the Slack flow to users without a CSR, and inside refusal messages.
 */
import { visible } from '../visible.js';

export interface OpensslCommands {
  /** Makes a new private key (ECDSA P-256 unless asked otherwise). */
  generateKey: string;
  /** Makes the request from the key, with the subject Kubernetes needs. */
  createRequest: string;
  keyFile: string;
  csrFile: string;
  /** Both commands, one per line, ready to paste into a message. */
  text: string;
}

export type KeyChoice = 'ec' | 'rsa' | 'ed25519';

/** Placeholder used when the requester's username is not known (e.g. in the parser). */
export const UNKNOWN_USER = 'YOUR-USERNAME';

/** Commands to make a new key and a request for `username` in `groups`. */
export function opensslCommandsFor(username: string, groups: readonly string[] = [], opts: { key?: KeyChoice } = {}): OpensslCommands {
  const base = fileBase(username);
  const keyFile = `${base}.key`;
  const csrFile = `${base}.csr`;
  const generateKey =
    opts.key === 'rsa'
      ? `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out ${keyFile}`
      : opts.key === 'ed25519'
        ? `openssl genpkey -algorithm ed25519 -out ${keyFile}`
        : `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${keyFile}`;
  const createRequest = opensslReqCommand(username, groups, keyFile, csrFile);
  return { generateKey, createRequest, keyFile, csrFile, text: `${generateKey}\n${createRequest}` };
}

/** Just the `openssl req` line, for users whose key is fine but whose subject is wrong. */
export function opensslReqCommand(
  username: string,
  groups: readonly string[] = [],
  keyFile = `${fileBase(username)}.key`,
  csrFile = `${fileBase(username)}.csr`,
): string {
  const subject = opensslSubject(username, groups);
  // openssl reads -subj as ASCII unless told otherwise; -utf8 keeps "김민준" intact.
  const utf8 = /[^\x20-\x7e]/.test(subject) ? ' -utf8' : '';
  return `openssl req -new -key ${keyFile}${utf8} -subj ${shellQuote(subject)} -out ${csrFile}`;
}

/** The -subj argument: /CN=<user>/O=<g1>/O=<g2>, with openssl's separators escaped. */
export function opensslSubject(username: string, groups: readonly string[] = []): string {
  // A control character in a name the user sent is shown escaped, never pasted into a command as-is.
  const esc = (v: string) => visible(v).replace(/[\\/+]/g, (c) => `\\${c}`);
  return `/CN=${esc(username)}${groups.map((g) => `/O=${esc(g)}`).join('')}`;
}

function shellQuote(s: string): string {
  // Double quotes read best (and match what people find in docs); fall back to
  // single quotes when the shell would otherwise interpret something.
  if (!/["$`\\!]/.test(s)) return `"${s}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A file name made from a username (or cluster name) that is safe on Linux, macOS and Windows and in a shell command. */
export function fileBase(username: string): string {
  const safe = username.replace(/[^\p{L}\p{N}._@-]/gu, '_');
  return safe === '' || safe.startsWith('-') || safe.startsWith('.') ? `user${safe}` : safe;
}
