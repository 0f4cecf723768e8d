import { CertificatesV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/logger.js';
import { start } from '../../../src/main.js';
import { adminKubeConfig, kubeconfigPaths } from '../../support/cluster/cluster.js';
import { freePort } from '../../support/free-port.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { SlackEmulator, type Message, type UserDriver } from '../../support/slack-emulator/index.js';
import { opensslKeyAndCsr } from '../kubernetes/support.js';

export const WAIT = { timeoutMs: 45_000 };

/** Everything a flow test touches: the emulated workspace, the real cluster, real Redis, and csrbot itself. */
export interface World {
  emu: SlackEmulator;
  jane: UserDriver;
  alice: UserDriver;
  bob: UserDriver;
  mallory: UserDriver;
  env: Record<string, string>;
  keyDir: string;
  logs: string[];
  /** Each in-process replica's PORT (/healthz, /readyz, /metrics). */
  ports: number[];
  admin: KubeConfig;
  /** Starts one more csrbot replica in this process (same Redis prefix, same workspace). */
  startReplica(): Promise<{ stop(): Promise<void> }>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  env?: Record<string, string>;
  /** Replicas started at once; 0 to start them yourself (e.g. as child processes). */
  replicas?: number;
  /** Who is in SLACK_ADMIN_USERS. Default alice and bob. */
  admins?: Array<'jane' | 'alice' | 'bob'>;
  /** Settings to leave unset, so their defaults apply (e.g. KEY_PATH_TEMPLATE). */
  unset?: string[];
  /**
   * Another Redis (Sentinel or Cluster settings) instead of the shared one. Its
   * servers are the test's own and thrown away, so nothing is cleaned up.
   */
  redisEnv?: Record<string, string>;
}

/**
 * jane (requester), alice and bob (admins), mallory (in the admin channel,
 * not an admin). csrbot runs as main.ts wires it, in Socket Mode, with the
 * `csrbot` kubeconfig: the RBAC we ship.
 */
export async function startWorld(o: WorldOptions = {}): Promise<World> {
  const emu = await SlackEmulator.start({ waitTimeoutMs: WAIT.timeoutMs });
  const jane = emu.addUser({ name: 'jane', email: 'jane@example.com', realName: 'Jane Doe' });
  const alice = emu.addUser({ name: 'alice', email: 'alice@example.com', realName: 'Alice Admin' });
  const bob = emu.addUser({ name: 'bob', email: 'bob@example.com', realName: 'Bob Admin' });
  const mallory = emu.addUser({ name: 'mallory', email: 'mallory@example.com' });
  emu.join([alice.id, bob.id, mallory.id, jane.id]);
  // Hash-tagged on a Redis of the test's own, so that it also works on a Cluster.
  const prefix = o.redisEnv ? `{${uniquePrefix('e2e')}}` : uniquePrefix('e2e');
  const keyDir = mkdtempSync(join(tmpdir(), 'csrbot-keys-'));
  const redisUrl = o.redisEnv ? undefined : await redisUrlForTests();
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: emu.botToken,
    SLACK_APP_TOKEN: emu.appToken,
    SLACK_API_URL: emu.apiUrl,
    SLACK_ADMIN_CHANNEL: emu.adminChannelId,
    SLACK_ADMIN_USERS: (o.admins ?? ['alice', 'bob']).map((n) => ({ jane, alice, bob })[n].id).join(','),
    KUBECONFIG: kubeconfigPaths().csrbot,
    ...(redisUrl ? { REDIS_URL: redisUrl } : o.redisEnv),
    REDIS_PREFIX: prefix,
    USERNAME_RULE: 'email-local-part',
    ALLOWED_GROUPS: 'dev-team',
    KEY_PATH_TEMPLATE: join(keyDir, '{user}.key'),
    JOB_LOCK_DURATION: '5s',
    JOB_STALLED_INTERVAL: '2s',
    JOB_RETRY_MAX_DELAY: '4s',
    LOG_LEVEL: 'info',
    ...o.env,
  };
  for (const k of o.unset ?? []) delete env[k];
  const logs: string[] = [];
  const replicas: Array<{ stop(): Promise<void> }> = [];
  const ports: number[] = [];
  const startReplica = async () => {
    const port = await freePort();
    ports.push(port);
    const config = loadConfig({ ...env, PORT: String(port) });
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) });
    const log = createLogger({ level: config.logLevel, destination, secrets: [emu.botToken, emu.appToken] });
    const r = await start(config, log);
    replicas.push(r);
    return r;
  };
  for (let i = 0; i < (o.replicas ?? 1); i++) await startReplica();
  return {
    emu,
    jane,
    alice,
    bob,
    mallory,
    env,
    keyDir,
    logs,
    ports,
    admin: adminKubeConfig(),
    startReplica,
    stop: async () => {
      for (const r of replicas) await r.stop().catch(() => undefined);
      // Every message and view csrbot sent in the test must pass Slack's Block Kit checks.
      const refused = emu.callLog.filter((c) => c.error === 'invalid_blocks' || (c.method.startsWith('views.') && c.error === 'invalid_arguments'));
      const transcript = refused.length ? emu.transcript() : '';
      await emu.stop();
      if (redisUrl) {
        const redis = new Redis(redisUrl);
        await cleanupPrefix(redis, prefix);
        redis.disconnect();
      }
      if (refused.length)
        throw new Error(`Slack refused blocks csrbot sent: ${JSON.stringify(refused.map((c) => ({ method: c.method, response: c.response })))}\n${transcript}`);
    },
  };
}

