/**
 * parseCsr: the one way csrbot reads a certificate signing request. It either
 * returns a CSR whose self-signature verified, with every name decoded
 * exactly, or throws a CsrbotError whose code says what was wrong.
 */
import { CsrbotError } from '../errors.js';
import { isSystemName } from '../kubernetes-rules.js';
import {
  CONTEXT,
  DerError,
  Tag,
  bitStringBytes,
  bool,
  childSpans,
  directoryString,
  fromBinary,
  is,
  isSeq,
  isSet,
  kids,
  oid,
  parseDer,
  prim,
  smallInt,
  type Node,
} from './der.js';
import { fail, intakeError } from './fail.js';
import { UNKNOWN_USER, opensslCommandsFor } from './openssl-commands.js';
import { OID, attributeNames, csrAttributeNames, extensionNames } from './oids.js';
import { MIN_RSA_BITS, planVerification, readPublicKey, verifySignature } from './public-key.js';
import { readCsrBytes } from './read-input.js';
import type { Extension, ParsedCsr, Subject, SubjectAltNames, SubjectAttribute } from './types.js';

export interface ParseOptions {
  /** Smallest RSA modulus accepted, in bits. Default 2048. */
  minRsaBits?: number;
  /** Largest CSR accepted, in DER bytes. Default MAX_CSR_BYTES (16 KiB). */
  maxCsrBytes?: number;
}

/** A real CSR is under 2 KiB; 300 OUs make 87 KB that would sit in Redis and etcd. */
export const MAX_CSR_BYTES = 16 * 1024;

/**
 * Reads one CSR from PEM text (surrounding text, CRLF and the NEW CERTIFICATE
 * REQUEST label allowed), DER bytes, or kubectl's base64, and verifies its
 * self-signature. Throws CsrbotError (CSR_* codes) for anything else.
 */
export function parseCsr(input: string | Uint8Array, options: ParseOptions = {}): ParsedCsr {
  try {
    return parse(input, options);
  } catch (e) {
    if (e instanceof CsrbotError) throw e;
    // Hostile input must never surface as a bare exception.
    throw intakeError('CSR_MALFORMED', { reason: 'it could not be read' }, e);
  }
}

function parse(input: string | Uint8Array, options: ParseOptions): ParsedCsr {
  const { der, form } = readCsrBytes(input);
  const maxBytes = options.maxCsrBytes ?? MAX_CSR_BYTES;
  if (der.byteLength > maxBytes) fail('CSR_TOO_LARGE', { bytes: der.byteLength, limit: maxBytes });
  let root: Node;
  try {
    root = parseDer(der);
  } catch (e) {
    if (e instanceof DerError && e.kind === 'truncated') fail('CSR_TRUNCATED', { reason: 'the data ends before the structure it announces' });
    return fail('CSR_MALFORMED', {
      reason: e instanceof DerError && /canonical/.test(e.message) ? 'it is not in DER form (Kubernetes would refuse it)' : 'its structure is invalid',
    });
  }

  const [cri, sigAlg, sigValue, ...extra] = kids(root) ?? [];
  const [version, subjectNode, spkiNode, attrsNode, ...extraCri] = kids(cri) ?? [];
  if (!isSeq(root) || !isSeq(cri) || extra.length > 0 || extraCri.length > 0 || !isSeq(sigAlg) || prim(sigValue, Tag.BIT_STRING) === undefined) {
    fail('CSR_MALFORMED', { reason: 'it does not have the structure of a certificate request' });
  }
  if (smallInt(version) !== 0) fail('CSR_MALFORMED', { reason: 'its version is not 1 (0)' });
  if (!isSeq(subjectNode) || !isSeq(spkiNode)) fail('CSR_MALFORMED', { reason: 'its subject or public key is missing' });
  if (attrsNode !== undefined && !is(attrsNode, CONTEXT, 0, true)) fail('CSR_MALFORMED', { reason: 'its attributes are invalid' });
  if (!bitStringBytes(sigValue)) fail('CSR_MALFORMED', { reason: 'its signature is not a whole number of bytes' });

  const subject = readSubject(subjectNode);
  const { extensions, sans, attributes } = readAttributes(attrsNode);

  // Byte ranges straight from the input: the signature covers these exact bytes.
  const [criSpan] = childSpans(der, 0);
  const criSpans = childSpans(der, criSpan!.start);
  const spkiSpan = criSpans[2]!;
  const criBytes = der.subarray(criSpan!.start, criSpan!.end);
  const spkiDer = der.subarray(spkiSpan.start, spkiSpan.end);

  // From here on the subject is known: refusals show it, and their fix-it
  // commands reuse its CN and groups instead of placeholders.
  let pub;
  let plan;
  try {
    pub = readPublicKey(spkiNode, spkiDer, options.minRsaBits ?? MIN_RSA_BITS);
    plan = planVerification(sigAlg!, pub);
    if (!verifySignature(plan, criBytes, sigValue!)) fail('CSR_BAD_SIGNATURE');
  } catch (e) {
    throw withSubject(e, subject);
  }

  return {
    pem: toPem(der),
    inputForm: form,
    subject,
    sans,
    extensions,
    attributes,
    publicKey: pub.info,
    signature: plan.info,
  };
}

function withSubject(e: unknown, subject: Subject): unknown {
  if (!(e instanceof CsrbotError)) return e;
  const user = subject.commonName && !isSystemName(subject.commonName) ? subject.commonName : UNKNOWN_USER;
  const groups = subject.organizations.filter((g) => !isSystemName(g));
  return new CsrbotError(e.code, { ...e.details, subject: subject.text, commands: opensslCommandsFor(user, groups).text });
}

