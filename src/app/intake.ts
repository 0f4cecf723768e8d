import { kubernetesIdentityOf, parseCsr, type ParsedCsr } from '../domain/csr/index.js';
import { describeError, isCsrbotError } from '../domain/errors.js';
import { SYSTEM_AUTHENTICATED } from '../domain/kubernetes-rules.js';
import type { CsrSummary, SlackPerson } from '../domain/lifecycle.js';
import { allowedGroupsFor, evaluatePolicy, kubernetesUsernameFor, opensslCommandsFor, type PolicyConfig, type UsernameRule } from '../domain/policy/index.js';
import { accountProblem } from '../domain/slack-account.js';
import { holdsCsrbotPowers, type PermissionPreview } from '../domain/privilege.js';
import type { Directory, FlowMetrics, PermissionsReview } from '../ports.js';

export interface IntakeDeps {
  directory: Directory;
  /** Default: nothing recorded. */
  metrics?: FlowMetrics;
  policy: PolicyConfig;
  usernameRule: UsernameRule;
  /** What the identity could do in the cluster; without it the card says "not checked". */
  permissions?: PermissionsReview;
  /** Who csrbot never issues for, and whether an identity holding csrbot's own approve powers may be requested. */
  identity?: IdentityRules;
}

export interface IdentityRules {
  /** csrbot's own username (learned at start-up), which no request may name. */
  self?: string;
  /** RESERVED_USERNAMES: never issued, compared case-insensitively. */
  reserved: readonly string[];
  /** ALLOW_CSRBOT_POWERS (default false). */
  allowCsrbotPowers: boolean;
  /** The bot's own Slack workspace (auth.test team_id); requesters from other teams are refused. Unknown: not checked. */
  homeTeamId?: string;
}

/** Why csrbot never issues for this username, or undefined. Case-insensitive: a near-duplicate of a reserved name is refused too. */
export function reservedBecause(rules: IdentityRules | undefined, username: string): string | undefined {
  const u = username.toLowerCase();
  if (rules?.self !== undefined && rules.self.toLowerCase() === u) return "it is csrbot's own identity";
  if (rules?.reserved.some((r) => r.toLowerCase() === u)) return 'it is on RESERVED_USERNAMES';
  return undefined;
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
  const account = accountProblem(person, deps.identity?.homeTeamId);
  if (account) return { problem: describeError(account.code, account.details) };
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
export async function checkCsr(
  deps: IntakeDeps,
  input: string | Uint8Array,
  person: SlackPerson,
  lifetimeSeconds?: number,
  /** previewWithinMs: how long the permission preview may take before it is left to the submit job (unchecked). Default: no limit. */
  o: { previewWithinMs?: number } = {},
): Promise<IntakeResult> {
  const profile = await requesterProfile(deps, person);
  let parsed: ParsedCsr;
  try {
    parsed = parseCsr(input, { minRsaBits: deps.policy.minRsaBits, maxCsrBytes: deps.policy.maxCsrBytes });
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
  const reserved = reservedBecause(deps.identity, profile.username);
  if (reserved) {
    deps.metrics?.intakeRefused('IDENTITY_RESERVED');
    return { ok: false, problems: [describeError('IDENTITY_RESERVED', { username: profile.username, why: reserved })], warnings: [] };
  }
  const verdict = evaluatePolicy(parsed, { username: profile.username, slackUsergroups: profile.usergroups, expirationSeconds: lifetimeSeconds }, deps.policy);
  const warnings = verdict.warnings.map((w) => w.message);
  if (verdict.verdict === 'refuse') {
    for (const e of verdict.errors) deps.metrics?.intakeRefused(e.code);
    const problems = verdict.errors.map((e) => e.message);
    return { ok: false, problems, warnings };
  }
  const summary = summarizeCsr(parsed, warnings);
  const preview = await previewPermissions(deps, profile.username, summary.groups, o.previewWithinMs);
  if (preview.preview && holdsCsrbotPowers(preview.preview) && !deps.identity?.allowCsrbotPowers) {
    deps.metrics?.intakeRefused('IDENTITY_HOLDS_CSRBOT_POWERS');
    const details = { username: profile.username, groups: summary.groups.length ? summary.groups : undefined, abilities: [...preview.preview.abilities] };
    return { ok: false, problems: [describeError('IDENTITY_HOLDS_CSRBOT_POWERS', details)], warnings };
  }
  return {
    ok: true,
    username: profile.username,
    signerName: verdict.signerName,
    lifetimeSeconds: verdict.expirationSeconds,
    csr: preview.preview ? { ...summary, permissions: { abilities: [...preview.preview.abilities] } } : summary,
  };
}

/**
 * The identity's sensitive abilities, when a PermissionsReview is wired. A cluster that does not answer
 * leaves it unchecked, never "none": the submit job checks again (and waits out the outage) before the card.
 */
async function previewPermissions(deps: IntakeDeps, username: string, groups: string[], withinMs?: number): Promise<{ preview?: PermissionPreview }> {
  if (!deps.permissions) return {};
  const asked = deps.permissions.preview({ username, groups }).then(
    (preview) => ({ preview }),
    () => ({}),
  );
  if (withinMs === undefined) return asked;
  // Before an ack, a slow cluster is treated like one that does not answer: the submit job asks again.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ preview?: PermissionPreview }>((resolve) => (timer = setTimeout(resolve, withinMs, {})));
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long Submit and the form's submission, which are acked after checkCsr, give the cluster's permission preview. */
export const PRE_ACK_PREVIEW_MS = 1000;

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
