import { readFileSync } from 'node:fs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Deps, FlowSettings } from './app/deps.js';
import type { IntakeDeps } from './app/intake.js';
import { processApprove, processDecision, processDeny } from './app/decide.js';
import { processIssue } from './app/issue.js';
import { openRequestStats } from './app/open-requests.js';
import { reconcilePass, startReconciler } from './app/reconcile.js';
import { processSubmit } from './app/submit.js';
import { refreshHomes } from './app/views.js';
import { offboardingSweepPass } from './app/offboard.js';
import { pendingRequestsPass } from './app/pending-pass.js';
import { startOpsServer } from './adapters/http/ops-server.js';
import { prometheusMetrics, registerScrapeGauges } from './adapters/http/prometheus-metrics.js';
import { healthRoutes, type Phase, type ReadinessProbe } from './adapters/http/routes.js';
import { KubernetesCsrApi } from './adapters/kubernetes/index.js';
import { kubernetesProbe } from './adapters/kubernetes/kubernetes-probe.js';
import { KubernetesPermissionsReview } from './adapters/kubernetes/permissions-review.js';
import { BullMqJobs } from './adapters/queue/bullmq-jobs.js';
import { checkMaxmemoryPolicy, checkRedisReachable, createRedisClient, describeTopology, type RedisClient } from './adapters/redis/index.js';
import { processCard } from './app/card.js';
import { startWorker } from './adapters/queue/start-worker.js';
import { checkClient } from './adapters/slack/check-client.js';
import { interactiveClient } from './adapters/slack/interactive-client.js';
import { createBoltApp } from './adapters/slack/create-bolt-app.js';
import { registerCertCommand } from './adapters/slack/listeners/cert-command.js';
import { registerDecisions } from './adapters/slack/listeners/decisions.js';
import { registerCertificateActions } from './adapters/slack/listeners/certificate-actions.js';
import { startScheduler } from './adapters/queue/scheduler.js';
import { drainReminders } from './app/remind.js';
import { reminderPass, retentionPass, runSweep, type SweepPass } from './app/sweep.js';
import { stuckRequestsPass } from './app/stuck-requests.js';
import { unannouncedPass } from './app/unannounced.js';
import { dmEventOf, registerDmIntake } from './adapters/slack/listeners/dm-intake.js';
import { registerOffboarding } from './adapters/slack/listeners/offboarding.js';
import { registerAppHome, viewSubcommands } from './adapters/slack/listeners/views.js';
import { KubernetesRbacBindings } from './adapters/kubernetes/kubernetes-rbac-bindings.js';
import { registerRequestModal, requestSubcommand } from './adapters/slack/listeners/request-modal.js';
import { SlackChat } from './adapters/slack/slack-chat.js';
import { slackFailure } from './adapters/slack/slack-failure.js';
import { SlackHealth } from './adapters/slack/slack-health.js';
import { RedisDraftStore } from './adapters/store/redis-draft-store.js';
import { RedisEventInbox } from './adapters/store/redis-event-inbox.js';
import { inboxPass, recordDm } from './app/inbox.js';
import { RedisRequestStore } from './adapters/store/redis-request-store.js';
import { RedisCertificateInventory } from './adapters/store/redis-certificate-inventory.js';
import { RedisReminderSchedule } from './adapters/store/redis-reminder-schedule.js';
import { RedisAuditLog } from './adapters/store/redis-audit-log.js';
import { loadConfig, readDotEnv, type Config } from './config/load-config.js';
import { CsrbotError, isCsrbotError, isRetryable } from './domain/errors.js';
import { parsePolicyConfig, parseUsernameMapping, type UsernameRule } from './domain/policy/index.js';
import { UndoStack } from './lifecycle/undo-stack.js';
import { createLogger, type Logger } from './log/logger.js';
import { startupChecks } from './preflight/run-preflight.js';

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
  const { rule: kind, allowedEmailDomains } = config.identity;
  if (kind === 'email' || kind === 'email-local-part') return { kind, allowedDomains: allowedEmailDomains };
  if (kind !== 'mapping') return { kind };
  const file = config.identity.mappingFile!;
  return {
    kind: 'mapping',
    mapping: parseUsernameMapping(settingFile('USERNAME_MAPPING_FILE', file, 'a JSON file mapping Slack user IDs or emails to Kubernetes usernames'), file),
  };
}

