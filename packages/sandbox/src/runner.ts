import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import {
  clusterState,
  ensureBinaries,
  freePort,
  repoRoot,
  startControlPlane,
  startRedisServer,
  stopControlPlane,
  type RedisServer,
} from '@csrbot/control-plane';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { SANDBOX_HOST, isLoopbackServer, sandboxEnvironment } from './guards.js';

/** The sandbox's fake people: one requester, two admins, one who may not approve. */
export const PERSONAS = [
  { name: 'jane', realName: 'Jane Doe', email: 'jane@example.com', role: 'requester' },
  { name: 'alice', realName: 'Alice Admin', email: 'alice@example.com', role: 'admin' },
  { name: 'bob', realName: 'Bob Admin', email: 'bob@example.com', role: 'admin' },
  { name: 'mallory', realName: 'Mallory Member', email: 'mallory@example.com', role: 'not an admin' },
] as const;

export const SANDBOX_GROUP = 'dev-team';

export interface Cluster {
  /** What the bot uses (the csrbot identity, or SANDBOX_KUBECONFIG). */
  botKubeconfig: string;
  /** What the page reads CSRs with (the harness admin, or SANDBOX_KUBECONFIG). */
  readerKubeconfig: string;
  server: string;
  stop(): Promise<void>;
}

export interface RunningSandbox {
  readonly dir: string;
  readonly emu: SlackEmulator;
  readonly cluster: Cluster;
  readonly redis: RedisServer;
  readonly bot: ChildProcess;
  readonly botLog: string;
  /** Stops the bot, the emulator, the control plane and Redis, and removes the temp dir. */
  stop(): Promise<void>;
}

export type Say = (line: string) => void;

/** Where the control plane's own hint says KUBECONFIG_TEST (the tests' way), the sandbox's way is SANDBOX_KUBECONFIG. */
const sandboxClusterHint = 'Or point SANDBOX_KUBECONFIG at a local kind or k3d cluster (its server must be on 127.0.0.1) to use it instead of building one.';

/** Runs `step` while printing "<what>... 12s" every few seconds, so a slow first build does not look hung. */
async function withProgress<T>(say: Say, what: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${what}...`);
  const timer = setInterval(() => say(`${what}... ${Math.round((Date.now() - started) / 1000)}s`), 5_000);
  try {
    const result = await step();
    say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

async function startCluster(dir: string, kubeconfig: string | undefined, say: Say): Promise<Cluster> {
  if (kubeconfig) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const server = kc.getCurrentCluster()?.server ?? '';
    if (!isLoopbackServer(server))
      throw new Error(`SANDBOX_KUBECONFIG's server is ${server || '(none)'}, not on loopback. The sandbox only uses a local cluster (kind, k3d) on 127.0.0.1.`);
    return { botKubeconfig: kubeconfig, readerKubeconfig: kubeconfig, server, stop: async () => undefined };
  }
  const binDir = await withProgress(say, 'step 1/4: control-plane binaries (the first build takes minutes)', async () => {
    try {
      return await ensureBinaries();
    } catch (e) {
      throw new Error(`${(e as Error).message.split(' Or set KUBECONFIG_TEST')[0]}\n${sandboxClusterHint}`, { cause: e });
    }
  });
  const stateFile = await withProgress(say, 'step 2/4: starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1', () =>
    startControlPlane({ binDir, ownerPid: process.pid, dir: join(dir, 'cluster') }),
  );
  const state = clusterState(stateFile);
  return {
    botKubeconfig: state.csrbotKubeconfig,
    readerKubeconfig: state.adminKubeconfig,
    server: state.server,
    stop: async () => {
      await stopControlPlane(stateFile, { keepDir: true });
    },
  };
}

