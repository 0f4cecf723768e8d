/**
 * A thin, strict layer over node-forge's ASN.1 reader. forge works on "binary
 * strings" (one char per byte); everything leaving this file is a JS string
 * of real text, a Uint8Array, or a number.
 */
import forge from 'node-forge';

export type Node = forge.asn1.Asn1;

// forge's reader also takes an options object (strict, parseAllBytes, ...);
// @types/node-forge only declares the boolean form. This adds the overload.
declare module 'node-forge' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augments forge's own namespace
  namespace asn1 {
    function fromDer(bytes: string, options: { strict?: boolean; parseAllBytes?: boolean; decodeBitStrings?: boolean; maxDepth?: number }): Asn1;
  }
}

export const Tag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  NUMERIC_STRING: 18,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  VISIBLE_STRING: 26,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

export const UNIVERSAL = 0x00;
export const CONTEXT = 0x80;

/** Why a DER read failed: truncated input reads differently to users than noise. */
export class DerError extends Error {
  constructor(
    readonly kind: 'truncated' | 'trailing' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'DerError';
  }
}

// A CSR nests about 8 deep; 32 leaves room for odd SANs while bounding work on hostile input.
const MAX_DEPTH = 32;

export function toBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function fromBinary(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * Parses exactly one DER element covering all of `bytes`, and insists the
 * encoding is canonical: forge also accepts BER (indefinite or padded
 * lengths), which Kubernetes' Go parser refuses, and the bytes we verify must
 * be the bytes Kubernetes reads.
 */
export function parseDer(bytes: Uint8Array, opts: { canonical?: boolean } = {}): Node {
  const bin = toBinary(bytes);
  let node: Node;
  try {
    node = forge.asn1.fromDer(bin, {
      strict: true,
      parseAllBytes: true,
      decodeBitStrings: false,
      maxDepth: MAX_DEPTH,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/too few bytes/i.test(msg)) throw new DerError('truncated', msg);
    if (/unparsed der bytes/i.test(msg)) throw new DerError('trailing', msg);
    throw new DerError('malformed', msg);
  }
  if (opts.canonical !== false) {
    let again: string;
    try {
      again = forge.asn1.toDer(node).getBytes();
    } catch (e) {
      throw new DerError('malformed', e instanceof Error ? e.message : String(e));
    }
    if (again !== bin) throw new DerError('malformed', 'not in canonical DER form');
  }
  return node;
}

/** Any node whose value is a list of children (SEQUENCE, SET, explicit tags). */
export function kids(n: Node | undefined): Node[] | undefined {
  return n && n.constructed && Array.isArray(n.value) ? n.value : undefined;
}

export function is(n: Node | undefined, tagClass: number, type: number, constructed: boolean): n is Node {
  return n !== undefined && n.tagClass === tagClass && n.type === type && n.constructed === constructed;
}

export const isSeq = (n: Node | undefined): n is Node => is(n, UNIVERSAL, Tag.SEQUENCE, true);
export const isSet = (n: Node | undefined): n is Node => is(n, UNIVERSAL, Tag.SET, true);

/** The raw content bytes (binary string) of a primitive node. */
export function prim(n: Node | undefined, type: number, tagClass = UNIVERSAL): string | undefined {
  return is(n, tagClass, type, false) && typeof n.value === 'string' ? n.value : undefined;
}

/** Strict OID decoding (forge's decoder tolerates padded sub-identifiers). */
export function oid(n: Node | undefined): string | undefined {
  const v = prim(n, Tag.OID);
  if (v === undefined || v.length === 0 || v.length > 64) return undefined;
  const arcs: number[] = [];
  let acc = 0;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v.charCodeAt(i);
    if (fresh && b === 0x80) return undefined; // non-minimal sub-identifier
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) return undefined;
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(acc);
      acc = 0;
    }
  }
  if (!fresh) return undefined; // last sub-identifier unterminated
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** INTEGER as a small number; undefined when absent, negative or too large. */
export function smallInt(n: Node | undefined): number | undefined {
  const v = prim(n, Tag.INTEGER);
  if (v === undefined || v.length === 0 || v.length > 6) return undefined;
  if (v.charCodeAt(0) & 0x80) return undefined;
  let r = 0;
  for (let i = 0; i < v.length; i++) r = r * 256 + v.charCodeAt(i);
  return r;
}

