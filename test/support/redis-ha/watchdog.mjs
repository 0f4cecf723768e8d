// Kills the Redis servers of a test topology when the process that started
// them dies without stopping them (a SIGKILLed jest worker, a crash).
// Normal teardown removes the directory, and the watchdog exits with it.
// Plain JS so it starts without tsx.
//
// Usage: node watchdog.mjs <topology dir> <ownerPid>
// <dir>/pids holds one pid per line (servers restarted by a test are appended).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ownerArg] = process.argv.slice(2);
const owner = Number(ownerArg);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (;;) {
  if (!existsSync(dir)) process.exit(0);
  if (!alive(owner)) {
    let pids = [];
    try {
      pids = readFileSync(join(dir, 'pids'), 'utf8')
        .split('\n')
        .map(Number)
        .filter((n) => n > 0);
    } catch {
      /* nothing started */
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
  await sleep(500);
}
