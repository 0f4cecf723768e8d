import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One way to start a throwaway `redis-server` on loopback: for the tests that
 * need one of their own (test/support/redis.ts, the Cluster and Sentinel
 * sets) and for the local sandbox. No persistence unless the caller's args
 * ask for it; data and log in the caller's directory.
 */

export const REDIS_HOST = '127.0.0.1';

export const redisInstallHint = 'To resolve, install it: apt-get install redis-server redis-tools (macOS: brew install redis).';

/** The binaries that are not on PATH, of those named. */
export function missingRedisBinaries(bins: readonly string[] = ['redis-server']): string[] {
  return bins.filter((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0);
}

/** Whether something on host:port answers a PING with +PONG. */
export function answersPing(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export interface RedisServerOptions {
  port: number;
  /** Working directory (data and redis.log); created if missing. */
  dir: string;
  /** Arguments before the port, e.g. a sentinel's config file and `--sentinel`. */
  leadingArgs?: string[];
  /** Arguments after the standard ones (`--save ''`, `--cluster-enabled yes`, ...). */
  args?: string[];
  /** How long to wait for PING to answer. Default 10 s. */
  timeoutMs?: number;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly child: ChildProcess;
  /** The last lines of its log. */
  logTail(lines?: number): string;
  /** Signals it (SIGTERM by default) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `redis-server` bound to 127.0.0.1 only and resolves once it answers PING; fails with its log if it exits first. */
export async function startRedisServer(o: RedisServerOptions): Promise<RedisServer> {
  if (missingRedisBinaries().length > 0) throw new Error(`redis-server is not on PATH. ${redisInstallHint}`);
  mkdirSync(o.dir, { recursive: true });
  const logFile = join(o.dir, 'redis.log');
  const argv = [
    ...(o.leadingArgs ?? []),
    ...['--port', String(o.port), '--bind', REDIS_HOST, '--dir', o.dir, '--logfile', logFile, '--daemonize', 'no'],
    ...(o.args ?? []),
  ];
  const child = spawn('redis-server', argv, { cwd: o.dir, stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start redis-server on port ${o.port}`);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const logTail = (lines = 20): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');
  const server: RedisServer = {
    port: o.port,
    url: `redis://${REDIS_HOST}:${o.port}`,
    dir: o.dir,
    child,
    logTail,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server on port ${o.port} exited (${child.exitCode ?? child.signalCode}) while starting:\n${logTail()}`);
    if (await answersPing(REDIS_HOST, o.port)) return server;
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`redis-server on port ${o.port} did not answer PING within ${o.timeoutMs ?? 10_000} ms:\n${logTail()}`);
    }
    await sleep(50);
  }
}