/** DER BOOLEAN: only 0x00 and 0xFF are allowed (Go refuses anything else). */
export function bool(n: Node | undefined): boolean | undefined {
  const v = prim(n, Tag.BOOLEAN);
  if (v === '\x00') return false;
  if (v === '\xff') return true;
  return undefined;
}

/** BIT STRING with no unused bits, as bytes. */
export function bitStringBytes(n: Node | undefined): Uint8Array | undefined {
  const v = prim(n, Tag.BIT_STRING);
  if (v === undefined || v.length < 1 || v.charCodeAt(0) !== 0) return undefined;
  return fromBinary(v.slice(1));
}

export type StringType = 'UTF8String' | 'PrintableString' | 'IA5String' | 'T61String' | 'BMPString' | 'UniversalString' | 'VisibleString' | 'NumericString';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SURROGATE = /[\ud800-\udfff]/;

/**
 * Decodes a directory string to real text. Returns undefined for encodings
 * that are broken (invalid UTF-8, odd-length BMP, lone surrogates), because a
 * name we cannot read exactly is a name we must not approve.
 */
export function directoryString(n: Node | undefined): { value: string; type: StringType } | undefined {
  if (!n || n.tagClass !== UNIVERSAL || n.constructed || typeof n.value !== 'string') return undefined;
  const v = n.value;
  switch (n.type as number) {
    case Tag.UTF8_STRING:
      try {
        return { value: utf8.decode(fromBinary(v)), type: 'UTF8String' };
      } catch {
        return undefined;
      }
    case Tag.PRINTABLE_STRING:
      return /^[A-Za-z0-9 '()+,\-./:=?*&]*$/.test(v) ? { value: v, type: 'PrintableString' } : undefined;
    case Tag.IA5_STRING:
      // eslint-disable-next-line no-control-regex
      return /^[\x00-\x7f]*$/.test(v) ? { value: v, type: 'IA5String' } : undefined;
    case Tag.VISIBLE_STRING:
      return /^[\x20-\x7e]*$/.test(v) ? { value: v, type: 'VisibleString' } : undefined;
    case Tag.NUMERIC_STRING:
      return /^[0-9 ]*$/.test(v) ? { value: v, type: 'NumericString' } : undefined;
    case Tag.T61_STRING:
      // Teletex in practice carries Latin-1 (that is what openssl writes).
      return { value: v, type: 'T61String' };
    case Tag.BMP_STRING:
      // forge already turned each UCS-2 pair into one UTF-16 code unit. BMPString is UCS-2: Go refuses any
      // surrogate, paired or not (the x509 oracle showed a paired one, an emoji, accepted here and refused there).
      return SURROGATE.test(v) ? undefined : { value: v, type: 'BMPString' };
    case Tag.UNIVERSAL_STRING: {
      if (v.length % 4 !== 0) return undefined;
      let out = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v.charCodeAt(i) << 24) | (v.charCodeAt(i + 1) << 16) | (v.charCodeAt(i + 2) << 8) | v.charCodeAt(i + 3)) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        out += String.fromCodePoint(cp);
      }
      return { value: out, type: 'UniversalString' };
    }
    default:
      return undefined;
  }
}

/**
 * Byte offsets of the children of the constructed element starting at
 * `start`, read from the original bytes so signatures are checked over
 * exactly what the requester signed. Only called on input parseDer accepted,
 * so lengths are definite and well-formed.
 */
export function childSpans(bytes: Uint8Array, start: number): Array<{ start: number; end: number }> {
  const outer = header(bytes, start);
  const spans: Array<{ start: number; end: number }> = [];
  let at = outer.contentStart;
  while (at < outer.end) {
    const h = header(bytes, at);
    spans.push({ start: at, end: h.end });
    at = h.end;
  }
  return spans;
}

function header(bytes: Uint8Array, at: number): { contentStart: number; end: number } {
  const first = bytes[at + 1] ?? 0;
  if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (bytes[at + 2 + i] ?? 0);
  return { contentStart: at + 2 + n, end: at + 2 + n + len };
}
