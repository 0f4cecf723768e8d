/**
 * The sandbox as a user starts it (`packages/sandbox/src/start.ts`, what
 * `npm start` runs), in its own process group as a terminal would put it, and
 * what the tests look at from outside: its processes and their listening sockets.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface StartedSandbox {
  readonly child: ChildProcess;
  output(): string;
  /** The URL of the start line, with the token. */
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startSandboxProcess(env: Record<string, string>, timeoutMs = 180_000): Promise<StartedSandbox> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/sandbox/src/start.ts'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      const m = /csrbot sandbox: open (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(poll);
        resolve({ child, output: () => out, url: m[1]!, exited });
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
        reject(new Error(`the sandbox did not print its URL:\n${out}`));
      }
    }, 100);
  });
}

/** Every process below `pid` (by parent pid), with its command name. */
export function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const parents = new Map<number, number>();
  const comms = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      comms.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents)
      if (parent === p) {
        out.push({ pid: child, comm: comms.get(child) ?? '?' });
        walk(child);
      }
  };
  walk(pid);
  return out;
}

function hexToAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  if (ip.length === 8) {
    const bytes = ip
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .reverse();
    return `${bytes.join('.')}:${parseInt(port, 16)}`;
  }
  // IPv6: four little-endian 32-bit words.
  const words = ip.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  return `[${words.join('').match(/.{4}/g)!.join(':')}]:${parseInt(port, 16)}`;
}

/** The TCP addresses each process listens on, read from /proc/<pid>/fd and /proc/net/tcp{,6}. */
export function listeningAddresses(pids: number[]): Array<{ pid: number; address: string }> {
  const listening = new Map<string, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A') listening.set(f[9]!, hexToAddress(f[1]!));
    }
  }
  const out: Array<{ pid: number; address: string }> = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      const address = inode ? listening.get(inode) : undefined;
      if (address) out.push({ pid, address });
    }
  }
  return out;
}

export const isLoopbackAddress = (a: string): boolean => a.startsWith('127.') || a.startsWith('[0000:0000:0000:0000:0000:0000:0000:0001]');

/** Debian's Chromium, which the browser test drives; never skipped: without it the test fails and says how to get it. */
export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (p && existsSync(p) && spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0) return p;
  throw new Error(
    'The sandbox browser test needs Chromium and found none. To resolve: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary). .ci/run installs it.',
  );
}
