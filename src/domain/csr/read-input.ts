/**
 * Finds the one CSR in whatever a user sent (PEM in chat text, a .csr file,
 * DER bytes, kubectl's base64) and refuses everything else by name.
 */
import { CsrbotError } from '../errors.js';
import { isPrivateKeyLabel } from '../private-key.js';
import { classifyDer } from './classify-der.js';
import { DerError, parseDer } from './der.js';
import { fail } from './fail.js';

/** Inputs above this are refused before any parsing: a CSR is a few KB at most. */
export const MAX_INPUT_BYTES = 64 * 1024;

export interface CsrBytes {
  der: Uint8Array;
  form: 'pem' | 'der' | 'base64';
}

const BEGIN_RE = /-----BEGIN ([^\r\n-]{1,64})-----/g;
const BLOCK_RE = /-----BEGIN ([^\r\n-]{1,64})-----([\s\S]*?)-----END ([^\r\n-]{1,64})-----/g;
const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

export function readCsrBytes(input: string | Uint8Array): CsrBytes {
  if (typeof input === 'string') {
    const size = Buffer.byteLength(input, 'utf8');
    if (size > MAX_INPUT_BYTES) fail('CSR_TOO_LARGE', { bytes: size, limit: MAX_INPUT_BYTES });
    return fromText(input, true);
  }
  if (!(input instanceof Uint8Array)) fail('CSR_GARBAGE', { found: `a ${typeof input} value` });
  if (input.byteLength > MAX_INPUT_BYTES) fail('CSR_TOO_LARGE', { bytes: input.byteLength, limit: MAX_INPUT_BYTES });
  if (input.byteLength === 0) fail('CSR_EMPTY');
  const text = asText(input);
  // DER first: a DER SEQUENCE starts with 0x30, which is also the text "0".
  if (input[0] === 0x30 && (text === undefined || !text.includes('-----BEGIN'))) {
    const der = tryDer(input);
    if (der) return der;
  }
  if (text !== undefined) return fromText(text, true);
  if (input[0] === 0x30) {
    // Looks like DER but is not whole: tell the user it is cut off or damaged.
    fromDer(input, 'der');
  }
  return fail('CSR_GARBAGE', { found: 'binary data' });
}

/** Text decoding for byte input: valid UTF-8 without control characters, else not text. */
function asText(bytes: Uint8Array): string | undefined {
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0e-\x1f\x7f]/.test(s) ? undefined : s;
}

function tryDer(bytes: Uint8Array): CsrBytes | undefined {
  try {
    return fromDer(bytes, 'der');
  } catch (e) {
    if (e instanceof CsrbotError && (e.code === 'CSR_TRUNCATED' || e.code === 'CSR_GARBAGE')) return undefined;
    throw e;
  }
}

/** Classifies DER bytes; returns them when they have the shape of a CSR. */
function fromDer(bytes: Uint8Array, form: CsrBytes['form'], labelledCsr = false): CsrBytes {
  let root;
  try {
    root = parseDer(bytes, { canonical: false });
  } catch (e) {
    if (e instanceof DerError && e.kind === 'truncated') fail('CSR_TRUNCATED', { reason: 'the data ends before the structure it announces' });
    if (e instanceof DerError && e.kind === 'trailing') fail('CSR_MALFORMED', { reason: 'there are extra bytes after the request' });
    if (labelledCsr) fail('CSR_MALFORMED', { reason: 'the data inside the PEM block is not valid DER' });
    return fail('CSR_GARBAGE', { found: 'binary data' });
  }
  const kind = classifyDer(root);
  switch (kind.kind) {
    case 'csr':
      return { der: bytes, form };
    case 'private-key':
      return fail('CSR_PRIVATE_KEY', { found: kind.found });
    case 'certificate':
      return fail('CSR_IS_CERTIFICATE');
    case 'public-key':
      return fail('CSR_IS_PUBLIC_KEY');
    case 'other':
      if (labelledCsr) return fail('CSR_MALFORMED', { reason: 'the PEM block does not hold a certificate request structure' });
      return fail('CSR_GARBAGE', { found: kind.found });
  }
}

