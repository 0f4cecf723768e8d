import { readFileSync } from 'node:fs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Deps, FlowSettings } from './app/deps.js';
import type { IntakeDeps } from './app/intake.js';
import { processApprove, processDeny } from './app/decide.js';
import { processIssue } from './app/issue.js';
import { startReconciler } from './app/reconcile.js';
import { processSubmit } from './app/submit.js';
import { prometheusMetrics } from './adapters/http/prometheus-metrics.js';
import { healthRoutes, type ReadinessProbe } from './adapters/http/routes.js';
import { ClusterCsrApi } from './adapters/kubernetes/csr-api-port.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubernetesCsrApi, loadKubeConfig } from './adapters/kubernetes/index.js';
import { BullMqJobs } from './adapters/queue/bullmq-jobs.js';
import { checkMaxmemoryPolicy, checkRedisReachable, createRedisClient, describeTopology, type RedisClient } from './adapters/redis/index.js';
import { startWorker } from './adapters/queue/start-worker.js';
import { createBoltApp } from './adapters/slack/create-bolt-app.js';
import { registerCertCommand } from './adapters/slack/listeners/cert-command.js';
import { registerDecisions } from './adapters/slack/listeners/decisions.js';
import { registerDmIntake } from './adapters/slack/listeners/dm-intake.js';
import { registerRequestModal, requestSubcommand } from './adapters/slack/listeners/request-modal.js';
import { SlackChat } from './adapters/slack/slack-chat.js';
import { RedisDraftStore } from './adapters/store/redis-draft-store.js';
import { RedisRequestStore } from './adapters/store/redis-request-store.js';
import { loadConfig, readDotEnv, type Config } from './config/load-config.js';
import { CsrbotError, isCsrbotError } from './domain/errors.js';
import { parsePolicyConfig, parseUsernameMapping, type UsernameRule } from './domain/policy/index.js';
import { createLogger, type Logger } from './log/logger.js';

/** Retrying these cannot help: the job fails at once (the use case has already told the people concerned). */
const NON_RETRYABLE = ['REQUEST_NOT_FOUND', 'CSR_REJECTED_BY_API', 'CSR_NAME_TAKEN'];

/** Reads a file a setting names; a failure is a configuration problem, reported like the others. */
function settingFile(setting: string, path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CsrbotError('CONFIG_INVALID', { problems: `  - ${setting}: cannot read ${path} (${reason}). Point it at ${what}.` });
  }
}

function usernameRule(config: Config): UsernameRule {
  if (config.identity.rule !== 'mapping') return { kind: config.identity.rule };
  const file = config.identity.mappingFile!;
  return {
    kind: 'mapping',
    mapping: parseUsernameMapping(settingFile('USERNAME_MAPPING_FILE', file, 'a JSON file mapping Slack user IDs or emails to Kubernetes usernames'), file),
  };
}

function kubeConfig(config: Config): KubeConfig {
  const path = config.kubernetes.kubeconfigPath;
  if (path) settingFile('KUBECONFIG', path, 'a kubeconfig for csrbot (bound by deploy/rbac.yaml)');
  try {
    return loadKubeConfig({ kubeconfigPath: path });
  } catch (e) {
    throw new CsrbotError('CONFIG_INVALID', { problems: `  - KUBECONFIG: ${(e as Error).message}` });
  }
}

/** BullMQ needs maxmemory-policy noeviction; anything else can silently drop jobs and requests. */
async function warnOnEvictionPolicy(redis: RedisClient, log: Logger): Promise<void> {
  const report = await checkMaxmemoryPolicy(redis);
  if (report.warning) log.warn({ maxmemoryPolicy: report.nodes }, report.warning);
}

/**
 * Composition root: the only place that knows every concrete class. It
 * starts even when Redis or the cluster is down (readiness says so), and
 * stops cleanly on SIGTERM/SIGINT.
 */
