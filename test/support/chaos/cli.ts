/**
 * `npm run chaos`: issue 11's fault campaign with its defaults (≥ 300
 * requests, ≥ 100 SIGKILLs of a replica, every other fault once or more),
 * then every request's invariants. Prints a summary; exits 1 on a violation.
 *
 *   npm run chaos -- --requests 300 --kills 100 --seed 42 --concurrency 6 --redis-port 7200
 *   --minutes 20: stop starting requests and kills after 20 minutes, even short of the targets (the summary says so).
 *   --from-sources: replicas run `node --import tsx src/main.ts` instead of building and running dist/main.js as the image does.
 *   CHAOS_REQUESTS, CHAOS_KILLS, CHAOS_SEED, CHAOS_CONCURRENCY, CHAOS_REDIS_PORT, CHAOS_SETTLE_SECONDS, CHAOS_MINUTES do the same.
 *   --short: the fixed-seed short run meant for npm test (short-run.ts); only --redis-port applies. Exits 1 on a violation or a fault not met.
 */
import { parseArgs } from 'node:util';
import { ensureBinaries } from '@csrbot/control-plane';
import { formatSummary, runCampaign } from './campaign.js';
import { shortRunOptions, shortRunShortfalls } from './short-run.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    'redis-port': { type: 'string' },
    'settle-seconds': { type: 'string' },
    minutes: { type: 'string' },
    short: { type: 'boolean' },
    'from-sources': { type: 'boolean' },
  },
});

function int(name: string, flag: string | undefined, env: string | undefined, fallback: number): number {
  const raw = flag ?? env;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`chaos: ${name} must be a whole number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const e = process.env;
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
if (values.short) {
  const binDir = await ensureBinaries();
  const short = await runCampaign(shortRunOptions({ binDir, redisPort: int('--redis-port', values['redis-port'], e.CHAOS_REDIS_PORT, 7200), log }));
  console.log(formatSummary(short));
  const shortfalls = shortRunShortfalls(short);
  for (const x of shortfalls) console.log(`  short run: ${x}`);
  process.exit(short.violations.length > 0 || shortfalls.length > 0 ? 1 : 0);
}
const seed = int('--seed', values.seed, e.CHAOS_SEED, Math.floor(Math.random() * 2 ** 31));
console.log(`chaos: seed ${seed} (run it again with --seed ${seed})`);
const summary = await runCampaign({
  binDir: await ensureBinaries(),
  requests: int('--requests', values.requests, e.CHAOS_REQUESTS, 300),
  kills: int('--kills', values.kills, e.CHAOS_KILLS, 100),
  seed,
  entry: values['from-sources'] ? 'sources' : 'compiled',
  concurrency: int('--concurrency', values.concurrency, e.CHAOS_CONCURRENCY, 6),
  redisPort: int('--redis-port', values['redis-port'], e.CHAOS_REDIS_PORT, 7200),
  ...((values.minutes ?? e.CHAOS_MINUTES) ? { budgetMs: int('--minutes', values.minutes, e.CHAOS_MINUTES, 0) * 60_000 } : {}),
  settleMs: int('--settle-seconds', values['settle-seconds'], e.CHAOS_SETTLE_SECONDS, 300) * 1000,
  log,
});
console.log(formatSummary(summary));
process.exit(summary.violations.length > 0 ? 1 : 0);
