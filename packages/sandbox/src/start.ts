/**
 * `npm start`: csrbot as configured, or, when nothing about Slack is
 * configured (and not in production, nor in a pod), the local sandbox. The
 * image never comes here: its CMD runs dist/main.js directly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { repoRoot } from '@csrbot/control-plane';
import { readDotEnv } from '../../../src/config/load-config.js';
import { sandboxRefusals } from './guards.js';
import { startPageServer } from './page-server.js';
import { startSandbox, type RunningSandbox } from './runner.js';
import { sessionUrl } from './session.js';
import type { GuardedServer } from './guarded-server.js';

const REAL_SLACK = 'to connect real Slack instead, set SLACK_BOT_TOKEN and SLACK_ADMIN_CHANNEL (see README "Configuration")';

/** csrbot as today: built, then the built entry point with this process's stdio, signals passed on, its exit code ours. */
function runBot(): void {
  // Only the bot needs dist/: the sandbox runs src/main.ts, so its first page does not wait for a build.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], { cwd: repoRoot, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function sandboxPort(env: NodeJS.ProcessEnv): number {
  const raw = env.SANDBOX_PORT ?? '3000';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_PORT="${raw}" is not a port number; unset it for 3000.`);
  return port;
}

async function runSandbox(): Promise<void> {
  const say = (line: string) => process.stderr.write(`sandbox: ${line}\n`);
  let sandbox: RunningSandbox | undefined;
  let page: GuardedServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      say(`${why}: stopping everything the sandbox started`);
      await page?.close();
      await sandbox?.stop();
      say('stopped');
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal).then(() => process.exit(0)));
  try {
    const port = sandboxPort(process.env);
    sandbox = await startSandbox(process.env, say);
    if (stopping) return;
    page = await startPageServer(sandbox, port).catch((e: unknown) => {
      const busy = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      throw new Error(busy ? `port ${port} on 127.0.0.1 is in use; set SANDBOX_PORT to a free one (0 picks any).` : (e as Error).message, { cause: e });
    });
    say(`csrbot log: ${sandbox.botLog}`);
    process.stdout.write(`csrbot sandbox: open ${sessionUrl(page.session)} (Ctrl-C stops it; ${REAL_SLACK})\n`);
  } catch (e) {
    say(`could not start: ${(e as Error).message}`);
    await stop('start-up failed');
    process.exit(1);
  }
}

// The bot reads .env under the environment; a Slack setting in either means the bot, never the sandbox.
if (sandboxRefusals(await readDotEnv()).length > 0) runBot();
else await runSandbox();
