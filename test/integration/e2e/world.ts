import { CertificatesV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/log/logger.js';
import { start } from '../../../src/main.js';
import { adminKubeConfig, kubeconfigPaths, freePort } from '@csrbot/control-plane';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { SlackEmulator, type Ephemeral, type Message, type UserDriver, type View } from '@csrbot/slack-emulator';
import { waitForQuiet as quietOf, type QuietOptions } from '../../support/wait-for-quiet.js';
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
  /** Each in-process replica's OPS_PORT (/healthz, /readyz, /metrics). */
  ports: number[];
  admin: KubeConfig;
  /** csrbot's job queue (the name main.ts gives it, under this world's prefix), for waitForQuiet. */
  queues: Queue[];
  /** csrbot's queue of repeating jobs (sweep, reminder drain), for waitForQuiet. */
  repeating: Queue[];
  /** This world's Redis key prefix. */
  prefix: string;
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
  /** The emulated app's event subscriptions (default: the emulator's, message.im and app_home_opened). */
  events?: string[];
}

/**
 * Runs `fn`; if it fails, the error carries the tail of csrbot's own log
 * (info and above), so a failure in a loaded CI run can be read from its output.
 */
export async function withBotLog<T>(w: World, fn: () => Promise<T>, lines = 60): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const log = w.logs
      .filter((l) => !l.includes('"level":20'))
      .slice(-lines)
      .join('');
    throw new Error(`${(e as Error).message.split('\n')[0]}\n--- csrbot log (last ${lines} lines above debug) ---\n${log}`, { cause: e });
  }
}

/**
 * jane (requester), alice and bob (admins), mallory (in the admin channel,
 * not an admin). csrbot runs as main.ts wires it, in Socket Mode, with the
 * `csrbot` kubeconfig: the RBAC we ship.
 */
export async function startWorld(o: WorldOptions = {}): Promise<World> {
  const emu = await SlackEmulator.start({ waitTimeoutMs: WAIT.timeoutMs, ...(o.events ? { events: o.events } : {}) });
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
    ALLOWED_EMAIL_DOMAINS: 'example.com',
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
    const config = loadConfig({ ...env, OPS_PORT: String(port) });
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) });
    const log = createLogger({ level: config.logLevel, destination, secrets: [emu.botToken, emu.appToken] });
    const r = await start(config, log);
    replicas.push(r);
    return r;
  };
  for (let i = 0; i < (o.replicas ?? 1); i++) await startReplica();
  // Read-only: tests look at its job counts, never add to it.
  const queue = new Queue(CSRBOT_QUEUE, { connection: { url: redisUrl }, prefix });
  queue.on('error', () => undefined);
  const scheduled = new Queue(SCHEDULED_QUEUE, { connection: { url: redisUrl }, prefix });
  scheduled.on('error', () => undefined);
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
    queues: [queue],
    repeating: [scheduled],
    prefix,
    startReplica,
    stop: async () => {
      for (const r of replicas) await r.stop().catch(() => undefined);
      await queue.close();
      await scheduled.close();
      // Every message and view csrbot sent in the test must pass Slack's Block Kit checks.
      const refused = emu.callLog.filter((c) => c.error === 'invalid_blocks' || (c.method.startsWith('views.') && c.error === 'invalid_arguments'));
      const transcript = refused.length ? emu.transcript() : '';
      await emu.stop();
      let unwatched: string[] = [];
      if (redisUrl) {
        const redis = new Redis(redisUrl);
        unwatched = await queuesUnder(redis, prefix).then((names) => names.filter((n) => n !== CSRBOT_QUEUE && n !== SCHEDULED_QUEUE));
        await cleanupPrefix(redis, prefix);
        redis.disconnect();
      }
      if (refused.length)
        throw new Error(`Slack refused blocks csrbot sent: ${JSON.stringify(refused.map((c) => ({ method: c.method, response: c.response })))}\n${transcript}`);
      // waitForQuiet watches one queue; a queue it does not know of would make "quiet" a guess again.
      if (unwatched.length) throw new Error(`csrbot used BullMQ queue(s) ${unwatched.join(', ')} that World.queues does not watch; add them in world.ts`);
    },
  };
}

/** The queue name main.ts gives BullMQ. */
const CSRBOT_QUEUE = 'csrbot';
/** Its queue of repeating jobs (main.ts: `${queueName}-scheduled`). */
const SCHEDULED_QUEUE = 'csrbot-scheduled';

/** Names of the BullMQ queues with keys under `prefix` (each has a `<prefix>:<name>:meta` hash). */
async function queuesUnder(redis: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) names.add(k.slice(prefix.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names];
}

/** Waits until csrbot's queue, the emulator and every delivery are idle (see test/support/wait-for-quiet.ts). */
export async function waitForQuiet(w: World, o: QuietOptions = {}): Promise<void> {
  // Shorter than a test's own timeout, so a wait that never ends says what was still busy.
  await quietOf({ emu: w.emu, queues: w.queues, repeating: w.repeating }, { timeoutMs: 20_000, ...o });
}

/** Slack timestamps as microseconds, so they compare as numbers (exact below 2^53). */
function tsValue(ts: string): number {
  const [s = '0', us = '0'] = ts.split('.');
  return Number(s) * 1e6 + Number(us.padEnd(6, '0'));
}

