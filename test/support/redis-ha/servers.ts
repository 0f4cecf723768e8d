/**
 * Throwaway redis-server processes for the Cluster and Sentinel tests: on
 * loopback only, data in a temp dir, killed by stop() and, if the test
 * process dies first, by a watchdog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { REDIS_HOST, missingRedisBinaries, redisInstallHint, startRedisServer } from '@csrbot/control-plane';

export const HOST = REDIS_HOST;

/** These tests start their own servers; without the binaries they fail (never skip) and say how to get them. */
export function requireRedisBinaries(): void {
  const missing = missingRedisBinaries(['redis-server', 'redis-cli']);
  if (missing.length > 0) {
    throw new Error(
      `The Redis Cluster and Sentinel tests start their own servers and need ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not on PATH. ` +
        redisInstallHint,
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value (not undefined), or fails naming `what`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: HOST, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(300, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Runs one admin command batch against a server and disconnects. */
export async function withNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** A node's replication offset: how far into the master's stream it has applied (a master: how far it has written). */
async function replicationOffset(port: number): Promise<number> {
  const info = await withNode(port, (r) => r.info('replication'));
  return Number(/master_repl_offset:(\d+)/.exec(info)![1]);
}

/**
 * Waits until `replica` has applied everything `master` had written when this
 * was called, and holds it in its append-only file (if it keeps one), so a
 * SIGKILL of either node then loses none of it. Two ways it could, both
 * measured under load with a key set right before `loseWritesDuring`:
 * - replication is asynchronous, so a write acknowledged just before the kill
 *   may not have reached the replica yet (the key was gone after the crash);
 * - a replica that has just done a full sync (a crashed master brought back
 *   empty) rewrites its AOF in the background, and until that rewrite is done
 *   the AOF on disk is still the empty one it started with: killed then, it
 *   came back with nothing at all (every key gone, csrbot's queue included).
 * With appendfsync always, a replica has fsynced what it applied before it
 * answers INFO. The harnesses call this before they kill anything, so only
 * what a crash is meant to lose is lost.
 */
export async function replicaCaughtUp(master: number, replica: number, timeoutMs = 30_000): Promise<void> {
  const target = await replicationOffset(master);
  await waitUntil(
    `${replica} to apply ${master}'s writes up to offset ${target}`,
    async () => ((await replicationOffset(replica)) >= target ? true : undefined),
    timeoutMs,
    50,
  );
  await waitUntil(
    `${replica} to finish rewriting its append-only file`,
    async () => {
      const p = await withNode(replica, (r) => r.info('persistence'));
      if (!p.includes('aof_enabled:1')) return true;
      return ['loading:0', 'aof_rewrite_in_progress:0', 'aof_rewrite_scheduled:0'].every((f) => p.includes(f)) ? true : undefined;
    },
    timeoutMs,
    50,
  );
}

export interface Server {
  name: string;
  port: number;
  /** Extra arguments after the port (config file, --cluster-enabled, ...). */
  args: string[];
  dir: string;
  child: ChildProcess;
}

/** A set of servers sharing a temp dir and a watchdog. */
export class ServerSet {
  private readonly servers = new Map<number, Server>();
  private watchdog?: ChildProcess;

  private constructor(readonly dir: string) {}

  static async create(name: string, ports: number[]): Promise<ServerSet> {
    requireRedisBinaries();
    const busy: number[] = [];
    for (const p of ports) if (await portAnswers(p)) busy.push(p);
    if (busy.length > 0) {
      throw new Error(
        `Port(s) ${busy.join(', ')} on ${HOST} are in use, and the ${name} test needs them (csrbot's Redis HA tests use 7000-7199). ` +
          `A server left over from an interrupted run? Find it with: ss -ltnp '( sport = :${busy[0]} )'`,
      );
    }
    const set = new ServerSet(mkdtempSync(join(tmpdir(), `csrbot-${name}-`)));
    const watchdog = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.mjs');
    set.watchdog = spawn(process.execPath, [watchdog, set.dir, String(process.pid)], { detached: true, stdio: 'ignore' });
    set.watchdog.unref();
    return set;
  }

  /** Starts `redis-server --port <port> <args>` and waits until it answers PING. */
  async start(name: string, port: number, args: string[]): Promise<Server> {
    const sentinel = args.includes('--sentinel');
    // A sentinel takes its config file first; a data node takes flags only.
    const server = await startRedisServer({
      port,
      dir: join(this.dir, String(port)),
      leadingArgs: sentinel ? [args[0]!, '--sentinel'] : [],
      // No persistence; a replica's full sync starts at once instead of after the 5 s default delay.
      args: sentinel ? args.slice(1).filter((a) => a !== '--sentinel') : ['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...args],
      timeoutMs: 30_000,
    }).catch((e: unknown) => {
      throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
    });
    appendFileSync(join(this.dir, 'pids'), `${server.child.pid}\n`);
    const s: Server = { name, port, args, dir: server.dir, child: server.child };
    this.servers.set(port, s);
    return s;
  }

  /**
   * Restarts a server that was killed, with the same arguments (and data dir).
   * `asReplicaOf` brings it back as an empty replica of that port instead, its
   * own data (AOF, RDB) thrown away: what a crashed master becomes once its
   * replica has taken over, without the time it would spend as a master with
   * stale data.
   */
  async restart(port: number, o: { asReplicaOf?: number } = {}): Promise<Server> {
    const s = this.servers.get(port);
    if (!s) throw new Error(`no server on ${port}`);
    if (o.asReplicaOf === undefined) return this.start(s.name, port, s.args);
    const dir = join(this.dir, String(port));
    for (const f of readdirSync(dir)) if (f !== 'redis.log') rmSync(join(dir, f), { recursive: true, force: true });
    const args = s.args.filter((a, i, all) => a !== '--replicaof' && all[i - 1] !== '--replicaof' && all[i - 2] !== '--replicaof');
    await this.start(s.name, port, [...args, '--replicaof', HOST, String(o.asReplicaOf)]);
    // Its next plain restart() is as it was first started.
    this.servers.get(port)!.args = s.args;
    return this.servers.get(port)!;
  }

  /** Kills one server (SIGKILL: a crash, no shutdown save or goodbye) and waits for it to be gone. */
  async kill(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const s = this.servers.get(port);
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
    s.child.kill(signal);
    await exited;
  }

  /** Sends a signal and returns at once (SIGSTOP/SIGCONT freeze and thaw a server). */
  signal(port: number, signal: NodeJS.Signals): void {
    this.servers.get(port)?.child.kill(signal);
  }

  logTail(port: number, lines = 20): string {
    const f = join(this.dir, String(port), 'redis.log');
    return existsSync(f) ? readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  }

  /** Stops every server and removes the temp dir; nothing is left behind. */
  async stop(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((p) => this.kill(p, 'SIGKILL')));
    if (!process.env.REDIS_HA_KEEP_DIR) rmSync(this.dir, { recursive: true, force: true });
    // The watchdog sees the directory gone and exits by itself.
  }
}