/** Thrown by start() when its signal fired before csrbot was up; everything it had started is stopped. */
export class StartAborted extends Error {
  constructor() {
    super('start-up stopped by a signal');
    this.name = 'StartAborted';
  }
}

export interface StartOptions {
  /** SIGTERM/SIGINT during start-up: stop waiting, undo what was started, throw StartAborted. */
  signal?: AbortSignal;
}

export interface Running {
  stop(): Promise<void>;
}

/** BullMQ needs maxmemory-policy noeviction; anything else can silently drop jobs and requests. */
async function warnOnEvictionPolicy(redis: RedisClient, log: Logger): Promise<void> {
  const report = await checkMaxmemoryPolicy(redis);
  if (report.warning) log.warn({ maxmemoryPolicy: report.nodes }, report.warning);
}

/**
 * Composition root: the only place that knows every concrete class.
 *
 * Order matters: settings read from files first (no network), then the ops
 * port (so liveness answers through a slow start), then the start-up checks
 * (src/preflight: a setting that cannot work throws PREFLIGHT_FAILED before
 * anything connects; Slack unreachable is waited for), then the wiring.
 * "csrbot started" is logged only when Slack is connected. It starts even
 * when Redis or the cluster is down: readiness and metrics say so.
 */
export async function start(config: Config, log: Logger, opts: StartOptions = {}): Promise<Running> {
  const undo = new UndoStack(log);
  try {
    return await wire(config, log, undo, opts.signal);
  } catch (e) {
    await undo.run();
    throw opts.signal?.aborted ? new StartAborted() : e;
  }
}

