/**
 * csrbot as its own process (`node src/main.ts` through tsx), for tests of
 * start-up: exit codes, what it prints, signals, the ops port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@csrbot/control-plane';

/** The environment without anything of the caller's that csrbot reads (so a developer's settings cannot leak in). */
export function cleanEnv(): Record<string, string> {
  const drop = (k: string) =>
    k.startsWith('SLACK_') || k.startsWith('npm_') || ['KUBECONFIG', 'PORT', 'OPS_PORT', 'REDIS_URL', 'REDIS_PREFIX', 'LOG_LEVEL'].includes(k);
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !drop(e[0])));
}

/** A kubeconfig file with this text, in a fresh temp dir. */
export function writeKubeconfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'csrbot-kc-')), 'kubeconfig');
  writeFileSync(file, text);
  return file;
}

/**
 * A kubeconfig whose API server nobody answers (connection refused): csrbot
 * starts anyway. A free port, not a well-known one: fetch (client-node 2)
 * refuses ports like 1 and 9 itself ("bad port") without connecting.
 */
export async function unreachableKubeconfig(): Promise<string> {
  return writeKubeconfig(tokenKubeconfig({ server: `https://127.0.0.1:${await freePort()}`, token: 'abc' }));
}

/** Kubeconfig text for a token user; `caPem` embedded when given; `currentContext: null` leaves it out. */
export function tokenKubeconfig(o: { server: string; token: string; caPem?: string; currentContext?: string | null }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${o.server}`,
    ...(o.caPem ? [`    certificate-authority-data: ${Buffer.from(o.caPem).toString('base64')}`] : []),
    'users:',
    '- name: u',
    '  user:',
    `    token: ${o.token}`,
    'contexts:',
    '- name: ctx1',
    '  context:',
    '    cluster: test',
    '    user: u',
    ...(o.currentContext === null ? [] : [`current-context: ${o.currentContext ?? 'ctx1'}`]),
    '',
  ].join('\n');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface BotProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the output (stdout + stderr) matches; rejects if the process exits first or after timeoutMs. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<Exit>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts csrbot with exactly `env` (plus PATH and HOME). */
export function startBot(env: Record<string, string>): BotProcess {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - started }))),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: async (re, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out + err)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`csrbot exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${out}${err}`);
        if (Date.now() > deadline) throw new Error(`csrbot did not print ${re} within ${timeoutMs} ms:\n${out}${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs csrbot until it exits on its own (start-up refusals); kills it after timeoutMs. */
export async function runBot(env: Record<string, string>, timeoutMs = 60_000): Promise<Exit> {
  const bot = startBot(env);
  const timer = setTimeout(() => bot.kill('SIGKILL'), timeoutMs);
  try {
    return await bot.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** What every start-up refusal must look like: exit 2, no stack trace, never "csrbot started". */
export function expectRefusal(exit: Exit): string {
  const all = exit.stdout + exit.stderr;
  if (exit.code !== 2) throw new Error(`expected exit code 2, got ${exit.code ?? exit.signal}:\n${all}`);
  if (/^\s+at /m.test(all)) throw new Error(`a stack trace was printed:\n${all}`);
  if (all.includes('csrbot started')) throw new Error(`"csrbot started" was logged before the refusal:\n${all}`);
  return exit.stderr;
}
