import { z } from 'zod';
import { defaultPrefix, hashTagOf, type HostPort, type RedisSettings, type RedisTopology } from '../adapters/redis/redis-settings.js';
import { CsrbotError } from '../domain/errors.js';

/**
 * Redis settings. Which variables are set says the topology:
 *   REDIS_URL            one server (the default, redis://127.0.0.1:6379)
 *   REDIS_SENTINELS      a master found through Sentinel (+ REDIS_SENTINEL_NAME)
 *   REDIS_CLUSTER_NODES  a Redis Cluster
 * Lists of host:port rather than a URL scheme: there is no standard URL for
 * Sentinel or Cluster (each client invented its own), and the lists map
 * one-to-one onto ioredis's options and onto a ConfigMap.
 */

const ONE_OF = 'Set one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), not several.';

const hostPort = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;

const hostPortList = (name: string, defaultPort: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx): HostPort[] | undefined => {
      if (v === undefined) return undefined;
      const out: HostPort[] = [];
      const entries = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (entries.length === 0)
        ctx.addIssue({
          code: 'custom',
          message: `${name} names no host. Use host:port pairs separated by commas, e.g. redis-0:${defaultPort},redis-1:${defaultPort}.`,
        });
      for (const entry of entries) {
        const m = hostPort.exec(entry);
        const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
        if (!m || port < 1 || port > 65535) {
          ctx.addIssue({
            code: 'custom',
            message: `${name} entry "${entry}" is not host:port. Use host:port pairs separated by commas, e.g. redis-0:${defaultPort},redis-1:${defaultPort} (IPv6 as [::1]:${defaultPort}).`,
          });
          continue;
        }
        out.push({ host: (m[1] ?? m[2])!, port });
      }
      return out;
    });

/** A prefix BullMQ accepts (no `:`), with at most one non-empty {hash tag}. */
const prefixShape = /^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/;

/** Spread into the env schema. */
export const redisEnvFields = {
  REDIS_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^rediss?:\/\//.test(v), 'REDIS_URL must look like redis://host:6379 or rediss://host:6380.'),
  REDIS_PREFIX: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || (v.length > 0 && prefixShape.test(v)),
      'REDIS_PREFIX may hold letters, digits, - and _, and at most one {hash tag} of them, e.g. csrbot or {csrbot} (BullMQ puts it in key names, where : separates parts).',
    ),
  REDIS_SENTINELS: hostPortList('REDIS_SENTINELS', 26379),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'REDIS_SENTINEL_NAME must be the master name the sentinels monitor (letters, digits, . - _), e.g. mymaster.')
    .optional(),
  REDIS_SENTINEL_USERNAME: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_CLUSTER_NODES: hostPortList('REDIS_CLUSTER_NODES', 6379),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_TLS: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'REDIS_TLS: use true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  REDIS_COMMAND_TIMEOUT: z
    .string()
    .default('60s')
    .transform((v, ctx) => {
      const m = /^(\d+)(s|m)?$/.exec(v.trim());
      const seconds = m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : 0;
      if (seconds < 1) {
        ctx.addIssue({ code: 'custom', message: `REDIS_COMMAND_TIMEOUT="${v}" is not a duration of at least 1 s. Use seconds or minutes, e.g. 60s or 2m.` });
        return z.NEVER;
      }
      return seconds;
    }),
};

type RedisEnv = z.output<z.ZodObject<typeof redisEnvFields>>;

function urlHasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** Rules across Redis settings, on the raw values (see crossFieldProblems). */
export function redisProblems(env: Record<string, string | undefined>): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const sentinel = env.REDIS_SENTINELS !== undefined;
  const cluster = env.REDIS_CLUSTER_NODES !== undefined;
  if ([env.REDIS_URL !== undefined, sentinel, cluster].filter(Boolean).length > 1) out.push({ path: 'REDIS_URL', message: ONE_OF });
  if (sentinel && !env.REDIS_SENTINEL_NAME) {
    out.push({
      path: 'REDIS_SENTINEL_NAME',
      message:
        'REDIS_SENTINELS needs REDIS_SENTINEL_NAME: the name the sentinels know the master by (the <master-name> of `sentinel monitor <master-name> host port quorum`; often mymaster).',
    });
  }
  for (const k of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
    if (env[k] !== undefined && !sentinel)
      out.push({ path: k, message: `${k} only applies with REDIS_SENTINELS=host:26379,...; set that too, or unset ${k}.` });
  }
  if (cluster && env.REDIS_PREFIX !== undefined && hashTagOf(env.REDIS_PREFIX) === undefined) {
    out.push({
      path: 'REDIS_PREFIX',
      message: `On Redis Cluster all of csrbot's keys must share one hash slot, so REDIS_PREFIX needs a {hash tag}: use {${env.REDIS_PREFIX.replace(/[{}]/g, '')}} (or unset it for the default {csrbot}).`,
    });
  }
  const tls = env.REDIS_TLS !== undefined && ['true', '1', 'yes'].includes(env.REDIS_TLS);
  if (tls && !sentinel && !cluster) {
    out.push({ path: 'REDIS_TLS', message: 'With one server, TLS is part of REDIS_URL: use rediss://host:6380 and unset REDIS_TLS.' });
  }
  if (env.REDIS_URL && urlHasCredentials(env.REDIS_URL) && (env.REDIS_USERNAME !== undefined || env.REDIS_PASSWORD !== undefined)) {
    out.push({
      path: 'REDIS_PASSWORD',
      message: 'REDIS_URL already carries credentials: keep them in one place (REDIS_URL, or REDIS_USERNAME/REDIS_PASSWORD with a URL without them).',
    });
  }
  return out;
}

/** The validated settings, as the Redis adapter takes them. */
export function redisSettings(c: RedisEnv): RedisSettings {
  let topology: RedisTopology;
  if (c.REDIS_SENTINELS) {
    topology = {
      kind: 'sentinel',
      sentinels: c.REDIS_SENTINELS,
      masterName: c.REDIS_SENTINEL_NAME!,
      ...(c.REDIS_SENTINEL_USERNAME ? { sentinelUsername: c.REDIS_SENTINEL_USERNAME } : {}),
      ...(c.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: c.REDIS_SENTINEL_PASSWORD } : {}),
    };
  } else if (c.REDIS_CLUSTER_NODES) {
    topology = { kind: 'cluster', nodes: c.REDIS_CLUSTER_NODES };
  } else {
    topology = { kind: 'standalone', url: c.REDIS_URL ?? 'redis://127.0.0.1:6379' };
  }
  return {
    topology,
    prefix: c.REDIS_PREFIX ?? defaultPrefix(topology.kind),
    ...(c.REDIS_USERNAME ? { username: c.REDIS_USERNAME } : {}),
    ...(c.REDIS_PASSWORD ? { password: c.REDIS_PASSWORD } : {}),
    tls: c.REDIS_TLS,
    commandTimeoutMs: c.REDIS_COMMAND_TIMEOUT * 1000,
  };
}

/**
 * Only the Redis settings, for commands that need nothing else (`csrbot audit export`).
 * Throws CONFIG_INVALID listing every problem, like loadConfig.
 */
export function loadRedisSettings(env: Record<string, string | undefined>): RedisSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = z.object(redisEnvFields).safeParse(cleaned);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'config', message: i.message }))),
    ...redisProblems(cleaned),
  ];
  if (!parsed.success || issues.length > 0) {
    const problems = issues.map((i) => `  - ${i.path}: ${i.message}`);
    throw new CsrbotError('CONFIG_INVALID', { problems: problems.join('\n'), count: problems.length });
  }
  return redisSettings(parsed.data);
}
