/**
 * Which keys and signature algorithms csrbot accepts, and self-signature
 * verification with node:crypto. The accepted set is what Kubernetes' Go
 * x509 parser accepts too, so nothing we pass is refused later by the API.
 */
import { constants, createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Tag, bitStringBytes, fromBinary, is, isSeq, kids, oid, parseDer, prim, smallInt, type Node } from './der.js';
import { OID, curveNames, keyAlgorithmNames, signatureAlgorithmNames } from './oids.js';
import { fail } from './fail.js';
import type { Curve, HashName, PublicKeyInfo, SignatureInfo } from './types.js';

/** RSA moduli below this are refused as weak. */
export const MIN_RSA_BITS = 2048;
// Above this, OpenSSL itself refuses to verify; say so up front.
const MAX_RSA_BITS = 16384;

const CURVES: Readonly<Record<string, Curve>> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };
const CURVE_BITS: Readonly<Record<Curve, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };
const NODE_CURVE: Readonly<Record<Curve, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const HASHES: Readonly<Record<string, HashName>> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const HASH_LEN: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const RSA_PKCS1: Readonly<Record<string, HashName>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const ECDSA: Readonly<Record<string, HashName>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export interface ReadKey {
  info: PublicKeyInfo;
  key: KeyObject;
}

/** Reads the SubjectPublicKeyInfo; refuses unsupported and weak keys by name. */
export function readPublicKey(spkiNode: Node, spkiDer: Uint8Array, minRsaBits = MIN_RSA_BITS): ReadKey {
  const [algId, bits] = kids(spkiNode) ?? [];
  const [algOidNode, params, ...restAlg] = kids(algId) ?? [];
  const algOid = oid(algOidNode);
  if (!isSeq(algId) || !algOid || restAlg.length > 0 || !bitStringBytes(bits)) fail('CSR_MALFORMED', { reason: 'the public key structure is invalid' });

  let algorithm: PublicKeyInfo['algorithm'];
  let curve: Curve | undefined;
  if (algOid === OID.rsaEncryption) {
    // Go requires the NULL parameters that every RSA encoder writes.
    if (!is(params, 0, Tag.NULL, false)) fail('CSR_MALFORMED', { reason: 'the RSA key parameters are not NULL' });
    algorithm = 'RSA';
  } else if (algOid === OID.rsassaPss) {
    // Go (so Kubernetes) cannot read id-RSASSA-PSS keys: the API would refuse the CSR.
    return fail('CSR_UNSUPPORTED_KEY', { key: 'RSA-PSS (an RSA key restricted to PSS; make a plain RSA key with -algorithm RSA)' });
  } else if (algOid === OID.ecPublicKey) {
    const curveOid = oid(params);
    if (!curveOid) fail('CSR_UNSUPPORTED_KEY', { key: 'EC key with explicit curve parameters' });
    curve = CURVES[curveOid];
    if (!curve) fail('CSR_UNSUPPORTED_KEY', { key: `EC ${curveNames[curveOid] ?? `curve ${curveOid}`}` });
    algorithm = 'EC';
  } else if (algOid === OID.ed25519) {
    if (params !== undefined) fail('CSR_MALFORMED', { reason: 'Ed25519 keys take no parameters' });
    algorithm = 'Ed25519';
  } else {
    return fail('CSR_UNSUPPORTED_KEY', { key: keyAlgorithmNames[algOid] ?? `unknown algorithm ${algOid}` });
  }

  const key = importKey(algorithm, curve, bitStringBytes(bits)!);
  const details = key.asymmetricKeyDetails ?? {};
  let size: number;
  if (algorithm === 'RSA') {
    size = details.modulusLength ?? 0;
    const e = details.publicExponent ?? 0n;
    if (size > MAX_RSA_BITS) fail('CSR_UNSUPPORTED_KEY', { key: `RSA ${size}-bit (more than ${MAX_RSA_BITS} bits)` });
    if (size < minRsaBits) fail('CSR_WEAK_KEY', { key: `RSA ${size}-bit`, minimum: `RSA ${minRsaBits}-bit` });
    // e = 1 or even makes signatures forgeable or keys broken.
    // Go refuses exponents above 2^31-1; the API would reject the CSR.
    if (e > 0x7fffffffn) fail('CSR_UNSUPPORTED_KEY', { key: `RSA with public exponent ${e.toString()} (larger than Kubernetes accepts)` });
    if (e < 3n || e % 2n === 0n) fail('CSR_WEAK_KEY', { key: `RSA with public exponent ${e.toString()}`, minimum: 'an odd exponent >= 3 (normally 65537)' });
  } else if (algorithm === 'EC') {
    if (details.namedCurve !== NODE_CURVE[curve!]) fail('CSR_MALFORMED', { reason: 'the EC key does not match its curve' });
    size = CURVE_BITS[curve!];
  } else {
    if (key.asymmetricKeyType !== 'ed25519') fail('CSR_MALFORMED', { reason: 'the Ed25519 key is damaged' });
    size = 256;
  }
  const fingerprintSha256 = createHash('sha256').update(spkiDer).digest('hex');
  const info: PublicKeyInfo = curve ? { algorithm, bits: size, curve, fingerprintSha256 } : { algorithm, bits: size, fingerprintSha256 };
  return { info, key };
}

