/**
 * CSRs built byte by byte, so a subject can use any ASN.1 string type and any
 * bytes (openssl only writes a few). Signed for real with one P-256 key: the
 * signature is never why a case is refused. Deterministic from a seed.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
export { seededRandom as prng } from '../seeded-random.js';

export const StringTag = {
  UTF8String: 12,
  NumericString: 18,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  VisibleString: 26,
  UniversalString: 28,
  BMPString: 30,
} as const;
export type StringType = keyof typeof StringTag;

/** The string types Go's encoding/asn1 reads into a pkix.Name; the others it drops. */
export const GO_READS: readonly StringType[] = ['UTF8String', 'PrintableString', 'IA5String', 'T61String', 'BMPString', 'NumericString'];

const CN = '2.5.4.3';
const O = '2.5.4.10';
const OU = '2.5.4.11';
export const UID_OID = '1.3.6.1.4.1.57683.2';

export interface Attr {
  oid: string;
  type: StringType;
  /** The value's bytes as written (may be invalid for the type on purpose). */
  bytes: Uint8Array;
}

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}
function tlv(tag: number, content: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...len(content.length), ...content]);
}
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const seq = (...parts: Uint8Array[]) => tlv(0x30, cat(...parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, cat(...parts));
function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const body = [a! * 40 + b!];
  for (const n of rest) {
    const parts: number[] = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) parts.unshift((v & 0x7f) | 0x80);
    body.push(...parts);
  }
  return tlv(0x06, Uint8Array.from(body));
}

/** The bytes a string type would carry for `s` (UCS-2/UCS-4 big-endian for BMP/Universal, Latin-1 for T61, UTF-8 otherwise). */
export function encodeAs(type: StringType, s: string): Uint8Array {
  if (type === 'BMPString') {
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) >> 8, s.charCodeAt(i) & 0xff);
    return Uint8Array.from(out);
  }
  if (type === 'UniversalString') return Uint8Array.from([...s].flatMap((c) => [0, 0, 0, 0].map((_, i) => (c.codePointAt(0)! >> (24 - 8 * i)) & 0xff)));
  if (type === 'T61String') return Uint8Array.from([...s].map((c) => c.charCodeAt(0) & 0xff));
  return new TextEncoder().encode(s);
}

export class CsrFactory {
  private constructor(
    private readonly key: KeyObject,
    private readonly spki: Uint8Array,
  ) {}
  static create(): CsrFactory {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new CsrFactory(privateKey, new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  }

  /** A signed CSR whose subject is `rdns` (each inner list one RDN, usually of one attribute). */
  csr(rdns: Attr[][]): Uint8Array {
    const name = seq(...rdns.map((rdn) => set(...rdn.map((a) => seq(oid(a.oid), tlv(StringTag[a.type], a.bytes))))));
    const cri = seq(tlv(0x02, Uint8Array.from([0])), name, this.spki, tlv(0xa0, new Uint8Array()));
    const sig = new Uint8Array(sign('sha256', cri, this.key));
    return seq(cri, seq(oid('1.2.840.10045.4.3.2')), tlv(0x03, cat(Uint8Array.from([0]), sig)));
  }
}

export const attr = (o: 'CN' | 'O' | 'OU' | 'UID', type: StringType, value: string | Uint8Array): Attr => ({
  oid: { CN, O, OU, UID: UID_OID }[o],
  type,
  bytes: typeof value === 'string' ? encodeAs(type, value) : value,
});