export async function start(config: Config, log: Logger): Promise<{ stop: () => Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = prometheusMetrics(registry);

  // Settings that need files are read before anything connects, so mistakes stop start-up.
  const policy = parsePolicyConfig(
    {
      allowedGroups: config.policy.allowedGroups,
      usergroupGroups: config.policy.groupMappings,
      sans: config.policy.sanPolicy,
      lifetime: { defaultSeconds: config.policy.defaultLifetimeSeconds, maxSeconds: config.policy.maxLifetimeSeconds },
      allowedSigners: config.policy.allowedSigners,
    },
    'environment',
  );
  const rule = usernameRule(config);
  const kc = kubeConfig(config);
  const cluster = kc.getCurrentCluster();
  const caPem = config.delivery.caFile
    ? settingFile('CLUSTER_CA_FILE', config.delivery.caFile, 'the PEM of the cluster CA')
    : cluster?.caData
      ? Buffer.from(cluster.caData, 'base64').toString('utf8')
      : cluster?.caFile
        ? readFileSync(cluster.caFile, 'utf8')
        : undefined;
  const serverUrl = config.delivery.serverUrl ?? cluster?.server;
  if (!serverUrl)
    throw new CsrbotError('CONFIG_INVALID', {
      problems: '  - CLUSTER_SERVER_URL: set it to the https:// URL users reach the API server at (the kubeconfig has none).',
    });

  // One server, Sentinel or Cluster: the store's client (shared with the job producer), the probe's, and the template BullMQ duplicates for workers.
  const redis = createRedisClient(config.redis, 'store');
  redis.on('error', (err) => log.debug({ err }, 'redis connection error'));
  const redisProbe = createRedisClient(config.redis, 'probe');
  redisProbe.on('error', (err) => log.debug({ err }, 'redis probe connection error'));
  const redisWorker = createRedisClient(config.redis, 'worker');
  const redisBackground = createRedisClient(config.redis, 'background');
  redisBackground.on('error', (err) => log.debug({ err }, 'redis connection error'));
  // On every (re)connection, since a failover may land on a server configured differently.
  redis.on('ready', () => void warnOnEvictionPolicy(redis, log));

  const k8s = KubernetesCsrApi.create(kc);
  const csrApi = ClusterCsrApi.create({ k8s, onWatchError: (err) => log.warn({ err }, 'CSR watch error; reconnecting') });
  const probes: ReadinessProbe[] = [
    { name: 'redis', check: () => checkRedisReachable(redisProbe, config.redis.prefix) },
    {
      // A 404 for a name that never exists proves the API answers and lets us read CSRs.
      name: 'kubernetes',
      check: async () => {
        try {
          await k8s.get('csrbot-readiness-probe');
        } catch (e) {
          if (isCsrbotError(e) && e.code === 'CSR_NOT_FOUND') return;
          throw e;
        }
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
  const chat = SlackChat.create({ client: app.client, adminChannel: config.slack.adminChannel });
  const queueName = 'csrbot';
  const jobs = BullMqJobs.create({
    connection: redis,
    prefix: config.redis.prefix,
    queueName,
    onError: (err) => log.warn({ err }, 'job queue connection error'),
  });
  const settings: FlowSettings = {
    adminUsers: config.slack.adminUsers,
    adminGroup: config.slack.adminGroup,
    quorum: config.approval.quorum,
    allowSelfApproval: config.approval.allowSelfApproval,
    issuanceTimeoutSeconds: config.delivery.issuanceTimeoutSeconds,
    delivery: { clusterName: config.delivery.clusterName, serverUrl, caPem, keyPathTemplate: config.delivery.keyPathTemplate },
  };
  const deps: Deps = {
    csrApi,
    chat,
    directory: chat,
    store: RedisRequestStore.create({ redis, prefix: config.redis.prefix }),
    jobs,
    clock: { now: () => new Date() },
    log,
    settings,
    metrics,
  };
  // Jobs and the reconciler wait out a Redis failover instead of failing a step whose side effect (a DM) already happened.
  const background: Deps = { ...deps, store: RedisRequestStore.create({ redis: redisBackground, prefix: config.redis.prefix }) };
  const intake: IntakeDeps = { directory: chat, policy, usernameRule: rule, metrics };
  const flow = { deps, intake, drafts: RedisDraftStore.create({ redis, prefix: config.redis.prefix }), botToken: config.slack.botToken };

  registerCertCommand(app, log, { request: requestSubcommand(flow, app) });
  registerDmIntake(app, flow);
  registerRequestModal(app, flow);
  registerDecisions(app, flow);
  app.error(async (err) => {
    log.error({ err }, 'unhandled error in a Slack listener');
  });

  const worker = startWorker({
    connection: redisWorker,
    prefix: config.redis.prefix,
    queueName,
    concurrency: config.jobs.concurrency,
    lockDurationMs: config.jobs.lockDurationMs,
    stalledIntervalMs: config.jobs.stalledIntervalMs,
    backoff: { capMs: config.jobs.retryMaxDelayMs },
    nonRetryableCodes: NON_RETRYABLE,
    log,
    handlers: {
      submit: (id) => processSubmit(background, id),
      approve: (id) => processApprove(background, id),
      deny: (id) => processDeny(background, id),
      issue: (id) => processIssue(background, id),
    },
  });

  await app.start(config.http.port);
  // The reconciler's first pass may wait on an unreachable cluster; Slack is served meanwhile.
  let reconciler: { stop(): void } | undefined;
  let stopped = false;
  void startReconciler(background).then((r) => {
    if (stopped) r.stop();
    else reconciler = r;
  });
  log.info(
    {
      mode: config.slack.appToken ? 'socket' : 'http',
      port: config.http.port,
      redis: describeTopology(config.redis.topology),
      redisPrefix: config.redis.prefix,
    },
    'csrbot started',
  );

  return {
    stop: async () => {
      stopped = true;
      reconciler?.stop();
      await app.stop();
      await worker.close();
      await jobs.close();
      redis.disconnect();
      redisProbe.disconnect();
      redisWorker.disconnect();
      redisBackground.disconnect();
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
  let running: { stop: () => Promise<void> };
  try {
    running = await start(config, log);
  } catch (e) {
    if (isCsrbotError(e)) {
      process.stderr.write(`${e.userMessage}\n`);
      process.exit(2);
    }
    throw e;
  }
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
