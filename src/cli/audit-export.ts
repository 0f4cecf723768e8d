/**
 * `csrbot audit export`: the audit trail as JSON Lines or CSV on stdout. Reads
 * only the Redis settings (REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES,
 * REDIS_PREFIX, credentials), from the environment over an optional .env file.
 */
import { parseArgs } from 'node:util';
import { createRedisClient } from '../adapters/redis/create-redis-client.js';
import { RedisAuditLog } from '../adapters/store/redis-audit-log.js';
import { readDotEnv } from '../config/load-config.js';
import { loadRedisSettings } from '../config/redis-schema.js';
import { parseDurationSeconds } from '../config/schema.js';
import { isCsrbotError } from '../domain/errors.js';
import type { AuditEvent } from '../ports.js';
import { EXIT_USAGE, type CliIo } from './io.js';

export const AUDIT_USAGE = `Usage: csrbot audit export [options]

Writes csrbot's audit trail (requests, decisions in Slack or with kubectl,
issuance, reminders, snoozes, dismissals, renewals) to stdout, oldest first.

Options:
  --since <duration>   only events newer than this, e.g. 7d, 12h, 30m (default: everything kept)
  --format <jsonl|csv> one JSON object per line (default), or CSV with a header
  --env-file <path>    settings file under the environment (default .env, if it exists)
  -h, --help           show this help

Exit codes: 0 written, 2 a setting to fix or Redis unreachable, ${EXIT_USAGE} usage.`;

const COLUMNS = ['at', 'type', 'requestId', 'serial', 'actor', 'via', 'detail'] as const;

/** One CSV field: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function csvField(v: string | undefined): string {
  let s = v ?? '';
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatAuditEvent(e: AuditEvent, format: 'jsonl' | 'csv'): string {
  return format === 'jsonl' ? JSON.stringify(e) : COLUMNS.map((c) => csvField(e[c])).join(',');
}

export async function auditCommand(argv: string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const [sub, ...rest] = argv;
  let args;
  try {
    args = parseArgs({
      args: rest,
      options: {
        since: { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        'env-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n\n${AUDIT_USAGE}`);
    return EXIT_USAGE;
  }
  const opt = args.values;
  if (opt.help || sub === 'help' || sub === '--help' || sub === '-h') {
    io.out(AUDIT_USAGE);
    return 0;
  }
  if (sub !== 'export') {
    io.err(`Unknown audit command "${sub ?? ''}": use "csrbot audit export".\n\n${AUDIT_USAGE}`);
    return EXIT_USAGE;
  }
  const format = opt.format;
  if (format !== 'jsonl' && format !== 'csv') {
    io.err(`--format must be jsonl or csv (got "${format}").`);
    return EXIT_USAGE;
  }
  const sinceSeconds = opt.since === undefined ? undefined : parseDurationSeconds(opt.since);
  if (opt.since !== undefined && sinceSeconds === undefined) {
    io.err(`--since "${opt.since}" is not a duration: use e.g. 7d, 12h, 30m or seconds.`);
    return EXIT_USAGE;
  }
  const since = sinceSeconds === undefined ? new Date(0) : new Date(now().getTime() - sinceSeconds * 1000);

  let settings;
  try {
    settings = loadRedisSettings(io.env ?? (await readDotEnv(opt['env-file'] ?? '.env')));
  } catch (e) {
    if (!isCsrbotError(e)) throw e;
    io.err(e.userMessage);
    return 2;
  }
  const redis = createRedisClient(settings, 'store');
  redis.on('error', () => undefined);
  try {
    const log = RedisAuditLog.create({ redis, prefix: settings.prefix });
    if (format === 'csv') io.out(COLUMNS.join(','));
    for await (const e of log.read(since)) io.out(formatAuditEvent(e, format));
    return 0;
  } catch (e) {
    io.err(
      `Could not read the audit trail from Redis: ${e instanceof Error ? e.message : String(e)}. Check REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES) and REDIS_PREFIX.`,
    );
    return 2;
  } finally {
    redis.disconnect();
  }
}