/** The bot's environment: nothing of the caller's that csrbot reads, only what points it at the sandbox's own parts. */
function botEnv(o: { emu: SlackEmulator; redis: RedisServer; kubeconfig: string; dir: string; port: number; opsPort: number }): Record<string, string> {
  const admins = PERSONAS.filter((p) => p.role === 'admin').map((p) => o.emu.user(p.name).id);
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    SLACK_BOT_TOKEN: o.emu.botToken,
    SLACK_APP_TOKEN: o.emu.appToken,
    SLACK_API_URL: o.emu.apiUrl,
    SLACK_ADMIN_CHANNEL: o.emu.adminChannelId,
    SLACK_ADMIN_USERS: admins.join(','),
    KUBECONFIG: o.kubeconfig,
    REDIS_URL: o.redis.url,
    REDIS_PREFIX: `sandbox-${randomBytes(6).toString('hex')}`,
    USERNAME_RULE: 'email-local-part',
    // The rule drops the domain, so csrbot needs to know whose domain it is (every persona is @example.com).
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    ALLOWED_GROUPS: SANDBOX_GROUP,
    KEY_PATH_TEMPLATE: join(o.dir, 'keys', '{user}.key'),
    CLUSTER_NAME: 'csrbot-sandbox',
    PORT: String(o.port),
    OPS_PORT: String(o.opsPort),
    OPS_HOST: SANDBOX_HOST,
    LOG_LEVEL: 'info',
  };
}

async function waitForBot(bot: ChildProcess, opsPort: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const phase = await fetch(`http://${SANDBOX_HOST}:${opsPort}/healthz`).then(
      async (r) => ((await r.json()) as { phase?: string }).phase,
      () => undefined,
    );
    if (phase === 'running') return;
    const tail = () => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    if (bot.exitCode !== null || bot.signalCode !== null) throw new Error(`csrbot exited (${bot.exitCode ?? bot.signalCode}) while starting:\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`csrbot did not start within 120 s:\n${tail()}`);
    await sleep(250);
  }
}

/**
 * Starts everything the sandbox runs, each on 127.0.0.1: its own
 * redis-server, its own control plane (or SANDBOX_KUBECONFIG's local
 * cluster), the Slack emulator with the personas, and csrbot itself
 * (`src/main.ts`, unmodified, as a child process) pointed at them. KUBECONFIG
 * and REDIS_URL from `env` are never used. On failure everything started so
 * far is stopped again.
 */
export async function startSandbox(env: Readonly<Record<string, string | undefined>>, say: Say): Promise<RunningSandbox> {
  const settings = sandboxEnvironment(env);
  if (settings.ignored.length > 0) say(`ignoring ${settings.ignored.join(' and ')}: the sandbox never touches real infrastructure`);
  const dir = mkdtempSync(join(tmpdir(), 'csrbot-sandbox-'));
  mkdirSync(join(dir, 'keys'), { mode: 0o700 });
  const undo: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const f of undo.reverse()) await f().catch((e: unknown) => say(`while stopping: ${(e as Error).message}`));
    undo.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cluster = await startCluster(dir, settings.kubeconfig, say);
    undo.push(() => cluster.stop());
    const redisPort = await freePort();
    const redis = await withProgress(say, 'step 3/4: redis-server and the Slack emulator on 127.0.0.1', () =>
      startRedisServer({ port: redisPort, dir: join(dir, 'redis'), args: ['--save', '', '--appendonly', 'no'] }),
    );
    undo.push(() => redis.stop());
    const emu = await SlackEmulator.start({ users: PERSONAS.map((p) => ({ name: p.name, realName: p.realName, email: p.email })) });
    undo.push(() => emu.stop());
    emu.join(PERSONAS.map((p) => emu.user(p.name).id));
    const botLog = join(dir, 'csrbot.log');
    const opsPort = await freePort();
    const fd = openSync(botLog, 'a');
    const bot = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: botEnv({ emu, redis, kubeconfig: cluster.botKubeconfig, dir, port: await freePort(), opsPort }),
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const botExited = new Promise<void>((r) => bot.once('exit', () => r()));
    undo.push(async () => {
      if (bot.exitCode === null && bot.signalCode === null) bot.kill('SIGTERM');
      await Promise.race([botExited, sleep(10_000)]);
      if (bot.exitCode === null && bot.signalCode === null) bot.kill('SIGKILL');
      await botExited;
    });
    await withProgress(say, 'step 4/4: csrbot (src/main.ts) against them', () => waitForBot(bot, opsPort, botLog));
    return { dir, emu, cluster, redis, bot, botLog, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
