/**
 * The policy verdict on a parsed CSR. Every rule runs and every finding is
 * returned, so a user fixes everything in one go and an admin sees the whole
 * picture; errors refuse, warnings go on the admin card.
 */
import { describeError, type Details, type ErrorCode } from '../errors.js';
import { opensslCommandsFor, opensslReqCommand } from '../csr/openssl-commands.js';
import { formatSans, type ParsedCsr } from '../csr/types.js';
import { MIN_EXPIRATION_SECONDS, SYSTEM_MASTERS, isSystemName as isSystem } from '../kubernetes-rules.js';
import { hasInvisible } from '../visible.js';
import { defaultPolicyConfig, type PolicyConfig } from './policy-config.js';

export interface PolicyRequest {
  /** The requester's Kubernetes username; undefined skips identity pinning (e.g. the CLI without --user). */
  username?: string;
  /** Slack user group ids the requester belongs to (for usergroupGroups). */
  slackUsergroups?: readonly string[];
  /** Requested certificate lifetime; undefined means the configured default. */
  expirationSeconds?: number;
  /** Requested signer; undefined means the first allowed signer. */
  signerName?: string;
}

export interface Finding {
  code: ErrorCode;
  severity: 'error' | 'warning';
  /** The text a person sees (from the one code -> text table). */
  message: string;
  details: Details;
}

export interface PolicyVerdict {
  verdict: 'accept' | 'refuse';
  errors: Finding[];
  warnings: Finding[];
  /** The username the certificate would authenticate as (the CN). */
  username: string | undefined;
  /** The groups it would carry (the O values). */
  groups: string[];
  /** The lifetime to request from Kubernetes (default applied). */
  expirationSeconds: number;
  /** The signer to request (default applied). */
  signerName: string;
}

/** The user-UID subject attribute kube-apiserver reads when AllowParsingUserUIDFromCertAuth is on. */
export const USER_UID_OID = '1.3.6.1.4.1.57683.2';
const LEGACY_TYPES = new Set(['T61String', 'UniversalString']);
/** String types Kubernetes (Go's encoding/asn1) does not read in a name: csr/go-oracle.test.ts shows each vanishes from the certificate. */
const GO_DROPS = new Set(['VisibleString', 'UniversalString']);

/** Groups this requester may ask for, or 'any' when the allowlist is not checked. */
export function allowedGroupsFor(config: PolicyConfig, slackUsergroups: readonly string[] = []): readonly string[] | 'any' {
  if (config.allowedGroups === 'any') return 'any';
  const out = new Set(config.allowedGroups);
  for (const ug of slackUsergroups) for (const g of config.usergroupGroups[ug] ?? []) out.add(g);
  return [...out].filter((g) => !isSystem(g)).sort();
}

