/**
 * `csrbot check-csr <file>`: what csrbot would make of a CSR, for users before
 * they send it and for admins reviewing one. Exit 0 acceptable, 1 a readable
 * CSR that is refused (policy or signature), 2 not a CSR at all.
 */
import { parseArgs } from 'node:util';
import { formatSans, kubernetesIdentityOf, opensslCommandsFor, parseCsr, type ParsedCsr } from '../domain/csr/index.js';
import { CsrbotError, describeError, type ErrorCode } from '../domain/errors.js';
import { defaultPolicyConfig, evaluatePolicy, parsePolicyConfigText, type Finding, type PolicyConfig, type PolicyVerdict } from '../domain/policy/index.js';
import { CLIENT_SIGNER } from '../domain/kubernetes-rules.js';
import { EXIT_NO_INPUT, EXIT_USAGE, type CliIo } from './io.js';

export const CHECK_CSR_USAGE = `Usage: csrbot check-csr <file> [options]

Reads a certificate signing request (PEM, DER or kubectl's base64) and prints
what csrbot sees: the subject, the key, the Kubernetes identity a certificate
would carry, and the policy verdict with every finding.

Options:
  --user <name>             the requester's Kubernetes username: the CN must equal it
  --groups <a,b>            groups this requester may ask for (else only built-in rules)
  --policy <policy.json>    a csrbot policy file (allowed groups, SANs, lifetime, signers)
  --slack-usergroups <ids>  the requester's Slack user group ids, for the policy's mappings
  --lifetime <seconds>      requested certificate lifetime (default: the policy's)
  --signer <name>           requested signer (default: ${CLIENT_SIGNER})
  --json                    print the result as JSON
  -h, --help                show this help

Exit codes: 0 acceptable (warnings may be printed), 1 refused (policy or bad
signature), 2 not a certificate request (private key, certificate, garbage,
empty, several requests), ${EXIT_USAGE} usage or policy file error, ${EXIT_NO_INPUT} file not readable.`;

/** Codes for input that is not a (single, readable) CSR at all: exit 2. */
const NOT_A_CSR: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CSR_EMPTY',
  'CSR_TOO_LARGE',
  'CSR_PRIVATE_KEY',
  'CSR_IS_CERTIFICATE',
  'CSR_IS_PUBLIC_KEY',
  'CSR_UNEXPECTED_PEM',
  'CSR_NOT_PEM',
  'CSR_GARBAGE',
  'CSR_BAD_BASE64',
  'CSR_TRUNCATED',
  'CSR_MALFORMED',
  'CSR_MULTIPLE',
]);

export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return NOT_A_CSR.has(code) ? 2 : 1;
}