function fromText(raw: string, allowBase64: boolean): CsrBytes {
  const text = raw.replace(/\r\n?/g, '\n');
  if (text.trim() === '') fail('CSR_EMPTY');

  // A key anywhere in the input is exposed, whatever else is there.
  const keyLabel = [...text.matchAll(BEGIN_RE)].map((m) => (m[1] ?? '').trim()).find(isPrivateKeyLabel);
  if (keyLabel !== undefined) fail('CSR_PRIVATE_KEY', { found: `a PEM block labelled "${keyLabel}"` });
  if (/PuTTY-User-Key-File-\d+:/.test(text)) fail('CSR_PRIVATE_KEY', { found: 'PuTTY private key' });

  const blocks = [...text.matchAll(BLOCK_RE)].map((m) => ({ label: (m[1] ?? '').trim(), body: m[2] ?? '', end: (m[3] ?? '').trim() }));
  if (blocks.length === 0) {
    const begin = /-----BEGIN ([^\r\n-]{1,64})-----/.exec(text);
    if (begin) {
      const label = (begin[1] ?? '').trim();
      if (CSR_LABELS.has(label)) fail('CSR_TRUNCATED', { reason: 'the -----END CERTIFICATE REQUEST----- line is missing' });
      if (CERT_LABELS.has(label)) fail('CSR_IS_CERTIFICATE');
      if (/PUBLIC KEY$/.test(label)) fail('CSR_IS_PUBLIC_KEY');
      fail('CSR_UNEXPECTED_PEM', { label });
    }
    if (allowBase64) {
      const decoded = base64Payload(text);
      if (decoded) return decoded;
    }
    const trimmed = text.trim();
    if (/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-|sk-(ssh|ecdsa))/.test(trimmed)) fail('CSR_NOT_PEM', { found: 'an SSH public key' });
    if (/^[\w.+-]+@[\w-]+(\.[\w-]+)+$/.test(trimmed)) fail('CSR_NOT_PEM', { found: 'an email address' });
    return fail('CSR_NOT_PEM', { found: 'text' });
  }

  const csrs = blocks.filter((b) => CSR_LABELS.has(b.label));
  if (blocks.length > 1) fail('CSR_MULTIPLE', { found: describeBlocks(blocks.map((b) => b.label)), count: blocks.length });
  const block = blocks[0]!;
  if (block.end !== block.label) fail('CSR_TRUNCATED', { reason: `the block starts as "${block.label}" but ends as "${block.end}"` });
  if (csrs.length === 0) {
    if (CERT_LABELS.has(block.label)) fail('CSR_IS_CERTIFICATE');
    if (/PUBLIC KEY$/.test(block.label)) fail('CSR_IS_PUBLIC_KEY');
    fail('CSR_UNEXPECTED_PEM', { label: block.label });
  }
  return fromDer(decodeBody(block.body), 'pem', true);
}

function decodeBody(body: string): Uint8Array {
  // RFC 7468 allows no headers, but RFC 1421 "Key: value" lines still turn up.
  const lines = body.split('\n').filter((l) => !/^[A-Za-z-]+:/.test(l.trim()));
  const b64 = lines.join('').replace(/[ \t\n\r\f\v]/g, '');
  if (b64 === '') fail('CSR_TRUNCATED', { reason: 'the block between BEGIN and END is empty' });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) fail('CSR_BAD_BASE64');
  if (b64.length % 4 !== 0) fail('CSR_TRUNCATED', { reason: 'the base64 text stops in the middle of a group' });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** kubectl shows spec.request as base64 of the PEM; people paste that too. */
function base64Payload(text: string): CsrBytes | undefined {
  const b64 = text.replace(/\s+/g, '');
  if (b64.length < 64 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  const inner = asText(bytes);
  if (inner?.includes('-----BEGIN')) return { ...fromText(inner, false), form: 'base64' };
  if (bytes[0] === 0x30) {
    const der = tryDer(bytes);
    if (der) return { ...der, form: 'base64' };
  }
  return undefined;
}

function describeBlocks(labels: string[]): string {
  const counts = new Map<string, number>();
  for (const l of labels) {
    const name = CSR_LABELS.has(l) ? 'certificate request' : CERT_LABELS.has(l) ? 'certificate' : /PUBLIC KEY$/.test(l) ? 'public key' : `"${l}" block`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => (n === 1 ? `1 ${name}` : `${n} ${name}s`)).join(' and ');
}