/** start()'s body; everything it starts goes on `undo`, which start() runs if it fails and stop() runs on shutdown. */
async function wire(config: Config, log: Logger, undo: UndoStack, signal: AbortSignal | undefined): Promise<Running> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = prometheusMetrics(registry);
  const mode = config.slack.appToken ? 'socket' : 'http';

  // Settings that need files are read before anything connects, so mistakes stop start-up.
  const policy = parsePolicyConfig(
    {
      allowedGroups: config.policy.allowedGroups,
      usergroupGroups: config.policy.groupMappings,
      sans: config.policy.sanPolicy,
      lifetime: { defaultSeconds: config.policy.defaultLifetimeSeconds, maxSeconds: config.policy.maxLifetimeSeconds },
      allowedSigners: config.policy.allowedSigners,
      maxCsrBytes: config.policy.maxCsrBytes,
    },
    'environment',
  );
  const rule = usernameRule(config);
  if (config.delivery.caFile) settingFile('CLUSTER_CA_FILE', config.delivery.caFile, 'the PEM of the cluster CA');

  let phase: Phase = 'starting';
  const slackHealth = new SlackHealth({
    mode,
    authTest: () => {
      const client = checkClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, log });
      return client.auth.test().then(
        () => undefined,
        (e: unknown) => {
          throw slackFailure(e, { method: 'auth.test', token: 'bot', apiUrl: config.slack.apiUrl });
        },
      );
    },
    registry,
    log,
  });
  undo.push('slack health', () => slackHealth.stop());
  // The API client exists once the start-up checks found a usable kubeconfig; until then "not checked yet".
  const api: { k8s?: KubernetesCsrApi } = {};
  const redisProbe = createRedisClient(config.redis, 'probe');
  // A dedicated client for the probe: no offline queue, so a down Redis fails the probe at once.
  redisProbe.on('error', (err) => log.debug({ err }, 'redis probe connection error'));
  undo.push('redis probe', () => redisProbe.disconnect());
  const probes: ReadinessProbe[] = [
    slackHealth.probe(),
    { name: 'redis', check: () => checkRedisReachable(redisProbe, config.redis.prefix) },
    kubernetesProbe((name) => (api.k8s ? api.k8s.get(name) : Promise.reject(new Error('not checked yet')))),
    // Advisory checks (required: false) show in /readyz and metrics without failing readiness.
    {
      name: 'redis-maxmemory-policy',
      required: false,
      check: async () => {
        const report = await checkMaxmemoryPolicy(redisProbe);
        if (report.warning) throw new Error(report.warning);
      },
    },
  ];
  const ops = await startOpsServer({ port: config.http.opsPort, host: config.http.opsHost, routes: healthRoutes(probes, registry, { phase: () => phase }) });
  undo.push('ops port', () => ops.close());
  log.info({ opsPort: ops.port, mode }, 'ops port open; running start-up checks');

  // Throws PREFLIGHT_FAILED for a setting that cannot work; waits while Slack is unreachable.
  const report = await startupChecks({ config, log, signal });
  if (report.aborted) throw new StartAborted();
  slackHealth.authAccepted();
  const kc = report.kc!;

  const cluster = kc.getCurrentCluster();
  // Read at every delivery, never cached for life: after a CA rotation (CLUSTER_CA_FILE or the
  // pod's projected ca.crt updated in place) new kubeconfigs embed the new CA without a restart.
  const caFile = config.delivery.caFile;
  const readCaPem = (): string | undefined =>
    caFile
      ? settingFile('CLUSTER_CA_FILE', caFile, 'the PEM of the cluster CA')
      : cluster?.caData
        ? Buffer.from(cluster.caData, 'base64').toString('utf8')
        : cluster?.caFile
          ? readFileSync(cluster.caFile, 'utf8')
          : undefined;
  readCaPem(); // an unreadable CA stops start-up, like any other setting
  const serverUrl = config.delivery.serverUrl ?? cluster?.server;
  if (!serverUrl)
    throw new CsrbotError('CONFIG_INVALID', {
      problems: '  - CLUSTER_SERVER_URL: set it to the https:// URL users reach the API server at (the kubeconfig has none).',
    });

  // One server, Sentinel or Cluster: the store's client (shared with the job producer), the probe's, and the template BullMQ duplicates for workers.
  const redis = createRedisClient(config.redis, 'store');
  redis.on('error', (err) => log.debug({ err }, 'redis connection error'));
  undo.push('redis', () => redis.disconnect());
  const redisWorker = createRedisClient(config.redis, 'worker');
  undo.push('redis worker', () => redisWorker.disconnect());
  const redisBackground = createRedisClient(config.redis, 'background');
  redisBackground.on('error', (err) => log.debug({ err }, 'redis connection error'));
  undo.push('redis background', () => redisBackground.disconnect());
  // On every (re)connection, since a failover may land on a server configured differently.
  redis.on('ready', () => void warnOnEvictionPolicy(redis, log));

  const csrApi = KubernetesCsrApi.create(kc, {
    onWatchError: (err) => log.warn({ err }, 'CSR watch error; reconnecting'),
    // The creator every trusted CSR must have; without it the adapter asks SelfSubjectReview itself.
    ...(report.kubernetesIdentity ? { self: report.kubernetesIdentity.username } : {}),
  });
  api.k8s = csrApi;

  // DM events are recorded here before Bolt acks them; the inbox sweep pass answers any a crash left unanswered.
  const inbox = RedisEventInbox.create({ redis, prefix: config.redis.prefix });
  const clock = { now: () => new Date() };
  const app = createBoltApp({
    botToken: config.slack.botToken,
    appToken: config.slack.appToken,
    signingSecret: config.slack.signingSecret,
    apiUrl: config.slack.apiUrl,
    port: config.http.port,
    onSocketState: (state) => slackHealth.socketState(state),
    beforeAck: async (body) => {
      const dm = dmEventOf(body);
      if (dm) await recordDm({ inbox, clock }, dm);
    },
    log,
  });
  const chat = SlackChat.create({
    client: app.client,
    adminChannel: config.slack.adminChannel,
    botToken: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    onApiError: metrics.slackApiError,
  });
  const queueName = 'csrbot';
  const jobs = BullMqJobs.create({
    connection: redis,
    prefix: config.redis.prefix,
    queueName,
    onError: (err) => log.warn({ err }, 'job queue connection error'),
  });
  undo.push('job queue', () => jobs.close());
  const settings: FlowSettings = {
    adminUsers: config.slack.adminUsers,
    adminGroup: config.slack.adminGroup,
    quorum: config.approval.quorum,
    clusterAdminQuorum: config.approval.clusterAdminQuorum,
    usernameRule: rule,
    limits: config.limits,
    allowCsrbotPowers: config.identity.allowCsrbotPowers,
    allowSelfApproval: config.approval.allowSelfApproval,
    issuanceTimeoutSeconds: config.delivery.issuanceTimeoutSeconds,
    delivery: { clusterName: config.delivery.clusterName, serverUrl, caPem: readCaPem, keyPathTemplate: config.delivery.keyPathTemplate },
    reminders: { ladder: config.lifecycle.ladder },
    renewal: config.lifecycle.renewal,
  };
  const permissions = KubernetesPermissionsReview.create(kc, { signers: config.policy.allowedSigners });
  const deps: Deps = {
    csrApi,
    permissions,
    chat,
    directory: chat,
    store: RedisRequestStore.create({ redis, prefix: config.redis.prefix, retentionMs: config.lifecycle.retentionMs }),
    inventory: RedisCertificateInventory.create({ redis, prefix: config.redis.prefix }),
    reminders: RedisReminderSchedule.create({ redis, prefix: config.redis.prefix }),
    audit: RedisAuditLog.create({ redis, prefix: config.redis.prefix, maxLength: config.lifecycle.auditMaxEvents }),
    jobs,
    clock,
    log,
    settings,
    metrics,
    // Every change people can see refreshes the App Home of the requester and the admins (cosmetic: announce.changed() logs failures).
    onChange: (change) => refreshHomes(deps, change),
  };
  // Jobs and the reconciler wait out a Redis failover instead of failing a step whose side effect (a DM) already happened.
  const background: Deps = {
    ...deps,
    store: RedisRequestStore.create({ redis: redisBackground, prefix: config.redis.prefix, retentionMs: config.lifecycle.retentionMs }),
    inventory: RedisCertificateInventory.create({ redis: redisBackground, prefix: config.redis.prefix }),
    reminders: RedisReminderSchedule.create({ redis: redisBackground, prefix: config.redis.prefix }),
    audit: RedisAuditLog.create({ redis: redisBackground, prefix: config.redis.prefix, maxLength: config.lifecycle.auditMaxEvents }),
  };
  if (!report.kubernetesIdentity)
    log.warn('csrbot could not learn its own Kubernetes identity (SelfSubjectReview); list it in RESERVED_USERNAMES so nobody can request it');
  const intake: IntakeDeps = {
    directory: chat,
    policy,
    usernameRule: rule,
    metrics,
    permissions,
    // csrbot's own identity (SelfSubjectReview at start-up) is never issued: one approval would hand out csrbot's powers.
    identity: {
      self: report.kubernetesIdentity?.username,
      reserved: config.identity.reservedUsernames,
      allowCsrbotPowers: config.identity.allowCsrbotPowers,
      homeTeamId: report.slackIdentity?.teamId,
    },
  };
  registerScrapeGauges(registry, { queueCounts: async () => [await jobs.depth()], openRequests: () => openRequestStats(deps), probes });
  const flow = { deps, intake, drafts: RedisDraftStore.create({ redis, prefix: config.redis.prefix }), inbox };

  // Modals open through a client of their own: one attempt within the trigger_id's life, never queued behind a 429.
  const opener = interactiveClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, log });
  registerCertCommand(app, log, { request: requestSubcommand(flow, app, opener), ...viewSubcommands(deps) });
  registerAppHome(app, deps);
  const bindings = KubernetesRbacBindings.create(kc);
  registerOffboarding(app, { ...deps, bindings });
  registerDmIntake(app, flow);
  registerRequestModal(app, flow);
  registerDecisions(app, flow, opener);
  registerCertificateActions(app, flow);
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
    retryable: isRetryable,
    onFailed: metrics.jobFailed,
    log,
    handlers: {
      submit: (id) => processSubmit(background, id),
      approve: (id) => processApprove(background, id),
      deny: (id) => processDeny(background, id),
      decide: (_id, data) => processDecision(background, data?.click),
      issue: (id) => processIssue(background, id),
      card: (id) => processCard(background, id),
    },
  });
  undo.push('worker', () => worker.close());

  // One sweep for the whole product: each concern adds its pass here (e.g. stuck requests).
  const sweepPasses: SweepPass[] = [
    reminderPass(background),
    retentionPass(background, config.lifecycle.retentionMs),
    pendingRequestsPass(background, config.pending),
    offboardingSweepPass({ ...background, bindings }),
    // The cluster is the truth: before the stuck-requests pass, so it sees what the cluster already decided.
    reconcilePass(background),
    stuckRequestsPass(background),
    // After the reconcile pass: a final state it reached is announced by it, and only one it left half-done comes here.
    unannouncedPass(background),
    inboxPass({ ...flow, deps: background, inbox: RedisEventInbox.create({ redis: redisBackground, prefix: config.redis.prefix }) }, config.inboxReplayAfterMs),
  ];
  // Declared in the background: csrbot starts while Redis is down.
  const scheduler = startScheduler({
    connection: redisBackground,
    workerConnection: redisWorker,
    prefix: config.redis.prefix,
    queueName: `${queueName}-scheduled`,
    log,
    lockDurationMs: config.jobs.lockDurationMs,
    stalledIntervalMs: config.jobs.stalledIntervalMs,
    tasks: [
      { name: 'reminders', everyMs: config.lifecycle.reminderPollMs, run: () => drainReminders(background) },
      { name: 'sweep', everyMs: config.lifecycle.sweepIntervalMs, run: () => runSweep(log, sweepPasses, background.clock.now()) },
    ],
  });
  undo.push('scheduler', () => scheduler.close());

  // Socket Mode: resolves once Slack said hello, which may take long; SIGTERM must not wait for it.
  undo.push('slack app', () => app.stop());
  await startApp(app, config, signal);
  slackHealth.start();
  // The reconciler's first pass may wait on an unreachable cluster; Slack is served meanwhile.
  let reconciler: { stop(): void } | undefined;
  let stopped = false;
  void startReconciler(background).then((r) => {
    if (stopped) r.stop();
    else reconciler = r;
  });
  phase = 'running';
  log.info(
    {
      mode,
      port: mode === 'http' ? config.http.port : undefined,
      opsPort: ops.port,
      redis: describeTopology(config.redis.topology),
      redisPrefix: config.redis.prefix,
    },
    'csrbot started',
  );

  return {
    stop: async () => {
      phase = 'stopping';
      stopped = true;
      reconciler?.stop();
      await undo.run();
    },
  };
}

