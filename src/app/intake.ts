import { kubernetesIdentityOf, parseCsr, type ParsedCsr } from '../domain/csr/index.js';
import { describeError, isCsrbotError } from '../domain/errors.js';
import { SYSTEM_AUTHENTICATED } from '../domain/kubernetes-rules.js';
import type { CsrSummary, SlackPerson } from '../domain/lifecycle.js';
import { allowedGroupsFor, evaluatePolicy, kubernetesUsernameFor, opensslCommandsFor, type PolicyConfig, type UsernameRule } from '../domain/policy/index.js';
import type { Directory, FlowMetrics } from '../ports.js';

export interface IntakeDeps {
  directory: Directory;
  /** Default: nothing recorded. */
  metrics?: FlowMetrics;
  policy: PolicyConfig;
  usernameRule: UsernameRule;
}

export type IntakeResult =
  { ok: true; username: string; csr: CsrSummary; signerName: string; lifetimeSeconds: number } | { ok: false; problems: string[]; warnings: string[] };

/** The Slack user groups (among those the policy maps) the user belongs to. */
async function usergroupsOf(deps: IntakeDeps, userId: string): Promise<string[]> {
  const mapped = Object.keys(deps.policy.usergroupGroups);
  const member = await Promise.all(mapped.map(async (g) => ((await deps.directory.groupMembers(g)).includes(userId) ? g : undefined)));
  return member.filter((g): g is string => g !== undefined);
}

/** Who the requester is in Kubernetes and which groups they may ask for; used for the openssl hints too. */
export async function requesterProfile(
  deps: IntakeDeps,
  person: SlackPerson,
): Promise<{ username: string; groups: string[]; usergroups: string[] } | { problem: string }> {
  try {
    const username = kubernetesUsernameFor({ id: person.userId, username: person.name, email: person.email }, deps.usernameRule);
    const usergroups = await usergroupsOf(deps, person.userId);
    const allowed = allowedGroupsFor(deps.policy, usergroups);
    return { username, groups: allowed === 'any' ? [] : [...allowed], usergroups };
  } catch (e) {
    if (isCsrbotError(e)) return { problem: e.userMessage };
    throw e;
  }
}

export function keyDescription(p: ParsedCsr): string {
  const k = p.publicKey;
  if (k.algorithm === 'EC') return `ECDSA ${k.curve ?? `${k.bits}-bit`}`;
  if (k.algorithm === 'Ed25519') return 'Ed25519';
  return `${k.algorithm} ${k.bits}`;
}

/**
 * Everything csrbot checks before a CSR reaches the cluster: it parses,
 * its signature verifies, its subject is the requester's own, it asks for
 * nothing it may not. Returns every problem with its fix, or a summary.
 */
export async function checkCsr(deps: IntakeDeps, input: string | Uint8Array, person: SlackPerson, lifetimeSeconds?: number): Promise<IntakeResult> {
  const profile = await requesterProfile(deps, person);
  let parsed: ParsedCsr;
  try {
    parsed = parseCsr(input, { minRsaBits: deps.policy.minRsaBits });
  } catch (e) {
    if (!isCsrbotError(e)) throw e;
    // The parser only knows generic commands; this user gets theirs, with their username and groups.
    deps.metrics?.intakeRefused(e.code);
    const details =
      'problem' in profile || e.details.commands === undefined
        ? e.details
        : { ...e.details, commands: opensslCommandsFor(profile.username, profile.groups).text };
    return { ok: false, problems: [describeError(e.code, details)], warnings: [] };
  }
  if ('problem' in profile) return { ok: false, problems: [profile.problem], warnings: [] };
  const verdict = evaluatePolicy(parsed, { username: profile.username, slackUsergroups: profile.usergroups, expirationSeconds: lifetimeSeconds }, deps.policy);
  const warnings = verdict.warnings.map((w) => w.message);
  if (verdict.verdict === 'refuse') {
    for (const e of verdict.errors) deps.metrics?.intakeRefused(e.code);
    const problems = verdict.errors.map((e) => e.message);
    return { ok: false, problems, warnings };
  }
  return {
    ok: true,
    username: profile.username,
    signerName: verdict.signerName,
    lifetimeSeconds: verdict.expirationSeconds,
    csr: summarizeCsr(parsed, warnings),
  };
}

/** The public facts about a checked CSR that the card, the store and the kubeconfig need. */
export function summarizeCsr(parsed: ParsedCsr, warnings: string[] = []): CsrSummary {
  return {
    pem: parsed.pem,
    commonName: parsed.subject.commonName ?? '',
    subject: parsed.subject.text,
    groups: kubernetesIdentityOf(parsed).groups.filter((g) => g !== SYSTEM_AUTHENTICATED),
    keyDescription: keyDescription(parsed),
    fingerprint: parsed.publicKey.fingerprintSha256,
    warnings,
  };
}

export { opensslCommandsFor };