export function checkCsr(argv: string[], io: CliIo): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        groups: { type: 'string' },
        policy: { type: 'string' },
        'slack-usergroups': { type: 'string' },
        lifetime: { type: 'string' },
        signer: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n\n${CHECK_CSR_USAGE}`);
    return EXIT_USAGE;
  }
  const { values: opt, positionals } = args;
  if (opt.help) {
    io.out(CHECK_CSR_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`check-csr takes exactly one file.\n\n${CHECK_CSR_USAGE}`);
    return EXIT_USAGE;
  }
  const file = positionals[0]!;
  const list = (s: string | undefined) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const groups = opt.groups === undefined ? undefined : list(opt.groups);
  let lifetime: number | undefined;
  if (opt.lifetime !== undefined) {
    lifetime = Number(opt.lifetime);
    if (opt.lifetime.trim() === '' || Number.isNaN(lifetime)) {
      io.err(`--lifetime takes a number of seconds, e.g. --lifetime 86400 (got "${opt.lifetime}").`);
      return EXIT_USAGE;
    }
  }

  // Built-in rules only unless told which groups are allowed.
  let config: PolicyConfig = { ...defaultPolicyConfig, allowedGroups: 'any' };
  let policySource = 'built-in rules only (system: refusals, key strength, lifetime, signer)';
  if (opt.policy !== undefined) {
    let text: string;
    try {
      text = new TextDecoder().decode(io.readFile(opt.policy));
    } catch (e) {
      io.err(`Cannot read the policy file ${opt.policy}: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT_NO_INPUT;
    }
    try {
      config = parsePolicyConfigText(text, opt.policy);
    } catch (e) {
      io.err(e instanceof CsrbotError ? e.userMessage : String(e));
      return EXIT_USAGE;
    }
    policySource = `policy ${opt.policy}`;
  }
  if (groups !== undefined) {
    const base = opt.policy !== undefined && config.allowedGroups !== 'any' ? config.allowedGroups : [];
    config = { ...config, allowedGroups: [...new Set([...base, ...groups])] };
    policySource = opt.policy !== undefined ? `${policySource} + --groups` : 'built-in rules + --groups allowlist';
  }

  let bytes: Uint8Array;
  try {
    bytes = io.readFile(file);
  } catch (e) {
    io.err(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_NO_INPUT;
  }

  let csr: ParsedCsr;
  try {
    csr = parseCsr(bytes, { minRsaBits: config.minRsaBits, maxCsrBytes: config.maxCsrBytes });
  } catch (e) {
    if (!(e instanceof CsrbotError)) throw e;
    const exit = exitCodeFor(e.code);
    // With --user the fix-it commands can name the real user and groups.
    const details = opt.user !== undefined ? { ...e.details, commands: opensslCommandsFor(opt.user, groups ?? []).text } : e.details;
    const message = describeError(e.code, details);
    if (opt.json) io.out(JSON.stringify({ file, verdict: exit === 2 ? 'not-a-csr' : 'refuse', error: { code: e.code, message, details } }, null, 2));
    else {
      const subject = typeof e.details.subject === 'string' ? `\n  Subject: ${e.details.subject || '(empty)'}\n` : '';
      io.out(`${file}: ${exit === 2 ? 'NOT A CERTIFICATE REQUEST' : 'REFUSED'}\n${subject}\n  ${e.code}\n${indent(message, 4)}\n`);
    }
    return exit;
  }

  const verdict = evaluatePolicy(
    csr,
    { username: opt.user, slackUsergroups: list(opt['slack-usergroups']), expirationSeconds: lifetime, signerName: opt.signer },
    config,
  );
  if (opt.json) io.out(JSON.stringify({ file, csr, identity: kubernetesIdentityOf(csr), policy: policySource, ...verdict }, null, 2));
  else io.out(renderText(file, csr, verdict, policySource, opt.user));
  return verdict.verdict === 'accept' ? 0 : 1;
}

function renderText(file: string, csr: ParsedCsr, v: PolicyVerdict, policySource: string, user: string | undefined): string {
  const id = kubernetesIdentityOf(csr);
  const k = csr.publicKey;
  const sans = formatSans(csr.sans);
  const row = (label: string, value: string) => `  ${`${label}:`.padEnd(18)}${value}`;
  const lines = [
    `${file}: certificate request (${csr.inputForm.toUpperCase()}), signature verified`,
    '',
    row('Subject', csr.subject.text || '(empty)'),
    ...csr.subject.attributes.map((a) =>
      row(`  ${a.name}`, `${a.value}${a.stringType === 'UTF8String' || a.stringType === 'PrintableString' ? '' : `  (${a.stringType})`}`),
    ),
    row('Public key', `${k.algorithm} ${k.curve ?? `${k.bits}-bit`}`),
    row('Key SHA-256', k.fingerprintSha256),
    row('Signature', `${csr.signature.name}${csr.signature.saltLength !== undefined ? ` (salt ${csr.signature.saltLength})` : ''}`),
    row('SANs', sans.length ? sans.join(', ') : 'none'),
    row('Extensions', csr.extensions.length ? csr.extensions.map((e) => `${e.name}${e.critical ? ' (critical)' : ''}`).join(', ') : 'none'),
    ...(csr.attributes.length ? [row('Attributes', csr.attributes.map((a) => a.name).join(', '))] : []),
    '',
    'Kubernetes would authenticate it as',
    row('Username', id.username ?? '(none: no CN)'),
    row('Groups', id.groups.join(', ')),
    '',
    `Policy: ${policySource}${user !== undefined ? `; requester ${user}` : '; identity not pinned (no --user)'}`,
    row('Lifetime', `${v.expirationSeconds} s`),
    row('Signer', v.signerName),
    row(
      'Verdict',
      v.verdict === 'accept' ? (v.warnings.length ? `ACCEPT with ${v.warnings.length} warning(s)` : 'ACCEPT') : `REFUSE (${v.errors.length} error(s))`,
    ),
    ...v.errors.map((f) => finding(f)),
    ...v.warnings.map((f) => finding(f)),
  ];
  return `${lines.join('\n')}\n`;
}

function finding(f: Finding): string {
  return `\n  ${f.severity === 'error' ? 'ERROR' : 'WARNING'} ${f.code}\n${indent(f.message, 4)}`;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
