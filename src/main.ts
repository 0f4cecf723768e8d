import { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { healthRoutes, type ReadinessProbe } from './adapters/http/routes.js';
import { createBoltApp } from './adapters/slack/create-bolt-app.js';
import { registerCertCommand } from './adapters/slack/listeners/cert-command.js';
import { loadConfig, readDotEnv, type Config } from './config/load-config.js';
import { isCsrbotError } from './domain/errors.js';
import { createLogger, type Logger } from './log/logger.js';

/**
 * Composition root: the only place that knows every concrete class. It
 * starts even when Redis or the cluster is down (readiness says so), and
 * stops cleanly on SIGTERM/SIGINT.
 */
export async function start(config: Config, log: Logger): Promise<{ stop: () => Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // A dedicated client for the probe: no offline queue, so a down Redis fails the probe at once.
  const redisProbe = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redisProbe.on('error', (err) => log.debug({ err }, 'redis probe connection error'));

  const probes: ReadinessProbe[] = [
    {
      name: 'redis',
      check: async () => {
        await redisProbe.ping();
      },
    },
  ];

  const app = createBoltApp({
    botToken: config.slack.botToken,
    appToken: config.slack.appToken,
    signingSecret: config.slack.signingSecret,
    apiUrl: config.slack.apiUrl,
    port: config.http.port,
    routes: healthRoutes(probes, registry),
    log,
  });
  registerCertCommand(app, log);
  app.error(async (err) => {
    log.error({ err }, 'unhandled error in a Slack listener');
  });

  await app.start(config.http.port);
  log.info({ mode: config.slack.appToken ? 'socket' : 'http', port: config.http.port }, 'csrbot started');

  return {
    stop: async () => {
      await app.stop();
      redisProbe.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const env = await readDotEnv();
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (isCsrbotError(e)) {
      process.stderr.write(`${e.userMessage}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({
    level: config.logLevel,
    secrets: [config.slack.botToken, config.slack.appToken ?? '', config.slack.signingSecret ?? ''],
  });
  const running = await start(config, log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const entry = process.argv[1] ?? '';
if (entry.endsWith('/main.ts') || entry.endsWith('/main.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`csrbot failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
