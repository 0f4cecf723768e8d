/**
 * What a request may ask for. Loaded once (a JSON file, all keys optional)
 * and validated with every problem listed.
 */
import { z } from 'zod';
import { CsrbotError } from '../errors.js';
import { MAX_CSR_BYTES } from '../csr/parse-csr.js';
import { CLIENT_SIGNER, MIN_EXPIRATION_SECONDS, isSystemName } from '../kubernetes-rules.js';

export interface PolicyConfig {
  /** Groups (O) any requester may ask for; 'any' skips the allowlist (system: refusals still apply). Default: none. */
  allowedGroups: readonly string[] | 'any';
  /** Slack user group id -> Kubernetes groups its members may ask for. Default: {}. */
  usergroupGroups: Readonly<Record<string, readonly string[]>>;
  /** What subject alternative names in a request cause: a warning (default) or a refusal. */
  sans: 'warn' | 'refuse';
  /** Certificate lifetime in seconds. Default: 1 day when unasked, at most 7 days; never below 600. */
  lifetime: { defaultSeconds: number; maxSeconds: number };
  /** Signer names requests may use; the first is the default. Default: [CLIENT_SIGNER]. */
  allowedSigners: readonly string[];
  /** Smallest RSA modulus in bits. Default 2048 (cannot be lowered). */
  minRsaBits: number;
  /** Largest CSR (DER bytes) accepted. Default 16 KiB: a real one is under 2 KiB; a bigger one only fills Redis and etcd. */
  maxCsrBytes: number;
}

export const defaultPolicyConfig: PolicyConfig = Object.freeze({
  allowedGroups: [],
  usergroupGroups: {},
  sans: 'refuse',
  lifetime: { defaultSeconds: 86_400, maxSeconds: 7 * 86_400 },
  allowedSigners: [CLIENT_SIGNER],
  minRsaBits: 2048,
  maxCsrBytes: MAX_CSR_BYTES,
});

const group = z
  .string()
  .min(1)
  .refine((g) => !isSystemName(g), 'system: groups can never be granted through csrbot');
const seconds = z.number().int().min(MIN_EXPIRATION_SECONDS, `must be at least ${MIN_EXPIRATION_SECONDS} (the Kubernetes minimum)`);

const schema = z
  .object({
    allowedGroups: z.union([z.array(group), z.literal('any')]).optional(),
    usergroupGroups: z.record(z.string().regex(/^S[A-Z0-9]+$/, 'Slack user group ids look like S0123ABCD'), z.array(group)).optional(),
    sans: z.enum(['warn', 'refuse']).optional(),
    lifetime: z.object({ defaultSeconds: seconds.optional(), maxSeconds: seconds.optional() }).strict().optional(),
    allowedSigners: z
      .array(z.string().regex(/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/, 'signer names look like example.com/my-signer'))
      .min(1)
      .optional(),
    minRsaBits: z.number().int().min(2048, 'must be at least 2048').max(16384).optional(),
    maxCsrBytes: z.number().int().min(1024, 'must be at least 1024').max(65536, 'must be at most 65536').optional(),
  })
  .strict();

/** Validates a policy document (parsed JSON) and fills in defaults; throws POLICY_CONFIG_INVALID listing every problem. */
export function parsePolicyConfig(doc: unknown, source = 'policy'): PolicyConfig {
  const result = schema.safeParse(doc);
  const problems = result.success ? [] : result.error.issues.map((i) => `- ${i.path.join('.') || '(top level)'}: ${i.message}`);
  if (result.success) {
    const c = result.data;
    const lifetime = { ...defaultPolicyConfig.lifetime, ...c.lifetime };
    if (lifetime.defaultSeconds > lifetime.maxSeconds)
      problems.push(`- lifetime.defaultSeconds (${lifetime.defaultSeconds}) is above lifetime.maxSeconds (${lifetime.maxSeconds})`);
    if (problems.length === 0) {
      return {
        allowedGroups: c.allowedGroups ?? defaultPolicyConfig.allowedGroups,
        usergroupGroups: c.usergroupGroups ?? defaultPolicyConfig.usergroupGroups,
        sans: c.sans ?? defaultPolicyConfig.sans,
        lifetime,
        allowedSigners: c.allowedSigners ?? defaultPolicyConfig.allowedSigners,
        minRsaBits: c.minRsaBits ?? defaultPolicyConfig.minRsaBits,
        maxCsrBytes: c.maxCsrBytes ?? defaultPolicyConfig.maxCsrBytes,
      };
    }
  }
  throw new CsrbotError('POLICY_CONFIG_INVALID', { source, problems: problems.join('\n') });
}

/** Reads a policy file's text (JSON). */
export function parsePolicyConfigText(text: string, source = 'policy'): PolicyConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CsrbotError('POLICY_CONFIG_INVALID', { source, problems: `- not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
  }
  return parsePolicyConfig(doc, source);
}
