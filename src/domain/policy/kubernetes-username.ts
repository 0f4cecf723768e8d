/**
 * Who a Slack user is in Kubernetes. The CN of their CSR must equal this
 * (identity pinning), so the rule is configured once for the workspace.
 */
import { CsrbotError } from '../errors.js';
import { isSystemName } from '../kubernetes-rules.js';

export interface SlackIdentity {
  /** Slack user id, e.g. U0123ABCD. */
  id: string;
  /** Slack username (handle), when the workspace has them. */
  username?: string;
  /** Profile email (needs users:read.email). */
  email?: string;
}

/** Slack user id or (lowercased) email -> Kubernetes username. */
export type UsernameMapping = ReadonlyMap<string, string>;

export type UsernameRule =
  | { kind: 'email'; allowedDomains?: readonly string[] }
  | { kind: 'email-local-part'; allowedDomains?: readonly string[] }
  | { kind: 'slack-username' }
  | { kind: 'mapping'; mapping: UsernameMapping };

/** ALLOWED_EMAIL_DOMAINS: an email outside them yields no username (two domains could share a local part). */
function checkDomain(email: string, allowed: readonly string[] | undefined, slackUser: string): void {
  if (!allowed || allowed.length === 0) return;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!allowed.includes(domain)) throw new CsrbotError('USERNAME_DOMAIN_NOT_ALLOWED', { slackUser, email, allowed: [...allowed] });
}

/**
 * The Kubernetes username for a Slack user. Default rule: the profile email,
 * lowercased (RBAC bindings are written in lowercase; emails are
 * case-insensitive in practice). Throws USERNAME_* errors.
 */
export function kubernetesUsernameFor(user: SlackIdentity, rule: UsernameRule = { kind: 'email' }): string {
  const email = user.email?.trim().toLowerCase() || undefined;
  let name: string | undefined;
  switch (rule.kind) {
    case 'email':
      if (!email) throw new CsrbotError('USERNAME_NO_EMAIL', { slackUser: user.id });
      checkDomain(email, rule.allowedDomains, user.id);
      name = email;
      break;
    case 'email-local-part':
      if (!email) throw new CsrbotError('USERNAME_NO_EMAIL', { slackUser: user.id });
      checkDomain(email, rule.allowedDomains, user.id);
      name = email.slice(0, email.lastIndexOf('@') >= 0 ? email.lastIndexOf('@') : undefined);
      break;
    case 'slack-username':
      name = user.username?.trim();
      if (!name) throw new CsrbotError('USERNAME_NO_SLACK_NAME', { slackUser: user.id });
      break;
    case 'mapping':
      name = rule.mapping.get(user.id) ?? (email ? rule.mapping.get(email) : undefined);
      if (name === undefined) throw new CsrbotError('USERNAME_NOT_MAPPED', { slackUser: user.id, email });
      break;
  }
  const problem = usernameProblem(name);
  if (problem) throw new CsrbotError('USERNAME_INVALID', { username: name, slackUser: user.id, reason: problem });
  return name;
}

/** Why a string cannot be a Kubernetes username for csrbot, or undefined if it can. */
export function usernameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name !== name.trim()) return 'it starts or ends with whitespace';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'it contains control characters';
  if (isSystemName(name)) return 'system: names are reserved for cluster components';
  if (name.length > 256) return 'it is longer than 256 characters';
  return undefined;
}

/**
 * Parses a mapping file: a JSON object ({"U0123ABCD": "jane", "bob@example.com": "bob"},
 * optionally under a "users" key) or the same as simple `key: value` lines
 * (YAML-like, # comments). Keys are Slack user ids or emails. Throws
 * USERNAME_MAPPING_INVALID listing every bad entry.
 */
export function parseUsernameMapping(text: string, source = 'mapping'): UsernameMapping {
  const entries: Array<[string, unknown, string]> = [];
  const problems: string[] = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new CsrbotError('USERNAME_MAPPING_INVALID', { source, problems: `- not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
    const obj = isRecord(doc) && isRecord(doc.users) && Object.keys(doc).length === 1 ? doc.users : doc;
    if (!isRecord(obj)) throw new CsrbotError('USERNAME_MAPPING_INVALID', { source, problems: '- expected an object of "slack id or email": "username"' });
    for (const [k, v] of Object.entries(obj)) entries.push([k, v, JSON.stringify(k)]);
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.replace(/(^|\s)#.*$/, '').trim();
      if (l === '' || l === 'users:') return;
      const m = /^["']?([^"':]+?)["']?\s*:\s*["']?(.*?)["']?$/.exec(l);
      if (!m) problems.push(`- line ${i + 1}: expected "slack-id-or-email: username"`);
      else entries.push([m[1]!.trim(), m[2]!, `line ${i + 1}`]);
    });
  }
  const map = new Map<string, string>();
  // One Slack account per Kubernetes identity: two keys with one target would let a second account approve "someone else's" request.
  const owner = new Map<string, string>();
  for (const [rawKey, value, where] of entries) {
    const key = rawKey.includes('@') ? rawKey.toLowerCase() : rawKey;
    if (!/^[UW][A-Z0-9]+$/.test(key) && !/^[^@\s]+@[^@\s]+$/.test(key)) problems.push(`- ${where}: "${rawKey}" is neither a Slack user id (U…) nor an email`);
    else if (typeof value !== 'string') problems.push(`- ${where}: the username must be a string`);
    else if (usernameProblem(value)) problems.push(`- ${where}: "${value}": ${usernameProblem(value)}`);
    else if (map.has(key) && map.get(key) !== value) problems.push(`- ${where}: "${rawKey}" is mapped twice`);
    else if (owner.has(value.toLowerCase()) && owner.get(value.toLowerCase()) !== key)
      problems.push(
        `- ${where}: "${value}" is already the username of "${owner.get(value.toLowerCase())}"; each Kubernetes username belongs to one Slack account`,
      );
    else {
      map.set(key, value);
      owner.set(value.toLowerCase(), key);
    }
  }
  if (problems.length > 0) throw new CsrbotError('USERNAME_MAPPING_INVALID', { source, problems: problems.join('\n') });
  return map;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