/** app.start(), translated: a refused app token is a setting (exit 2), a signal stops the wait. */
async function startApp(app: ReturnType<typeof createBoltApp>, config: Config, signal: AbortSignal | undefined): Promise<void> {
  const started = app.start(config.http.port).then(
    () => undefined,
    (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CsrbotError('PORT_IN_USE', { setting: 'PORT', port: config.http.port, reason: 'EADDRINUSE: another process listens there' });
      }
      const f = slackFailure(e, { method: 'apps.connections.open', token: 'app', apiUrl: config.slack.apiUrl });
      if (f.transient) throw new Error(`could not connect to Slack: ${f.error.userMessage}`, { cause: e });
      throw f.error;
    },
  );
  if (!signal) return started;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new StartAborted());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    started.then(
      () => (signal.removeEventListener('abort', onAbort), resolve()),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
}

/** Exit codes: 0 stopped by a signal (also during start-up), 1 crashed, 2 a setting to fix (every message says which and how). */
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
  // Signals are handled before anything can block: a SIGTERM during a slow start stops it cleanly.
  const starting = new AbortController();
  let running: Running | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    if (!running) return starting.abort(); // start() undoes itself; main exits 0 below
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
  try {
    running = await start(config, log, { signal: starting.signal });
  } catch (e) {
    if (e instanceof StartAborted) process.exit(0);
    if (isCsrbotError(e)) {
      process.stderr.write(`${e.userMessage}\n`);
      process.exit(2);
    }
    log.fatal({ err: e }, 'csrbot failed to start');
    process.exit(1);
  }
}

const entry = process.argv[1] ?? '';
if (entry.endsWith('/main.ts') || entry.endsWith('/main.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`csrbot failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
