/**
 * The fault campaign of issue 11 (`npm run chaos`, and a short fixed-seed run
 * in `npm test`): the real parts, broken on purpose while the load driver
 * uses them, then every request's invariants checked.
 *
 * The parts, all of the campaign's own: a control plane (etcd,
 * kube-apiserver, kube-controller-manager), a redis-server with AOF on
 * (appendfsync always) on its own port and data dir, the Slack emulator, and
 * csrbot as two child processes (replicas in Socket Mode: `node dist/main.js`
 * built first, as the image runs it, or `node --import tsx src/main.ts`).
 *
 * The faults: SIGKILL of a random replica at random moments, one down at a
 * time (each respawned at once), a Redis SIGKILL and restart on the same AOF, a kube-apiserver
 * restart, Slack 429 and 5xx storms, card deletions (by the driver) and a
 * window in which the bot is out of the admin channel (`not_in_channel`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SlackEmulator, type UserDriver } from '@csrbot/slack-emulator';
import {
  REDIS_HOST,
  answersPing,
  clusterState,
  freePort,
  repoRoot,
  startApiserver,
  startControlPlane,
  startRedisServer,
  stopApiserver,
  stopControlPlane,
  type RedisServer,
} from '@csrbot/control-plane';
import { RedisRequestStore } from '../../../src/adapters/store/redis-request-store.js';
import { LoadDriver, seededRandom, type LoadOptions, type TrackedRequest } from '../load/driver.js';
import { FINAL_STATES, checkInvariants, type Violation } from './invariants.js';

export interface CampaignOptions {
  /** Directory holding etcd, kube-apiserver, kube-controller-manager (ensureBinaries() or the jest state's binDir): a control plane of the campaign's own. */
  binDir?: string;
  /** Or the state file of a running control plane to use instead (no apiserver restart then: others may be using it). */
  planeStateFile?: string;
  /** Loopback port of the campaign's own redis-server. */
  redisPort: number;
  /** Seed of every random choice: the load mix and the kill moments. */
  seed: number;
  /** Requests to make, at least (more are made while kills remain). */
  requests: number;
  /** SIGKILLs of a replica, at least. */
  kills: number;
  /** Requests in flight at once. Default 6. */
  concurrency?: number;
  /** Random pause before a kill, in ms, once both replicas serve. Default [500, 4000]. */
  killGapMs?: [number, number];
  /**
   * How replicas start. 'compiled': `npm run build` once, then `node --enable-source-maps dist/main.js`, as the image and
   * `npm start` run csrbot (a replica starts in about half the time). 'sources': `node --import tsx src/main.ts`, no build. Default 'sources'.
   */
  entry?: 'compiled' | 'sources';
  /** Stop starting requests and kills after this long, even short of `requests` and `kills` (the summary says what was reached). Default none. */
  budgetMs?: number;
  /** How long everything gets to become final after the load. Default 300 s. */
  settleMs?: number;
  /** Which faults besides the kills. Default all. */
  faults?: Partial<Record<'redisRestart' | 'apiserverRestart' | 'slackStorms' | 'notInChannel' | 'cardDeletion', boolean>>;
  /** How long the bot stays out of the admin channel: 8 s (`fixed`), or (`until-refused`) at least 8 s and until Slack has refused csrbot `not_in_channel` once, at most 60 s, so a short run surely meets it. Default `fixed`. */
  notInChannelWindow?: 'fixed' | 'until-refused';
  /** The load driver's patience and a fixed load script (see LoadOptions). Default its own (180 s per step, 90 s for the outcome, no script). */
  driver?: Pick<LoadOptions, 'stepTimeoutMs' | 'outcomeTimeoutMs' | 'script'>;
  /** Progress lines. Default none. */
  log?: (line: string) => void;
  /** Where logs (csrbot's, per process) go. Default a new temp dir. */
  workDir?: string;
}