const COORD_BYTES: Readonly<Record<Curve, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };
const b64u = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/**
 * Imports the key as a JWK built from the SPKI's fields: Node's SPKI decoder
 * goes through OpenSSL 3's generic decoder chain and costs 2-15x more (see
 * bench/RESULTS.md). Node checks that EC points lie on the curve.
 */
function importKey(algorithm: PublicKeyInfo['algorithm'], curve: Curve | undefined, raw: Uint8Array): KeyObject {
  const damaged = (): never => fail('CSR_MALFORMED', { reason: `the ${algorithm} public key is damaged` });
  let jwk: JsonWebKey;
  if (algorithm === 'RSA') {
    let seq: Node;
    try {
      seq = parseDer(raw);
    } catch {
      return damaged();
    }
    const [n, e, ...rest] = kids(seq) ?? [];
    const nb = prim(n, Tag.INTEGER);
    const eb = prim(e, Tag.INTEGER);
    // Positive, minimally encoded (parseDer checked) integers only.
    if (!isSeq(seq) || rest.length > 0 || !nb || !eb || nb.charCodeAt(0) & 0x80 || eb.charCodeAt(0) & 0x80) return damaged();
    const strip = (v: string) => {
      let i = 0;
      while (i < v.length - 1 && v.charCodeAt(i) === 0) i++;
      return fromBinary(v.slice(i));
    };
    jwk = { kty: 'RSA', n: b64u(strip(nb)), e: b64u(strip(eb)) };
  } else if (algorithm === 'EC') {
    const len = COORD_BYTES[curve!];
    // Go reads only uncompressed points; the API would refuse anything else.
    if (raw[0] === 0x02 || raw[0] === 0x03)
      fail('CSR_UNSUPPORTED_KEY', { key: `EC ${curve!} with a compressed point (make the key without -conv_form compressed)` });
    if (raw[0] !== 0x04 || raw.length !== 1 + 2 * len) return damaged();
    jwk = { kty: 'EC', crv: curve!, x: b64u(raw.subarray(1, 1 + len)), y: b64u(raw.subarray(1 + len)) };
  } else {
    if (raw.length !== 32) return damaged();
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(raw) };
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return damaged();
  }
}

type VerifyPlan = { info: SignatureInfo; run: (data: Uint8Array, sig: Uint8Array) => boolean };

