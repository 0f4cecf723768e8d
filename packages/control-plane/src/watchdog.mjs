// Stops the test control plane when the process that owns it dies.
//
// jest's globalTeardown does not run if jest is SIGKILLed or crashes, and the
// control plane runs in its own process groups, so without this the servers
// would outlive the run. Plain JS so it starts without tsx.
//
// Usage: node watchdog.mjs <state.json> <ownerPid>
// Exits on its own once the state file is gone (normal teardown).
import { readFileSync, existsSync, rmSync } from 'node:fs';

const [stateFile, ownerArg] = process.argv.slice(2);
const owner = Number(ownerArg);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
const signal = (pid, sig) => {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stopAll() {
  let state;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return;
  }
  const pids = Object.entries(state.processes ?? {})
    .filter(([name]) => name !== 'watchdog')
    .map(([, p]) => p.pid);
  for (const pid of pids) {
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) signal(pid, 'SIGKILL');
  if (!process.env.CLUSTER_KEEP_DIR) rmSync(state.dir, { recursive: true, force: true });
}

for (;;) {
  if (!existsSync(stateFile)) process.exit(0);
  if (!alive(owner)) {
    await stopAll();
    process.exit(0);
  }
  await sleep(500);
}