export interface CampaignSummary {
  seed: number;
  /** What was asked: at least this many requests and kills. */
  targets: { requests: number; kills: number };
  requests: number;
  /** Requests whose card the driver saw (so their invariants were checked). */
  tracked: number;
  kills: number;
  /** From a kill to its replacement logging "csrbot started". */
  restartMs: Percentiles;
  faults: Record<string, number>;
  outcomes: Record<string, number>;
  durationMs: number;
  settleMs: number;
  timings: { uploadToCardMs: Percentiles; clickToCertificateDmMs: Percentiles };
  violations: Violation[];
  /** What the driver could not do, for each request with a violation (by the violation's request label). */
  driverProblems: Record<string, string[]>;
  workDir: string;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s.at(-1) ?? 0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'chaos';
const REQUESTERS = 16;

/** One csrbot replica slot: a process, killed and respawned. */
interface Replica {
  slot: number;
  generation: number;
  child?: ChildProcess;
  /** Serving: its process logged "csrbot started". */
  up: boolean;
  /** When its last process was killed, until its replacement is up (restart times). */
  killedAt?: number;
  /** The loop (re)starting this slot until a process is up, while one runs. */
  respawning?: Promise<void>;
}

async function kill(r: Replica): Promise<void> {
  const child = r.child!;
  const exited = new Promise<void>((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', () => res())));
  child.kill('SIGKILL');
  await exited;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignSummary> {
  const log = o.log ?? (() => undefined);
  const faultsOn = {
    redisRestart: true,
    apiserverRestart: o.planeStateFile === undefined,
    slackStorms: true,
    notInChannel: true,
    cardDeletion: true,
    ...o.faults,
  };
  if (!o.binDir && !o.planeStateFile) throw new Error('runCampaign needs binDir (its own control plane) or planeStateFile');
  if (o.planeStateFile && faultsOn.apiserverRestart) throw new Error('runCampaign restarts only the apiserver of its own control plane');
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), 'csrbot-chaos-'));
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  const random = seededRandom(o.seed ^ 0x5eed);
  const faults: Record<string, number> = {};
  const count = (k: string, n = 1) => (faults[k] = (faults[k] ?? 0) + n);
  const started = Date.now();

  log(`chaos: seed ${o.seed}, ≥${o.requests} requests, ≥${o.kills} kills; logs in ${workDir}`);
  // Built before anything starts: a compile error stops the run at once.
  const entry = o.entry ?? 'sources';
  if (entry === 'compiled') {
    const t0 = Date.now();
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
    log(`chaos: built dist/ in ${Math.round((Date.now() - t0) / 1000)} s; replicas run node dist/main.js`);
  }
  const argv = entry === 'compiled' ? ['--enable-source-maps', 'dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
  const redisDir = join(workDir, 'redis');
  // startRedisServer takes any PONG for its own: another run's Redis on this port would be shared silently.
  if (await answersPing(REDIS_HOST, o.redisPort))
    throw new Error(`something already answers on 127.0.0.1:${o.redisPort}: another chaos run? Pick a free port (--redis-port).`);
  let redis: RedisServer = await startRedisServer({ port: o.redisPort, dir: redisDir, args: redisArgs });
  let plane: string | undefined;
  let emu: SlackEmulator | undefined;
  const replicas: Replica[] = [
    { slot: 0, generation: 0, up: false },
    { slot: 1, generation: 0, up: false },
  ];
  let stopping = false;
  // Interrupted (Ctrl-C, a CI timeout): leave no replica, redis-server or control plane behind.
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    if (emu) writeFileSync(join(workDir, 'slack-transcript.txt'), emu.transcript());
    for (const r of replicas) r.child?.kill('SIGKILL');
    redis.child.kill('SIGKILL');
    void (plane ? stopControlPlane(plane) : Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const planeFile = o.planeStateFile ?? (await startControlPlane({ binDir: o.binDir!, ownerPid: process.pid, dir: join(workDir, 'cluster') }));
    if (!o.planeStateFile) plane = planeFile;
    const state = clusterState(planeFile);
    const admin = new KubeConfig();
    admin.loadFromFile(state.adminKubeconfig);

    // Slack retries an event it could not deliver (1 min, then 5 min apart); compressed here so that
    // both replicas being down at once costs seconds, not minutes.
    emu = await SlackEmulator.start({ waitTimeoutMs: 120_000, eventRetryDelaysMs: [0, 2000, 8000, 20_000, 45_000] });
    const approvers = ['alice', 'bob', 'carol'].map((n) =>
      emu!.addUser({ name: n, email: `${n}@example.com`, realName: `${n[0]!.toUpperCase()}${n.slice(1)} Admin` }),
    );
    const requesters: UserDriver[] = Array.from({ length: REQUESTERS }, (_, i) => {
      const name = `dev${String(i + 1).padStart(2, '0')}`;
      return emu!.addUser({ name, email: `${name}@example.com` });
    });
    emu.join(approvers.map((u) => u.id));
    const keyDir = join(workDir, 'keys');
    mkdirSync(keyDir, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SLACK_BOT_TOKEN: emu.botToken,
      SLACK_APP_TOKEN: emu.appToken,
      SLACK_API_URL: emu.apiUrl,
      SLACK_ADMIN_CHANNEL: emu.adminChannelId,
      SLACK_ADMIN_USERS: approvers.map((u) => u.id).join(','),
      KUBECONFIG: state.csrbotKubeconfig,
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
      USERNAME_RULE: 'email-local-part',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      ALLOWED_GROUPS: 'dev-team',
      KEY_PATH_TEMPLATE: join(keyDir, '{user}.key'),
      MAX_PENDING_PER_USER: '100',
      MAX_REQUESTS_PER_HOUR: '1000',
      // A killed worker's job is retaken within seconds, and the sweep (stuck requests, the inbox, the reconciler) runs often.
      JOB_LOCK_DURATION: '5s',
      JOB_STALLED_INTERVAL: '2s',
      JOB_RETRY_MAX_DELAY: '4s',
      SWEEP_INTERVAL: '5s',
      INBOX_REPLAY_AFTER: '3s',
      LOG_LEVEL: 'info',
    };

    const restarts: number[] = [];

    const spawnReplica = async (r: Replica): Promise<void> => {
      r.generation += 1;
      const opsPort = await freePort();
      const out = createWriteStream(join(workDir, 'logs', `replica${r.slot}-${r.generation}.log`));
      const child = spawn(process.execPath, argv, {
        cwd: repoRoot,
        env: { ...env, OPS_PORT: String(opsPort) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      r.child = child;
      let seen = '';
      const ready = new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          out.write(d);
          if (!r.up && (seen = (seen + d.toString()).slice(-4096)).includes('csrbot started')) {
            r.up = true;
            if (r.killedAt !== undefined) restarts.push(Date.now() - r.killedAt);
            r.killedAt = undefined;
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code, signal) => {
          out.end();
          r.up = false;
          if (signal !== 'SIGKILL' && !stopping) log(`replica ${r.slot}.${r.generation} exited on its own (${code ?? signal}); see its log`);
          reject(new Error(`replica ${r.slot}.${r.generation} exited (${code ?? signal}) before it started`));
        });
      });
      ready.catch(() => undefined);
      return ready;
    };
    /** Respawns until a process reaches "csrbot started" (one may die starting while Redis or the apiserver is down). One loop per slot at a time. */
    const respawn = (r: Replica): Promise<void> =>
      (r.respawning ??= (async () => {
        for (let attempt = 1; !stopping; attempt++) {
          try {
            await spawnReplica(r);
            return;
          } catch (e) {
            log(`${(e as Error).message}; starting it again (attempt ${attempt})`);
            await sleep(2000);
          }
        }
      })().finally(() => (r.respawning = undefined)));
    await Promise.all(replicas.map(respawn));
    await emu.waitFor(() => (emu!.socketMode.open().length >= 2 ? true : undefined), 'two Socket Mode connections', { timeoutMs: 60_000 });
    log(`chaos: world up in ${Math.round((Date.now() - started) / 1000)} s`);

    // The fault plan, by how many requests have started.
    const plan: Array<{ at: number; name: string; run: () => Promise<void> }> = [];
    const storm = async (name: string, status: number, methods: string[], times: number) => {
      for (const m of methods) emu!.faults.next(m, { status, times, ...(status === 429 ? { retryAfterSec: 1 } : {}) });
      count(`slack storm (${name})`);
    };
    if (faultsOn.slackStorms) {
      plan.push({
        at: 0.1,
        name: '429 storm',
        run: () => storm('429', 429, ['chat.postMessage', 'chat.update', 'conversations.history', 'files.getUploadURLExternal', 'views.open'], 12),
      });
      plan.push({
        at: 0.4,
        name: '5xx storm',
        run: () => storm('5xx', 503, ['chat.postMessage', 'chat.update', 'files.completeUploadExternal', 'conversations.open', 'users.info'], 10),
      });
      plan.push({ at: 0.85, name: '500 storm', run: () => storm('5xx', 500, ['chat.update', 'chat.postMessage', 'conversations.history'], 15) });
    }
    if (faultsOn.redisRestart)
      plan.push({
        at: 0.25,
        name: 'Redis restart',
        run: async () => {
          await redis.stop('SIGKILL');
          await sleep(3000);
          redis = await startRedisServer({ port: o.redisPort, dir: redisDir, args: redisArgs });
          count('Redis SIGKILL + restart (AOF)');
        },
      });
    if (faultsOn.apiserverRestart)
      plan.push({
        at: 0.55,
        name: 'kube-apiserver restart',
        run: async () => {
          await stopApiserver(planeFile);
          await sleep(5000);
          await startApiserver(planeFile);
          count('kube-apiserver restart');
        },
      });
    if (faultsOn.notInChannel)
      plan.push({
        at: 0.7,
        name: 'bot out of the admin channel',
        run: async () => {
          const refusals = () => emu!.callLog.filter((c) => c.error === 'not_in_channel').length;
          const [from, before] = [Date.now(), refusals()];
          emu!.leave([emu!.botUserId]);
          await sleep(8000);
          if (o.notInChannelWindow === 'until-refused') while (refusals() === before && Date.now() - from < 60_000) await sleep(250);
          emu!.join([emu!.botUserId]);
          count(o.notInChannelWindow === 'until-refused' ? 'not_in_channel window (until refused)' : 'not_in_channel window (8 s)');
        },
      });
    const pending = [...plan].sort((a, b) => a.at - b.at);
    const running: Array<Promise<void>> = [];
    const onStart = (n: number) => {
      while (pending.length && n >= pending[0]!.at * o.requests) {
        const f = pending.shift()!;
        log(`chaos: fault at request ${n}: ${f.name}`);
        running.push(f.run().catch((e: unknown) => log(`chaos: fault ${f.name} failed: ${String(e)}`)));
      }
      if (n % 25 === 0) log(`chaos: ${n} requests started, ${kills} kills, ${Math.round((Date.now() - started) / 1000)} s`);
    };

    const driver = LoadDriver.create(
      { emu, admin, requesters, approvers, groups: ['dev-team'] },
      { seed: o.seed, log, ...o.driver, ...(faultsOn.cardDeletion ? {} : { mix: { 'approve-then-delete-card': 0, 'delete-card-then-kubectl-approve': 0 } }) },
    );

    let kills = 0;
    const [gapMin, gapMax] = o.killGapMs ?? [500, 4000];
    const overBudget = () => o.budgetMs !== undefined && Date.now() - started > o.budgetMs;
    const killer = (async () => {
      while (kills < o.kills && !overBudget()) {
        // One replica down at a time, as a deployment's restarts go: the other keeps serving, so the load moves on
        // between kills. With both down nobody holds a Socket Mode connection: every click goes unacknowledged and
        // every event waits for Slack's redelivery, which stalled the load in an earlier run. Only a serving replica
        // is killed (killing one still starting would mostly kill processes that hold nothing yet).
        while (replicas.some((r) => !r.up) && !overBudget()) await sleep(250);
        await sleep(gapMin + random() * (gapMax - gapMin));
        const up = replicas.filter((r) => r.up);
        if (up.length < replicas.length) continue;
        const victim = up[Math.floor(random() * up.length)]!;
        victim.killedAt = Date.now();
        await kill(victim);
        kills += 1;
        void respawn(victim);
      }
    })();
    await driver.run({ requests: o.requests, concurrency: o.concurrency ?? 6, more: () => kills < o.kills, stop: overBudget, onStart });
    if (overBudget()) log(`chaos: time budget of ${Math.round(o.budgetMs! / 1000)} s spent; no more requests or kills`);
    await killer;
    await Promise.all(running);
    log(`chaos: load done (${driver.requests.length} requests, ${kills} kills) in ${Math.round((Date.now() - started) / 1000)} s; settling`);

    // Settle: both replicas up, no fault left, everything final (or the time is up).
    emu.faults.clear();
    emu.join([emu.botUserId]);
    for (const r of replicas) if (!r.up) await respawn(r);
    const settleStart = Date.now();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    client.on('error', () => undefined);
    const store = RedisRequestStore.create({ redis: client, prefix: PREFIX });
    const queue = new Queue('csrbot', { connection: client, prefix: PREFIX });
    queue.on('error', () => undefined);
    try {
      const settleMs = o.settleMs ?? 300_000;
      for (;;) {
        const ids = [...driver.cardsSeen().all];
        const states = await Promise.all(ids.map(async (id) => (await store.get(id))?.state));
        const open = ids.filter((_, i) => !FINAL_STATES.includes(states[i]!));
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        const busy = Object.values(counts).some((n) => n > 0) || emu.inFlight().requests > 0;
        if (open.length === 0 && !busy) break;
        if (Date.now() - settleStart > settleMs) {
          log(`chaos: still open after ${settleMs} ms: ${open.join(', ') || 'none'}; jobs ${JSON.stringify(counts)}`);
          break;
        }
        await sleep(2000);
      }
      const settled = Date.now() - settleStart;
      log(`chaos: settled in ${Math.round(settled / 1000)} s; checking invariants`);

      const violations = await checkInvariants({ emu, admin, store, tracked: driver.requests, cardIds: driver.cardsSeen().all });
      // The driver's own account of those requests (clicks not acknowledged, modals that never opened): where a diagnosis starts.
      const driverProblems: Record<string, string[]> = {};
      for (const v of violations) {
        const t = driver.requests.find((r) => (r.id !== undefined && v.request.startsWith(r.id)) || v.request.startsWith(`#${r.seq} `));
        if (t?.problems.length) driverProblems[v.request] = t.problems;
      }
      const outcomes: Record<string, number> = {};
      for (const id of driver.cardsSeen().all) {
        const s = (await store.get(id))?.state ?? 'missing';
        outcomes[s] = (outcomes[s] ?? 0) + 1;
      }
      const calls = emu.callLog;
      count('Slack answers 429', calls.filter((c) => c.status === 429).length);
      count('Slack answers 5xx', calls.filter((c) => c.status >= 500).length);
      count('Slack answers not_in_channel', calls.filter((c) => c.error === 'not_in_channel').length);
      count('Slack answers message_not_found', calls.filter((c) => c.error === 'message_not_found').length);
      count(
        'cards deleted',
        driver.requests.reduce((n, t: TrackedRequest) => n + t.deletedCards.length, 0),
      );
      const t = driver.timings();
      return {
        seed: o.seed,
        targets: { requests: o.requests, kills: o.kills },
        requests: driver.requests.length,
        tracked: driver.requests.filter((r) => r.id !== undefined).length,
        kills,
        restartMs: percentiles(restarts),
        faults,
        outcomes,
        durationMs: Date.now() - started,
        settleMs: settled,
        timings: { uploadToCardMs: percentiles(t.uploadToCard), clickToCertificateDmMs: percentiles(t.clickToCertificateDm) },
        violations,
        driverProblems,
        workDir,
      };
    } finally {
      await queue.close().catch(() => undefined);
      client.disconnect();
    }
  } finally {
    if (emu) writeFileSync(join(workDir, 'slack-transcript.txt'), emu.transcript());
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping = true;
    for (const r of replicas) if (r.child && r.child.exitCode === null && r.child.signalCode === null) await kill(r);
    await emu?.stop().catch(() => undefined);
    if (plane) await stopControlPlane(plane).catch(() => undefined);
    await redis.stop().catch(() => undefined);
  }
}

/** The summary as people read it. */
export function formatSummary(s: CampaignSummary): string {
  const lines = [
    `chaos summary (seed ${s.seed})`,
    `  targets:    ≥${s.targets.requests} requests, ≥${s.targets.kills} kills: ${s.requests >= s.targets.requests && s.kills >= s.targets.kills ? 'reached' : 'NOT reached (time budget spent)'}`,
    `  requests:   ${s.requests} (${s.tracked} reached a card and were checked)`,
    `  outcomes:   ${Object.entries(s.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  kills:      ${s.kills} SIGKILLs of a serving replica; its replacement serving after p50 ${s.restartMs.p50} ms, p95 ${s.restartMs.p95} ms, max ${s.restartMs.max} ms`,
    `  faults:     ${Object.entries(s.faults)
      .map(([k, n]) => `${k}: ${n}`)
      .join('; ')}`,
    `  time:       ${Math.round(s.durationMs / 1000)} s (settling ${Math.round(s.settleMs / 1000)} s)`,
    `  upload→card:            p50 ${s.timings.uploadToCardMs.p50} ms, p95 ${s.timings.uploadToCardMs.p95} ms, max ${s.timings.uploadToCardMs.max} ms (n=${s.timings.uploadToCardMs.n})`,
    `  click→certificate DM:   p50 ${s.timings.clickToCertificateDmMs.p50} ms, p95 ${s.timings.clickToCertificateDmMs.p95} ms, max ${s.timings.clickToCertificateDmMs.max} ms (n=${s.timings.clickToCertificateDmMs.n})`,
    `  violations: ${s.violations.length}`,
    ...s.violations.flatMap((v) => [`    - ${v.request}: ${v.rule}: ${v.detail}`, ...(s.driverProblems[v.request] ?? []).map((p) => `        driver: ${p}`)]),
    `  logs:       ${s.workDir}`,
  ];
  return lines.join('\n');
}