/** Reads the signature AlgorithmIdentifier and checks it fits the key. */
export function planVerification(algNode: Node, pub: ReadKey): VerifyPlan {
  const [oidNode, params, ...rest] = kids(algNode) ?? [];
  const algOid = oid(oidNode);
  if (!isSeq(algNode) || !algOid || rest.length > 0) fail('CSR_MALFORMED', { reason: 'the signature algorithm is invalid' });
  const name = signatureAlgorithmNames[algOid] ?? algOid;
  const keyType = pub.info.algorithm;
  const mismatch = () => fail('CSR_UNSUPPORTED_SIGNATURE', { algorithm: name, reason: `it does not fit the ${keyType} key` });
  const key = pub.key;

  const pkcs1 = RSA_PKCS1[algOid];
  if (pkcs1) {
    if (keyType !== 'RSA') mismatch();
    if (params !== undefined && !is(params, 0, Tag.NULL, false)) fail('CSR_MALFORMED', { reason: 'the signature algorithm parameters are invalid' });
    return { info: { oid: algOid, name, hash: pkcs1 }, run: (d, s) => verify(pkcs1, d, key, s) };
  }
  const ecdsa = ECDSA[algOid];
  if (ecdsa) {
    if (keyType !== 'EC') mismatch();
    if (params !== undefined) fail('CSR_MALFORMED', { reason: 'ECDSA signatures take no parameters' });
    return { info: { oid: algOid, name, hash: ecdsa }, run: (d, s) => verify(ecdsa, d, { key, dsaEncoding: 'der' }, s) };
  }
  if (algOid === OID.ed25519) {
    if (keyType !== 'Ed25519') mismatch();
    if (params !== undefined) fail('CSR_MALFORMED', { reason: 'Ed25519 signatures take no parameters' });
    return { info: { oid: algOid, name }, run: (d, s) => verify(null, d, key, s) };
  }
  if (algOid === OID.rsassaPss) {
    if (keyType !== 'RSA') mismatch();
    const { hash, saltLength } = readPssParams(params);
    return {
      info: { oid: algOid, name, hash, saltLength },
      run: (d, s) => verify(hash, d, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, s),
    };
  }
  const weak = /md5|sha1|SHA1|sha224|SHA224/.test(name);
  return fail('CSR_UNSUPPORTED_SIGNATURE', { algorithm: name, reason: weak ? 'that digest is too weak' : undefined });
}

/**
 * RSASSA-PSS-params. Go verifies PSS only with SHA-256/384/512, MGF1 over the
 * same digest and salt length equal to the digest length; we accept the same.
 */
function readPssParams(params: Node | undefined): { hash: HashName; saltLength: number } {
  const bad = (reason: string): never => fail('CSR_UNSUPPORTED_SIGNATURE', { algorithm: 'RSASSA-PSS', reason });
  const fields = kids(params);
  if (!isSeq(params) || !fields) return bad('its parameters are missing');
  let hashOid = OID.sha1 as string;
  let mgfHashOid = OID.sha1 as string;
  let salt = 20;
  let trailer = 1;
  let lastTag = -1;
  for (const f of fields) {
    const inner = kids(f)?.[0];
    if (f.tagClass !== 0x80 || !f.constructed || f.type <= lastTag || kids(f)?.length !== 1) return bad('its parameters are malformed');
    lastTag = f.type;
    if (f.type === 0) hashOid = algorithmOid(inner) ?? '';
    else if (f.type === 1) {
      const [mgfOid, mgfParams] = kids(inner) ?? [];
      if (oid(mgfOid) !== OID.mgf1) return bad('its mask generation function is not MGF1');
      mgfHashOid = algorithmOid(mgfParams) ?? '';
    } else if (f.type === 2) salt = smallInt(inner) ?? -1;
    else if (f.type === 3) trailer = smallInt(inner) ?? -1;
    else return bad('its parameters are malformed');
  }
  const hash = HASHES[hashOid];
  if (!hash) return bad('its digest is not SHA-256, SHA-384 or SHA-512');
  if (mgfHashOid !== hashOid) return bad('MGF1 uses a different digest than the signature');
  if (salt !== HASH_LEN[hash]) return bad(`salt length ${salt} is not the digest length ${HASH_LEN[hash]}; use -sigopt rsa_pss_saltlen:digest`);
  if (trailer !== 1) return bad('its trailer field is not 1');
  return { hash, saltLength: salt };
}

/** OID of an AlgorithmIdentifier whose parameters are absent or NULL. */
function algorithmOid(n: Node | undefined): string | undefined {
  const [o, p, ...rest] = kids(n) ?? [];
  if (!isSeq(n) || rest.length > 0 || (p !== undefined && !is(p, 0, Tag.NULL, false))) return undefined;
  return oid(o);
}

/** Runs the plan; any exception from OpenSSL (e.g. a malformed ECDSA DER signature) is a bad signature. */
export function verifySignature(plan: VerifyPlan, data: Uint8Array, sigNode: Node): boolean {
  const sig = bitStringBytes(sigNode);
  if (!sig || prim(sigNode, Tag.BIT_STRING) === undefined) return false;
  try {
    return plan.run(data, sig);
  } catch {
    return false;
  }
}
