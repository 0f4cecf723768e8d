import { z } from 'zod';
import { CLIENT_SIGNER, MIN_EXPIRATION_SECONDS, UNDECIDED_CSR_GC_SECONDS } from '../domain/kubernetes-rules.js';
import { DEFAULT_KEY_PATH_TEMPLATE, keyPathTemplateProblem } from '../domain/kubeconfig.js';
import { redisEnvFields, redisProblems } from './redis-schema.js';

/**
 * Every setting csrbot reads, with the text that tells an operator how to fix
 * it. The schema is the configuration reference: README's table mirrors it.
 */

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** http://127.0.0.1:port/, http://[::1]/, http://localhost/: a test emulator on this machine. */
export function isLoopbackUrl(v: string): boolean {
  try {
    const host = new URL(v).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

const duration = /^(\d+)(s|m|h|d)?$/;
/** Parse "600", "10m", "24h", "7d" into seconds. */
export function parseDurationSeconds(v: string): number | undefined {
  const m = duration.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * { s: 1, m: 60, h: 3600, d: 86400 }[unit as 's' | 'm' | 'h' | 'd'];
}

const durationSetting = (name: string, dflt: string) =>
  z
    .string()
    .default(dflt)
    .transform((v, ctx) => {
      const s = parseDurationSeconds(v);
      if (s === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name}="${v}" is not a duration. Use seconds or a number with s, m, h or d, e.g. ${dflt}.` });
        return z.NEVER;
      }
      return s;
    });

const durationList = (name: string, dflt: string) =>
  z
    .string()
    .default(dflt)
    .transform((v, ctx) => {
      const out = list(v).map(parseDurationSeconds);
      if (out.length === 0 || out.some((s) => s === undefined)) {
        ctx.addIssue({ code: 'custom', message: `${name}="${v}" must be durations separated by commas (seconds or with s, m, h or d), e.g. ${dflt}.` });
        return z.NEVER;
      }
      return out as number[];
    });

/** "2/3" or "0.667": a point of a certificate's lifetime, 0 < f <= 1. */
function parseFraction(v: string): number | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const f = m ? Number(m[1]) / Number(m[2]) : Number(v.trim());
  return v.trim() !== '' && Number.isFinite(f) && f > 0 && f <= 1 ? f : undefined;
}

const bool = (dflt: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'use true or false' })
    .default(dflt ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envSchema = z
  .object({
    SLACK_BOT_TOKEN: z
      .string({ message: 'SLACK_BOT_TOKEN is missing. Set it to the Bot User OAuth Token (xoxb-...) from your Slack app\'s "OAuth & Permissions" page.' })
      .regex(/^xoxb-/, 'SLACK_BOT_TOKEN must be a bot token starting with xoxb- (Slack app > OAuth & Permissions > Bot User OAuth Token).'),
    SLACK_APP_TOKEN: z
      .string()
      .regex(
        /^xapp-/,
        'SLACK_APP_TOKEN must be an app-level token starting with xapp- with the connections:write scope (Slack app > Basic Information > App-Level Tokens). Unset it to use HTTP mode.',
      )
      .optional(),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_API_URL: z
      .string()
      .default('https://slack.com/api/')
      .refine((v) => /^https?:\/\/.+\/$/.test(v), 'SLACK_API_URL must be an http(s) URL ending with "/", e.g. https://slack.com/api/')
      .refine(
        (v) => v.startsWith('https://') || isLoopbackUrl(v),
        'SLACK_API_URL must use https:// (the bot token travels with every call); plain http:// is allowed only for a loopback test server (127.0.0.1, ::1, localhost).',
      ),
    SLACK_ADMIN_CHANNEL: z
      .string({
        message:
          'SLACK_ADMIN_CHANNEL is missing. Set it to the ID (C...) of the channel where approval cards are posted, and invite the bot there (/invite @csrbot).',
      })
      .regex(/^[CG][A-Z0-9]+$/, 'SLACK_ADMIN_CHANNEL must be a channel ID such as C0123ABCD (channel details > About > Channel ID), not a #name.'),
    SLACK_ADMIN_GROUP: z
      .string()
      .regex(/^S[A-Z0-9]+$/, 'SLACK_ADMIN_GROUP must be a user group ID such as S0123ABCD (not the @handle).')
      .optional(),
    SLACK_ADMIN_USERS: z
      .string()
      .optional()
      .transform(list)
      .refine((ids) => ids.every((id) => /^[UW][A-Z0-9]+$/.test(id)), 'SLACK_ADMIN_USERS must be a comma-separated list of Slack user IDs such as U0123ABCD.'),
    // REDIS_URL, REDIS_PREFIX, REDIS_SENTINELS, REDIS_CLUSTER_NODES, ...: see redis-schema.ts
    ...redisEnvFields,
    KUBECONFIG: z.string().optional(),
    PORT: z.coerce.number({ message: 'PORT must be a number' }).int().min(1).max(65535, 'PORT must be between 1 and 65535').default(3000),
    OPS_PORT: z.coerce.number({ message: 'OPS_PORT must be a number' }).int().min(1).max(65535, 'OPS_PORT must be between 1 and 65535').default(9090),
    OPS_HOST: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'OPS_HOST must be an address to bind the ops port to, e.g. 127.0.0.1 or ::; unset it for every interface.')
      .optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),

    // Who is who
    USERNAME_RULE: z
      .enum(['email', 'email-local-part', 'slack-username', 'mapping'], { message: 'USERNAME_RULE must be email, email-local-part, slack-username or mapping' })
      .default('email'),
    USERNAME_MAPPING_FILE: z.string().optional(),
    ALLOWED_EMAIL_DOMAINS: z
      .string()
      .optional()
      .transform((v) => list(v).map((d) => d.toLowerCase().replace(/^@/, '')))
      .refine(
        (ds) => ds.every((d) => /^[a-z0-9.-]+\.[a-z]{2,}$/.test(d)),
        'ALLOWED_EMAIL_DOMAINS must be a comma-separated list of domains, e.g. example.com,corp.example.com',
      ),
    RESERVED_USERNAMES: z.string().optional().transform(list),
    ALLOW_CSRBOT_POWERS: bool(false),

    // What a request may ask for
    ALLOWED_GROUPS: z.string().optional().transform(list),
    GROUP_MAPPINGS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const out: Record<string, string[]> = {};
        for (const pair of list(v)) {
          const m = /^(S[A-Z0-9]+)=([^=]+)$/.exec(pair);
          if (!m) {
            ctx.addIssue({
              code: 'custom',
              message: `GROUP_MAPPINGS entry "${pair}" must be <slack user group id>=<kubernetes group>, e.g. S0123ABCD=dev-team`,
            });
            continue;
          }
          (out[m[1]!] ??= []).push(m[2]!.trim());
        }
        return out;
      }),
    SAN_POLICY: z.enum(['warn', 'refuse'], { message: 'SAN_POLICY must be warn or refuse' }).default('refuse'),
    CSR_MAX_BYTES: z.coerce
      .number({ message: 'CSR_MAX_BYTES must be a number of bytes' })
      .int()
      .min(1024)
      .max(65536, 'CSR_MAX_BYTES must be at most 65536')
      .default(16384),
    MAX_PENDING_PER_USER: z.coerce.number({ message: 'MAX_PENDING_PER_USER must be a number' }).int().min(1).max(100).default(3),
    MAX_REQUESTS_PER_HOUR: z.coerce.number({ message: 'MAX_REQUESTS_PER_HOUR must be a number' }).int().min(1).max(1000).default(10),
    CERT_DEFAULT_LIFETIME: durationSetting('CERT_DEFAULT_LIFETIME', '24h'),
    CERT_MAX_LIFETIME: durationSetting('CERT_MAX_LIFETIME', '7d'),
    ALLOWED_SIGNERS: z
      .string()
      .optional()
      .transform((v) => {
        const l = list(v);
        return l.length > 0 ? l : [CLIENT_SIGNER];
      }),

    // Who may approve, and how
    APPROVAL_QUORUM: z.coerce.number().int().min(1, 'APPROVAL_QUORUM must be at least 1').max(10).default(1),
    CLUSTER_ADMIN_QUORUM: z.coerce.number().int().min(1, 'CLUSTER_ADMIN_QUORUM must be at least 1').max(10).default(2),
    ALLOW_SELF_APPROVAL: bool(false),

    // What the user receives
    CLUSTER_NAME: z.string().default('kubernetes'),
    CLUSTER_SERVER_URL: z.string().url('CLUSTER_SERVER_URL must be the https:// URL users reach the API server at').optional(),
    CLUSTER_CA_FILE: z.string().optional(),
    KEY_PATH_TEMPLATE: z
      .string()
      .default(DEFAULT_KEY_PATH_TEMPLATE)
      .superRefine((v, ctx) => {
        const problem = keyPathTemplateProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    ISSUANCE_TIMEOUT: durationSetting('ISSUANCE_TIMEOUT', '15m'),

    // Certificate lifecycle: reminders, sweep, retention, renewal
    REMINDER_SHORT_LIFETIME: durationSetting('REMINDER_SHORT_LIFETIME', '3d'),
    REMINDER_BEFORE_EXPIRY: durationList('REMINDER_BEFORE_EXPIRY', '7d,1d,0'),
    REMINDER_LIFETIME_FRACTIONS: z
      .string()
      .default('2/3,1')
      .transform((v, ctx) => {
        const out = list(v).map(parseFraction);
        if (out.length === 0 || out.some((f) => f === undefined)) {
          ctx.addIssue({
            code: 'custom',
            message: `REMINDER_LIFETIME_FRACTIONS="${v}" must be points of the lifetime above 0 and up to 1, as 2/3 or 0.667, separated by commas, e.g. 2/3,1.`,
          });
          return z.NEVER;
        }
        return out as number[];
      }),
    REMINDER_POLL_INTERVAL: durationSetting('REMINDER_POLL_INTERVAL', '30s'),
    SWEEP_INTERVAL: durationSetting('SWEEP_INTERVAL', '10m'),
    INBOX_REPLAY_AFTER: durationSetting('INBOX_REPLAY_AFTER', '5m'),
    RETENTION: durationSetting('RETENTION', '90d'),
    AUDIT_MAX_EVENTS: z.coerce.number().int().min(1000, 'AUDIT_MAX_EVENTS must be at least 1000').default(1_000_000),
    RENEWAL_AUTO_APPROVE: bool(false),
    RENEWAL_MAX_AUTO: z.coerce.number().int().min(0).max(100).default(3),
    RENEWAL_GRACE: durationSetting('RENEWAL_GRACE', '1d'),

    // Jobs
    JOB_LOCK_DURATION: durationSetting('JOB_LOCK_DURATION', '30s'),
    JOB_STALLED_INTERVAL: durationSetting('JOB_STALLED_INTERVAL', '30s'),
    JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    JOB_RETRY_MAX_DELAY: durationSetting('JOB_RETRY_MAX_DELAY', '30s'),

    // Undecided requests
    PENDING_REMINDER: durationSetting('PENDING_REMINDER', '4h'),
    PENDING_EXPIRY: durationSetting('PENDING_EXPIRY', '23h'),
  })
  .superRefine((c, ctx) => {
    if (c.CERT_DEFAULT_LIFETIME > c.CERT_MAX_LIFETIME) {
      ctx.addIssue({
        code: 'custom',
        path: ['CERT_DEFAULT_LIFETIME'],
        message: 'CERT_DEFAULT_LIFETIME is longer than CERT_MAX_LIFETIME; lower the default or raise the maximum.',
      });
    }
    for (const k of ['REMINDER_POLL_INTERVAL', 'SWEEP_INTERVAL', 'INBOX_REPLAY_AFTER', 'RETENTION'] as const) {
      if (c[k] < 1) ctx.addIssue({ code: 'custom', path: [k], message: `${k} must be at least 1s.` });
    }
    if (c.PENDING_EXPIRY >= UNDECIDED_CSR_GC_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['PENDING_EXPIRY'],
        message:
          'PENDING_EXPIRY must be under 24h: Kubernetes deletes an undecided CSR 24 hours after it was made, and csrbot must close the card first (default 23h).',
      });
    }
    if (c.PENDING_REMINDER >= c.PENDING_EXPIRY) {
      ctx.addIssue({
        code: 'custom',
        path: ['PENDING_REMINDER'],
        message: 'PENDING_REMINDER is not before PENDING_EXPIRY: the nudge would never be sent. Lower it (default 4h).',
      });
    }
    if (c.CERT_DEFAULT_LIFETIME < MIN_EXPIRATION_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['CERT_DEFAULT_LIFETIME'],
        message: `CERT_DEFAULT_LIFETIME must be at least 10m (${MIN_EXPIRATION_SECONDS} s), the Kubernetes minimum for expirationSeconds.`,
      });
    }
  });

export type Env = z.input<typeof envSchema>;
export type RawConfig = z.output<typeof envSchema>;

/**
 * Rules across settings, checked on the raw values so they are reported even
 * when another setting is malformed: the operator sees every problem at once.
 */
export function crossFieldProblems(env: Record<string, string | undefined>): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    out.push({
      path: 'SLACK_SIGNING_SECRET',
      message:
        'Set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode; Slack app > Basic Information > Signing Secret). Without one, csrbot cannot receive or verify Slack requests.',
    });
  }
  if (!env.SLACK_ADMIN_GROUP && !env.SLACK_ADMIN_USERS) {
    out.push({
      path: 'SLACK_ADMIN_GROUP',
      message: 'Nobody may approve: set SLACK_ADMIN_GROUP (a user group ID, S...) and/or SLACK_ADMIN_USERS (comma-separated user IDs, U...).',
    });
  }
  if (!env.SLACK_APP_TOKEN && Number(env.OPS_PORT ?? 9090) === Number(env.PORT ?? 3000)) {
    out.push({
      path: 'OPS_PORT',
      message:
        'OPS_PORT and PORT are the same port. In HTTP mode PORT serves only Slack (/slack/events) and OPS_PORT serves /healthz, /readyz and /metrics: give them different ports.',
    });
  }
  if (env.USERNAME_RULE === 'email-local-part' && !env.ALLOWED_EMAIL_DOMAINS) {
    out.push({
      path: 'ALLOWED_EMAIL_DOMAINS',
      message: `USERNAME_RULE=${env.USERNAME_RULE} drops the email domain, so jane@example.com and jane@partner.org would both be "jane". Set ALLOWED_EMAIL_DOMAINS to the domain(s) whose people may request, e.g. example.com.`,
    });
  }
  if (env.USERNAME_RULE === 'mapping' && !env.USERNAME_MAPPING_FILE) {
    out.push({
      path: 'USERNAME_MAPPING_FILE',
      message: 'USERNAME_RULE=mapping needs USERNAME_MAPPING_FILE: a JSON file mapping Slack user IDs to Kubernetes usernames.',
    });
  }
  out.push(...redisProblems(env));
  return out;
}