export function evaluatePolicy(csr: ParsedCsr, request: PolicyRequest = {}, config: PolicyConfig = defaultPolicyConfig): PolicyVerdict {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const add = (severity: Finding['severity'], code: ErrorCode, details: Details) =>
    (severity === 'error' ? errors : warnings).push({ code, severity, message: describeError(code, details), details });

  const { commonName, commonNames, organizations } = csr.subject;
  const allowed = allowedGroupsFor(config, request.slackUsergroups);
  const groups = [...new Set(organizations)];
  const permitted = (g: string) => !isSystem(g) && (allowed === 'any' || allowed.includes(g));
  // One command that fixes every subject problem at once: right CN, only permitted groups.
  const fixUser = request.username ?? (commonName && !isSystem(commonName) ? commonName : '<your-username>');
  const commands = opensslReqCommand(fixUser, groups.filter(permitted));

  // --- who ---
  // An empty CN is no username: kube-apiserver refuses a certificate whose CN is empty.
  if (commonNames.length === 0 || (commonNames.length === 1 && commonNames[0] === '')) add('error', 'CSR_NO_CN', { commands });
  else if (commonNames.length > 1) add('error', 'CSR_AMBIGUOUS_CN', { commonNames, commands });
  if (commonName !== undefined && isSystem(commonName)) add('error', 'CSR_SYSTEM_CN', { cn: commonName, commands });
  else if (request.username !== undefined && commonName !== undefined && commonName !== request.username) {
    add('error', 'CSR_CN_MISMATCH', { cn: commonName, expected: request.username, commands });
  }

  // --- groups ---
  if (groups.some((g) => g.toLowerCase() === SYSTEM_MASTERS)) add('error', 'CSR_SYSTEM_MASTERS', { commands });
  const otherSystem = groups.filter((g) => isSystem(g) && g.toLowerCase() !== SYSTEM_MASTERS);
  if (otherSystem.length > 0) add('error', 'CSR_SYSTEM_GROUP', { groups: otherSystem, commands });
  const notAllowed = groups.filter((g) => !isSystem(g) && !permitted(g));
  if (notAllowed.length > 0 && allowed !== 'any')
    add('error', 'CSR_GROUP_NOT_ALLOWED', { groups: notAllowed, allowed: allowed.length ? [...allowed] : 'none', commands });

  // --- how the names are written ---
  for (const a of csr.subject.attributes) {
    // Go's encoding/asn1 leaves these values nil and pkix.Name skips them: the issued certificate would lack this CN or O.
    if ((a.name === 'CN' || a.name === 'O') && GO_DROPS.has(a.stringType)) {
      add('error', 'CSR_STRING_TYPE_DROPPED', { field: a.name, value: a.value, stringType: a.stringType, commands });
    } else if ((a.name === 'CN' || a.name === 'O') && LEGACY_TYPES.has(a.stringType) && /[^\x20-\x7e]/.test(a.value)) {
      add('error', 'CSR_LEGACY_STRING', { field: a.name, value: a.value, stringType: a.stringType, commands });
    }
  }

  // --- text that would act instead of show (a newline faking a line on the card, a bidi override) ---
  const hidden = [
    ...csr.subject.attributes.filter((a) => hasInvisible(a.value)).map((a) => `${a.name}=${a.value}`),
    ...formatSans(csr.sans).filter(hasInvisible),
  ];
  if (hidden.length > 0) add('error', 'CSR_CONTROL_CHARACTERS', { values: hidden, commands });

  // --- kube-apiserver 1.37's user UID attribute: the in-tree signer drops it, another signer might not; never shown, so never accepted ---
  const uid = csr.subject.attributes.find((a) => a.oid === USER_UID_OID);
  if (uid) add('error', 'CSR_USER_UID', { value: uid.value, commands });

  // --- key strength (the parser enforces 2048; a policy may demand more) ---
  if (csr.publicKey.algorithm === 'RSA' && csr.publicKey.bits < config.minRsaBits) {
    add('error', 'CSR_WEAK_KEY', {
      key: `RSA ${csr.publicKey.bits}-bit`,
      minimum: `RSA ${config.minRsaBits}-bit`,
      commands: opensslCommandsFor(fixUser, groups.filter(permitted)).text,
    });
  }

  // --- SANs ---
  const sans = formatSans(csr.sans);
  if (sans.length > 0) add(config.sans === 'refuse' ? 'error' : 'warning', 'CSR_SANS_PRESENT', { sans, refused: config.sans === 'refuse', commands });

  // --- lifetime ---
  const expirationSeconds = request.expirationSeconds ?? config.lifetime.defaultSeconds;
  if (!Number.isSafeInteger(expirationSeconds)) add('error', 'CSR_LIFETIME_INVALID', { requested: String(expirationSeconds) });
  else if (expirationSeconds < MIN_EXPIRATION_SECONDS)
    add('error', 'CSR_LIFETIME_TOO_SHORT', { requested: expirationSeconds, minimum: MIN_EXPIRATION_SECONDS });
  else if (expirationSeconds > config.lifetime.maxSeconds)
    add('error', 'CSR_LIFETIME_TOO_LONG', { requested: expirationSeconds, maximum: config.lifetime.maxSeconds });

  // --- signer ---
  const signerName = request.signerName ?? config.allowedSigners[0] ?? '';
  if (!config.allowedSigners.includes(signerName)) add('error', 'CSR_SIGNER_NOT_ALLOWED', { signer: signerName, allowed: [...config.allowedSigners] });

  return { verdict: errors.length ? 'refuse' : 'accept', errors, warnings, username: commonName, groups, expirationSeconds, signerName };
}