/** jane's key and CSR, made by openssl; the key is saved where her kubeconfig will point. */
export function janesKeyAndCsr(w: World, subject: { cn: string; o?: string[] } = { cn: 'jane', o: ['dev-team'] }) {
  const made = opensslKeyAndCsr(subject);
  writeFileSync(join(w.keyDir, `${subject.cn}.key`), made.keyPem, { mode: 0o600 });
  return made;
}

export const hasAction = (actionId: string) => (m: Message) => JSON.stringify(m.blocks ?? []).includes(`"action_id":"${actionId}"`);
export const isCertificateDm = (m: Message) => (m.files ?? []).some((f) => String(f.name).endsWith('.crt'));

/** Uploads the CSR in jane's DM, presses Submit, and returns the admin card. */
export async function requestViaDm(w: World, user: UserDriver, csrPem: string): Promise<Message> {
  await user.dm(w.emu.bot).upload(`${user.name}.csr`, csrPem);
  const summary = await user.waitForDm(hasAction('csrbot_submit_request'), WAIT);
  await user.click(summary, 'csrbot_submit_request');
  return waitForCard(w, (m) => m.text.includes(`for ${user.name}`) && hasAction('csrbot_approve')(m));
}

export function waitForCard(w: World, pred: (m: Message) => boolean): Promise<Message> {
  return w.emu.waitForMessage(w.emu.adminChannelId, (m) => m.user === w.emu.botUserId && pred(m), WAIT);
}

/** The card as it is now (after chat.update). */
export function currentCard(w: World, card: Message): Message {
  return w.emu.messagesIn(card.channel).find((m) => m.ts === card.ts) ?? card;
}

/** The request id on a card (the Approve button's value). */
export function requestIdOf(card: Message): string {
  const m = /"action_id":"csrbot_approve"[^}]*?"value":"([a-f0-9]+)"|"value":"([a-f0-9]+)"[^}]*?"action_id":"csrbot_approve"/.exec(JSON.stringify(card.blocks));
  return (m?.[1] ?? m?.[2])!;
}

export function csrNameOf(card: Message): string {
  const m = /`(csrbot-[a-z0-9.-]+)`/.exec(JSON.stringify(card.blocks));
  return m![1]!;
}

export async function readCsr(w: World, name: string) {
  return w.admin.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name });
}

export async function conditionCount(w: World, name: string, type: 'Approved' | 'Denied' | 'Failed'): Promise<number> {
  const csr = await readCsr(w, name);
  return (csr.status?.conditions ?? []).filter((c) => c.type === type).length;
}

/** The bytes of a file the bot shared. */
export function fileText(w: World, file: Record<string, unknown>): string {
  const f = w.emu.file(String(file.id));
  return f?.content?.toString('utf8') ?? '';
}

/** The kubeconfig jane received, with her key where it says. */
export function deliveredKubeconfig(w: World, dm: Message): { kubeconfig: string; certificate: string } {
  const files = dm.files ?? [];
  const kc = files.find((f) => String(f.name).endsWith('.kubeconfig'));
  const crt = files.find((f) => String(f.name).endsWith('.crt'));
  return { kubeconfig: kc ? fileText(w, kc) : '', certificate: crt ? fileText(w, crt) : '' };
}

export function readKey(w: World, user: string): string {
  return readFileSync(join(w.keyDir, `${user}.key`), 'utf8');
}

export interface BotProcess {
  pid: number;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** csrbot as its own process (`node src/main.ts` through tsx), for crash tests. */
export async function spawnBot(w: World): Promise<BotProcess> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...w.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('csrbot started')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`csrbot did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Socket Mode connects after start; wait for the emulator to see it.
  await w.emu.waitFor(() => (w.emu.socketMode.open().length > 0 ? true : undefined), 'a Socket Mode connection', WAIT);
  return {
    pid: child.pid!,
    output: () => out,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