/** 64-column base64 with LF line ends: the form Kubernetes and openssl print. */
export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

function readSubject(name: Node): Subject {
  const attributes: SubjectAttribute[] = [];
  const rdnTexts: string[] = [];
  for (const rdn of kids(name) ?? []) {
    const members = kids(rdn);
    if (!isSet(rdn) || !members || members.length === 0) fail('CSR_MALFORMED', { reason: 'its subject name is invalid' });
    const parts: string[] = [];
    for (const atv of members) {
      const [typeNode, valueNode, ...rest] = kids(atv) ?? [];
      const type = oid(typeNode);
      if (!isSeq(atv) || !type || rest.length > 0) fail('CSR_MALFORMED', { reason: 'its subject name is invalid' });
      const decoded = directoryString(valueNode);
      if (!decoded) fail('CSR_MALFORMED', { reason: `the subject field ${attributeNames[type] ?? type} is not valid text` });
      const attrName = attributeNames[type] ?? type;
      attributes.push({ oid: type, name: attrName, value: decoded.value, stringType: decoded.type });
      parts.push(`${attrName}=${decoded.value.replace(/[\\/+]/g, (c) => `\\${c}`)}`);
    }
    rdnTexts.push(parts.join('+'));
  }
  const commonNames = attributes.filter((a) => a.oid === OID.commonName).map((a) => a.value);
  return {
    commonName: commonNames.at(-1),
    commonNames,
    organizations: attributes.filter((a) => a.oid === OID.organization).map((a) => a.value),
    attributes,
    text: rdnTexts.map((r) => `/${r}`).join(''),
  };
}

function readAttributes(attrs: Node | undefined): { extensions: Extension[]; sans: SubjectAltNames; attributes: Array<{ oid: string; name: string }> } {
  const extensions: Extension[] = [];
  const sans: SubjectAltNames = { dns: [], ip: [], email: [], uri: [], other: [] };
  const attributes: Array<{ oid: string; name: string }> = [];
  let sawExtensions = false;
  for (const attr of kids(attrs) ?? []) {
    const [typeNode, values, ...rest] = kids(attr) ?? [];
    const type = oid(typeNode);
    if (!isSeq(attr) || !type || !isSet(values) || rest.length > 0) fail('CSR_MALFORMED', { reason: 'a request attribute is invalid' });
    if (type !== OID.extensionRequest && type !== OID.msExtensionRequest) {
      attributes.push({ oid: type, name: csrAttributeNames[type] ?? type });
      continue;
    }
    const [exts, ...more] = kids(values) ?? [];
    // Go reads only one set of requested extensions; two could hide a SAN.
    if (sawExtensions || more.length > 0 || !isSeq(exts)) fail('CSR_MALFORMED', { reason: 'it requests extensions more than once' });
    sawExtensions = true;
    const seen = new Set<string>();
    for (const ext of kids(exts) ?? []) {
      const fields = kids(ext) ?? [];
      const extOid = oid(fields[0]);
      const hasCritical = fields.length === 3;
      const critical = hasCritical ? bool(fields[1]) : false;
      const value = prim(fields[hasCritical ? 2 : 1], Tag.OCTET_STRING);
      if (!isSeq(ext) || !extOid || critical === undefined || value === undefined || fields.length < 2 || fields.length > 3) {
        fail('CSR_MALFORMED', { reason: 'a requested extension is invalid' });
      }
      if (seen.has(extOid)) fail('CSR_MALFORMED', { reason: `it requests the extension ${extensionNames[extOid] ?? extOid} twice` });
      seen.add(extOid);
      extensions.push({ oid: extOid, name: extensionNames[extOid] ?? extOid, critical });
      if (extOid === OID.subjectAltName) readSans(value, sans);
    }
  }
  return { extensions, sans, attributes };
}

function readSans(value: string, out: SubjectAltNames): void {
  let names: Node;
  try {
    names = parseDer(fromBinary(value));
  } catch {
    return fail('CSR_MALFORMED', { reason: 'its subjectAltName extension is invalid' });
  }
  const list = kids(names);
  if (!isSeq(names) || !list) fail('CSR_MALFORMED', { reason: 'its subjectAltName extension is invalid' });
  for (const gn of list) {
    const text = (type: number) => {
      const v = prim(gn, type, CONTEXT);
      // eslint-disable-next-line no-control-regex
      if (v === undefined || !/^[\x00-\x7f]*$/.test(v)) fail('CSR_MALFORMED', { reason: 'a subjectAltName entry is not valid ASCII' });
      return v;
    };
    if (gn.tagClass !== CONTEXT) fail('CSR_MALFORMED', { reason: 'its subjectAltName extension is invalid' });
    switch (gn.type as number) {
      case 1:
        out.email.push(text(1));
        break;
      case 2:
        out.dns.push(text(2));
        break;
      case 6:
        out.uri.push(text(6));
        break;
      case 7: {
        const ip = prim(gn, 7, CONTEXT);
        if (ip === undefined || (ip.length !== 4 && ip.length !== 16)) fail('CSR_MALFORMED', { reason: 'a subjectAltName IP address is invalid' });
        out.ip.push(formatIp(ip));
        break;
      }
      case 0:
        out.other.push(`otherName ${oid(kids(gn)?.[0]) ?? '?'}`);
        break;
      case 4:
        out.other.push('directoryName');
        break;
      case 8:
        out.other.push('registeredID');
        break;
      default:
        out.other.push(`GeneralName [${gn.type}]`);
    }
  }
}

function formatIp(raw: string): string {
  const b = Array.from(raw, (c) => c.charCodeAt(0));
  if (b.length === 4) return b.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: compress the longest run (>= 2) of zero groups, first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
