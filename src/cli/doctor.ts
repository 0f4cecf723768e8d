/**
 * `csrbot doctor`: the start-up checks on demand, as a table. The same code
 * start-up runs (src/preflight), except that it tries everything once
 * instead of waiting for Slack. Exit 0 when every check passes (or is not
 * configured), 2 otherwise: a failure, or a dependency that did not answer.
 */
import { parseArgs } from 'node:util';
import { loadConfig, readDotEnv, type Config } from '../config/load-config.js';
import { isCsrbotError } from '../domain/errors.js';
import { createLogger } from '../log/logger.js';
import type { CheckResult } from '../preflight/check-result.js';
import { formatTable } from '../preflight/format-report.js';
import { runPreflight } from '../preflight/run-preflight.js';
import { EXIT_USAGE, type CliIo } from './io.js';

export const DOCTOR_USAGE = `Usage: csrbot doctor [options]

Runs csrbot's start-up checks against the configured Slack workspace,
Kubernetes cluster and Redis, and prints one line per check with what is
wrong and how to fix it. Reads the same settings as csrbot (the environment,
over an optional .env file).

Options:
  --env-file <path>   settings file under the environment (default .env, if it exists)
  --timeout <seconds> per request (default 10)
  --json              print the results as JSON
  -h, --help          show this help

Exit codes: 0 every check passed, 2 something failed or did not answer, ${EXIT_USAGE} usage.`;

export async function doctor(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        'env-file': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n\n${DOCTOR_USAGE}`);
    return EXIT_USAGE;
  }
  const opt = args.values;
  if (opt.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  const timeoutSeconds = opt.timeout === undefined ? 10 : Number(opt.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    io.err(`--timeout takes a number of seconds, e.g. --timeout 10 (got "${opt.timeout}").`);
    return EXIT_USAGE;
  }

  const print = (results: CheckResult[]) => {
    if (opt.json) io.out(JSON.stringify({ ok: results.every((r) => r.status === 'pass' || r.status === 'skip'), checks: results }, null, 2));
    else io.out(formatTable(results));
  };
  const env = await readDotEnv(opt['env-file'] ?? '.env', io.env ?? process.env);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!isCsrbotError(e)) throw e;
    print([{ name: 'config', status: 'fail', detail: e.userMessage, code: e.code }]);
    return 2;
  }
  const mode = config.slack.appToken ? 'Socket Mode' : 'HTTP mode';
  const log = createLogger({ level: 'silent', secrets: [config.slack.botToken, config.slack.appToken ?? '', config.slack.signingSecret ?? ''] });
  const report = await runPreflight({ config, log, mode: 'doctor', timeoutMs: timeoutSeconds * 1000 });
  const results: CheckResult[] = [{ name: 'config', status: 'pass', detail: `settings are valid (${mode})` }, ...report.results];
  print(results);
  // A skipped check is fine only when it is not configured; one skipped because another failed already shows as a failure.
  return results.every((r) => r.status === 'pass' || r.status === 'skip') ? 0 : 2;
}
