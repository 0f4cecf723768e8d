import { existsSync, readFileSync } from 'node:fs';
import { CsrbotError } from '../domain/errors.js';
import type { RedisSettings } from '../adapters/redis/redis-settings.js';
import type { ReminderLadder } from '../domain/reminders.js';
import { redisSettings } from './redis-schema.js';
import { crossFieldProblems, envSchema, type RawConfig } from './schema.js';

export interface Config {
  slack: {
    botToken: string;
    /** Socket Mode when set; HTTP mode (signed requests on PORT) otherwise. */
    appToken?: string;
    signingSecret?: string;
    apiUrl: string;
    adminChannel: string;
    adminGroup?: string;
    adminUsers: string[];
  };
  /** Standalone, Sentinel or Cluster, the key prefix, credentials. */
  redis: RedisSettings;
  kubernetes: { kubeconfigPath?: string };
  /** port: HTTP mode's Slack endpoint (/slack/events only). opsPort: /healthz, /readyz, /metrics in both modes. */
  http: { port: number; opsPort: number; opsHost?: string };
  logLevel: RawConfig['LOG_LEVEL'];
  identity: {
    rule: RawConfig['USERNAME_RULE'];
    mappingFile?: string;
    allowedEmailDomains: string[];
    reservedUsernames: string[];
    allowCsrbotPowers: boolean;
  };
  policy: {
    allowedGroups: string[];
    groupMappings: Record<string, string[]>;
    sanPolicy: 'warn' | 'refuse';
    defaultLifetimeSeconds: number;
    maxLifetimeSeconds: number;
    allowedSigners: string[];
    maxCsrBytes: number;
  };
  /** Per Slack user. */
  limits: { maxPendingPerUser: number; requestsPerHour: number };
  approval: { quorum: number; clusterAdminQuorum: number; allowSelfApproval: boolean };
  delivery: { clusterName: string; serverUrl?: string; caFile?: string; keyPathTemplate: string; issuanceTimeoutSeconds: number };
  jobs: { lockDurationMs: number; stalledIntervalMs: number; concurrency: number; retryMaxDelayMs: number };
  lifecycle: {
    ladder: ReminderLadder;
    reminderPollMs: number;
    sweepIntervalMs: number;
    retentionMs: number;
    auditMaxEvents: number;
    renewal: { autoApprove: boolean; maxAuto: number; graceMs: number };
  };
  /** A DM event still unanswered this long after it arrived is answered by the inbox sweep pass. */
  inboxReplayAfterMs: number;
  /** Undecided requests: one nudge on the card after reminderSeconds, marked expired after expireAfterSeconds. */
  pending: { reminderSeconds: number; expireAfterSeconds: number };
}

/**
 * Read and validate every setting once. Throws CONFIG_INVALID listing every
 * problem (not just the first) with how to fix it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings are "unset": an `export X=` in a shell should not count as a value.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'config', message: i.message }))),
    ...crossFieldProblems(cleaned),
  ];
  if (!parsed.success || issues.length > 0) {
    const problems = issues.map((i) => `  - ${i.path}: ${i.message}`);
    throw new CsrbotError('CONFIG_INVALID', { problems: problems.join('\n'), count: problems.length });
  }
  const c = parsed.data;
  return {
    slack: {
      botToken: c.SLACK_BOT_TOKEN,
      appToken: c.SLACK_APP_TOKEN,
      signingSecret: c.SLACK_SIGNING_SECRET,
      apiUrl: c.SLACK_API_URL,
      adminChannel: c.SLACK_ADMIN_CHANNEL,
      adminGroup: c.SLACK_ADMIN_GROUP,
      adminUsers: c.SLACK_ADMIN_USERS,
    },
    redis: redisSettings(c),
    kubernetes: { kubeconfigPath: c.KUBECONFIG },
    http: { port: c.PORT, opsPort: c.OPS_PORT, ...(c.OPS_HOST ? { opsHost: c.OPS_HOST } : {}) },
    logLevel: c.LOG_LEVEL,
    identity: {
      rule: c.USERNAME_RULE,
      mappingFile: c.USERNAME_MAPPING_FILE,
      allowedEmailDomains: c.ALLOWED_EMAIL_DOMAINS,
      reservedUsernames: c.RESERVED_USERNAMES,
      allowCsrbotPowers: c.ALLOW_CSRBOT_POWERS,
    },
    policy: {
      allowedGroups: c.ALLOWED_GROUPS,
      groupMappings: c.GROUP_MAPPINGS,
      sanPolicy: c.SAN_POLICY,
      defaultLifetimeSeconds: c.CERT_DEFAULT_LIFETIME,
      maxLifetimeSeconds: c.CERT_MAX_LIFETIME,
      allowedSigners: c.ALLOWED_SIGNERS,
      maxCsrBytes: c.CSR_MAX_BYTES,
    },
    limits: { maxPendingPerUser: c.MAX_PENDING_PER_USER, requestsPerHour: c.MAX_REQUESTS_PER_HOUR },
    approval: { quorum: c.APPROVAL_QUORUM, clusterAdminQuorum: c.CLUSTER_ADMIN_QUORUM, allowSelfApproval: c.ALLOW_SELF_APPROVAL },
    delivery: {
      clusterName: c.CLUSTER_NAME,
      serverUrl: c.CLUSTER_SERVER_URL,
      caFile: c.CLUSTER_CA_FILE,
      keyPathTemplate: c.KEY_PATH_TEMPLATE,
      issuanceTimeoutSeconds: c.ISSUANCE_TIMEOUT,
    },
    jobs: {
      lockDurationMs: c.JOB_LOCK_DURATION * 1000,
      stalledIntervalMs: c.JOB_STALLED_INTERVAL * 1000,
      concurrency: c.JOB_CONCURRENCY,
      retryMaxDelayMs: c.JOB_RETRY_MAX_DELAY * 1000,
    },
    lifecycle: {
      ladder: {
        shortLifetimeMs: c.REMINDER_SHORT_LIFETIME * 1000,
        beforeExpiryMs: c.REMINDER_BEFORE_EXPIRY.map((s) => s * 1000),
        lifetimeFractions: c.REMINDER_LIFETIME_FRACTIONS,
      },
      reminderPollMs: c.REMINDER_POLL_INTERVAL * 1000,
      sweepIntervalMs: c.SWEEP_INTERVAL * 1000,
      retentionMs: c.RETENTION * 1000,
      auditMaxEvents: c.AUDIT_MAX_EVENTS,
      renewal: { autoApprove: c.RENEWAL_AUTO_APPROVE, maxAuto: c.RENEWAL_MAX_AUTO, graceMs: c.RENEWAL_GRACE * 1000 },
    },
    inboxReplayAfterMs: c.INBOX_REPLAY_AFTER * 1000,
    pending: { reminderSeconds: c.PENDING_REMINDER, expireAfterSeconds: c.PENDING_EXPIRY },
  };
}

/**
 * Values from an optional .env file, under the real environment (the
 * environment wins, as in dotenv). Node's util.parseEnv does the parsing.
 */
export async function readDotEnv(path = '.env', env: Record<string, string | undefined> = process.env): Promise<Record<string, string | undefined>> {
  if (!existsSync(path)) return env;
  const { parseEnv } = await import('node:util');
  const fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  return { ...fromFile, ...env };
}