/**
 * A point in the workspace's history: every message or ephemeral posted from
 * now on has a later ts. Waits "since" a mark match only what the action
 * after it produced, never a message that was already there.
 */
export function mark(w: World): string {
  let last = '0.000000';
  for (const m of [...w.emu.workspace.messages, ...w.emu.workspace.ephemerals]) if (tsValue(m.ts) > tsValue(last)) last = m.ts;
  return last;
}

const postedAfter = (since: string) => (m: { ts: string }) => tsValue(m.ts) > tsValue(since);

/** The bot's DMs to `user` posted after `since`, oldest first. */
export function dmsSince(w: World, user: UserDriver, since: string): Message[] {
  return user.dms().filter((m) => m.user === w.emu.botUserId && postedAfter(since)(m));
}

/** Waits for a DM from the bot to `user`, posted after `since`, that matches. */
export function waitForNewDm(w: World, user: UserDriver, since: string, pred: (m: Message) => boolean = () => true): Promise<Message> {
  return w.emu.waitFor(() => dmsSince(w, user, since).find(pred), `a DM from the bot to @${user.name} posted after ${since} matching ${pred.toString()}`, WAIT);
}

/** Waits for an ephemeral shown to `user` after `since` that matches. */
export function waitForNewEphemeral(w: World, user: UserDriver, since: string, pred: (e: Ephemeral) => boolean): Promise<Ephemeral> {
  return w.emu.waitFor(
    () => user.ephemerals().find((e) => postedAfter(since)(e) && pred(e)),
    `an ephemeral to @${user.name} shown after ${since} matching ${pred.toString()}`,
    WAIT,
  );
}

/** Waits for a modal that matches and was not open when `openBefore` was taken (`user.openViews()`). */
export function waitForNewView(user: UserDriver, openBefore: View[], pred: (v: View) => boolean): Promise<View> {
  const old = new Set(openBefore.map((v) => v.id));
  return user.waitForView((v) => !old.has(v.id) && pred(v), WAIT);
}

/** jane's key and CSR, made by openssl; the key is saved where her kubeconfig will point. */
export function janesKeyAndCsr(w: World, subject: { cn: string; o?: string[] } = { cn: 'jane', o: ['dev-team'] }) {
  const made = opensslKeyAndCsr(subject);
  writeFileSync(join(w.keyDir, `${subject.cn}.key`), made.keyPem, { mode: 0o600 });
  return made;
}

export const hasAction = (actionId: string) => (m: Message) => JSON.stringify(m.blocks ?? []).includes(`"action_id":"${actionId}"`);
export const isCertificateDm = (m: Message) => (m.files ?? []).some((f) => String(f.name).endsWith('.crt'));

/**
 * Uploads the CSR in the user's DM, presses Submit on the summary this upload
 * produced, and returns the admin card this request produced (never an earlier
 * request's summary or card that still has its buttons) once the user was told
 * it was sent: whatever a test does next, the submission's own DMs are all in.
 * The card is live (chat.update changes it): read requestIdOf(card) before deciding.
 */
export async function requestViaDm(w: World, user: UserDriver, csrPem: string): Promise<Message> {
  const since = mark(w);
  await user.dm(w.emu.bot).upload(`${user.name}.csr`, csrPem);
  const summary = await waitForNewDm(w, user, since, hasAction('csrbot_submit_request'));
  await user.click(summary, 'csrbot_submit_request');
  const card = await waitForCard(w, (m) => m.text.includes(`for ${user.name}`) && hasAction('csrbot_approve')(m), since);
  const id = requestIdOf(card);
  await waitForNewDm(w, user, since, (m) => m.text.includes(`\`${id}\``) && m.text.includes('was sent to the admins'));
  return card;
}

/** Waits for a card from the bot in the admin channel that matches (and was posted after `since`, if given). */
export function waitForCard(w: World, pred: (m: Message) => boolean, since?: string): Promise<Message> {
  const isNew = since === undefined ? () => true : postedAfter(since);
  return w.emu.waitForMessage(w.emu.adminChannelId, (m) => m.user === w.emu.botUserId && isNew(m) && pred(m), WAIT);
}

/** The card as it is now (after chat.update). */
export function currentCard(w: World, card: Message): Message {
  return w.emu.messagesIn(card.channel).find((m) => m.ts === card.ts) ?? card;
}

/** The request id on a card (the Approve button's value); throws once the card has no Approve button. */
export function requestIdOf(card: Message): string {
  for (const b of (card.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>)
    for (const e of b.elements ?? []) if (e.action_id === 'csrbot_approve' && e.value) return e.value;
  throw new Error(`no Approve button on the card: ${JSON.stringify(card.blocks)}`);
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
  // Without an app token: HTTP mode, with Slack delivering to this process's port.
  const http = w.env.SLACK_APP_TOKEN ? undefined : { PORT: String(await freePort()), SLACK_SIGNING_SECRET: w.emu.signingSecret };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...w.env, ...http, OPS_PORT: String(port) },
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
  if (http) w.emu.deliverTo(`http://127.0.0.1:${http.PORT}/slack/events`);
  // Socket Mode connects after start; wait for the emulator to see it.
  else await w.emu.waitFor(() => (w.emu.socketMode.open().length > 0 ? true : undefined), 'a Socket Mode connection', WAIT);
  return {
    pid: child.pid!,
    output: () => out,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
