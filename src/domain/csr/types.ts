/**
 * What csrbot knows about a CSR once it has read and verified it. Plain data
 * (JSON-serialisable), so it can travel in job payloads and store records.
 */

export type KeyAlgorithm = 'RSA' | 'EC' | 'Ed25519';
export type Curve = 'P-256' | 'P-384' | 'P-521';
export type HashName = 'sha256' | 'sha384' | 'sha512';

export interface SubjectAttribute {
  /** Dotted OID, e.g. 2.5.4.3. */
  oid: string;
  /** openssl's short name (CN, O, OU, C, emailAddress, …), or the OID when unknown. */
  name: string;
  /** The value as text, decoded exactly (UTF-8, BMP, Latin-1 …). */
  value: string;
  /** The ASN.1 string type it was encoded with. */
  stringType: string;
}

export interface Subject {
  /**
   * The CN Kubernetes would use as the username: with several CNs Go keeps
   * the last one (policy refuses such CSRs as ambiguous). Undefined without CN.
   */
  commonName: string | undefined;
  /** Every CN, in order. */
  commonNames: string[];
  /** Every O value, in order: the Kubernetes groups. */
  organizations: string[];
  /** Every attribute in order, CN and O included. */
  attributes: SubjectAttribute[];
  /** openssl -subj form, e.g. /CN=jane/O=dev (multi-valued RDNs joined with +). */
  text: string;
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
  /** Other GeneralName forms (otherName, directoryName, …), described. */
  other: string[];
}

export interface Extension {
  oid: string;
  /** Short name when known, else the OID. */
  name: string;
  critical: boolean;
}

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /** Modulus length for RSA, field size for EC (256/384/521), 256 for Ed25519. */
  bits: number;
  curve?: Curve;
  /**
   * SHA-256 of the SubjectPublicKeyInfo DER, lowercase hex without separators:
   * the same as `openssl req -in x.csr -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`.
   */
  fingerprintSha256: string;
}

export interface SignatureInfo {
  /** Dotted OID of the signature algorithm. */
  oid: string;
  /** e.g. sha256WithRSAEncryption, ecdsa-with-SHA256, RSASSA-PSS, Ed25519. */
  name: string;
  /** Digest used (none for Ed25519). */
  hash?: HashName;
  /** RSASSA-PSS salt length. */
  saltLength?: number;
}

export interface ParsedCsr {
  /**
   * The request as one canonical PEM block (64-column base64, LF, trailing
   * newline) of the exact DER that was verified: send this to Kubernetes.
   */
  pem: string;
  /** Where it came from: PEM text (possibly within other text) or raw DER. */
  inputForm: 'pem' | 'der' | 'base64';
  subject: Subject;
  sans: SubjectAltNames;
  /** Requested extensions (subjectAltName included). */
  extensions: Extension[];
  /** CSR attributes other than the extension request (e.g. challengePassword). */
  attributes: Array<{ oid: string; name: string }>;
  publicKey: PublicKeyInfo;
  signature: SignatureInfo;
}

/** SANs as one list of "DNS:x", "IP:y", ... the way openssl prints them. */
export function formatSans(s: SubjectAltNames): string[] {
  return [...s.dns.map((d) => `DNS:${d}`), ...s.ip.map((i) => `IP:${i}`), ...s.email.map((e) => `email:${e}`), ...s.uri.map((u) => `URI:${u}`), ...s.other];
}
