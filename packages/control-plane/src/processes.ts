import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessInfo } from './state.js';

/** True if pid exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parens.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

/**
 * Starts a process in its own process group (detached), so that stopping it
 * can signal the whole group and a Ctrl-C aimed at jest does not race our own
 * orderly shutdown. Output goes to logFile.
 */
export function spawnLogged(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ProcessInfo {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { pid: child.pid, command, args, logFile };
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM the process group, SIGKILL it after graceMs; resolves once the leader is gone. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return signalGroup(pid, 'SIGKILL');
  signalGroup(pid, 'SIGCONT'); // a paused (SIGSTOPped) process cannot handle SIGTERM
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  signalGroup(pid, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < hard) await sleep(50);
  if (isAlive(pid)) throw new Error(`process ${pid} survived SIGKILL`);
  // Dead but maybe a zombie until its parent (init, for cluster:start) reaps
  // it; give that a moment so `pgrep` right after a stop shows nothing.
  const reap = Date.now() + 3_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < reap) await sleep(50);
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
