/**
 * Recognises what a DER structure is by its shape, so that a pasted key or
 * certificate is named as such rather than reported as "malformed CSR".
 */
import { CONTEXT, Tag, is, isSeq, kids, oid, prim, smallInt, type Node } from './der.js';

export type DerKind =
  { kind: 'csr' } | { kind: 'certificate' } | { kind: 'public-key' } | { kind: 'private-key'; found: string } | { kind: 'other'; found: string };

const PBES_PREFIXES = ['1.2.840.113549.1.5.', '1.2.840.113549.1.12.1.'];

export function classifyDer(root: Node): DerKind {
  const top = kids(root);
  if (!isSeq(root) || !top) return { kind: 'other', found: 'DER data of an unknown kind' };
  const [a, b, c] = top;

  // PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv (all INTEGERs).
  if (top.length >= 9 && top.every((n) => is(n, 0, Tag.INTEGER, false))) return { kind: 'private-key', found: 'PKCS#1 RSA private key (DER)' };
  // OpenSSL's traditional DSA private key: version, p, q, g, y, x.
  if (top.length === 6 && top.every((n) => is(n, 0, Tag.INTEGER, false))) return { kind: 'private-key', found: 'DSA private key (DER)' };
  // SEC1 ECPrivateKey: version 1, privateKey OCTET STRING, [0] params, [1] publicKey.
  if (smallInt(a) === 1 && prim(b, Tag.OCTET_STRING) !== undefined && top.length <= 4) return { kind: 'private-key', found: 'SEC1 EC private key (DER)' };
  // PKCS#8 PrivateKeyInfo / OneAsymmetricKey: version 0|1, AlgorithmIdentifier, OCTET STRING.
  if ((smallInt(a) === 0 || smallInt(a) === 1) && isSeq(b) && prim(c, Tag.OCTET_STRING) !== undefined) {
    return { kind: 'private-key', found: 'PKCS#8 private key (DER)' };
  }
  // EncryptedPrivateKeyInfo: AlgorithmIdentifier (PBES2 / PKCS#12 PBE), OCTET STRING.
  const encAlg = oid(kids(a)?.[0]);
  if (top.length === 2 && encAlg && PBES_PREFIXES.some((p) => encAlg.startsWith(p)) && prim(b, Tag.OCTET_STRING) !== undefined) {
    return { kind: 'private-key', found: 'encrypted PKCS#8 private key (DER)' };
  }
  // SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING.
  if (top.length === 2 && isSeq(a) && oid(kids(a)?.[0]) && prim(b, Tag.BIT_STRING) !== undefined) return { kind: 'public-key' };
  // PKCS#7 / CMS ContentInfo: OID, [0] content.
  const ct = oid(a);
  if (top.length === 2 && ct?.startsWith('1.2.840.113549.1.7.')) return { kind: 'other', found: 'a PKCS#7 / CMS structure' };

  // Signed envelopes (certificate or request): TBS, AlgorithmIdentifier, BIT STRING.
  if (top.length === 3 && isSeq(a) && isSeq(b) && prim(c, Tag.BIT_STRING) !== undefined) {
    const tbs = kids(a) ?? [];
    // A certificate's TBS starts with [0] version (or a serial INTEGER for v1) and has >= 6 fields.
    if (tbs.length >= 6 && (is(tbs[0], CONTEXT, 0, true) || is(tbs[0], 0, Tag.INTEGER, false))) return { kind: 'certificate' };
    if (tbs.length === 3 || tbs.length === 4) return { kind: 'csr' };
  }
  return { kind: 'other', found: 'DER data of an unknown kind' };
}
