/**
 * The start-up checks, shared by start-up (src/main.ts) and `csrbot doctor`.
 * Like main.ts, this is composition: it may reach every adapter.
 *
 * What stops start-up (fail, exit 2) and what does not (warn):
 *   - a setting that cannot work stops it: a refused token, missing scopes,
 *     a bot outside the admin channel, an unknown admin group, a kubeconfig
 *     without a usable context, a 401/403 or TLS trust failure from the API
 *     server, missing RBAC, Redis refusing the password;
 *   - a dependency that is merely down does not: an unreachable cluster or
 *     Redis is a warning, csrbot starts, readiness and metrics show it.
 *   - Slack down is the exception: with Slack unreachable csrbot can serve
 *     nobody, so start-up waits (retrying) until Slack answers, with the ops
 *     port up, readiness failing and SIGTERM honoured.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CsrbotError } from '../domain/errors.js';
import type { Identity } from '../adapters/kubernetes/index.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { CheckResult } from './check-result.js';
import { failureList } from './format-report.js';
import { checkKubernetes } from './kubernetes-checks.js';
import { manifestBotScopes } from './manifest-scopes.js';
import { checkRedis, checkRedisTopology } from './redis-check.js';
import { checkSlack, type SlackIdentity } from './slack-checks.js';

export interface PreflightReport {
  results: CheckResult[];
  /** Some check failed: a setting to fix. */
  failed: boolean;
  /** The signal fired before every check was done. */
  aborted?: boolean;
  /** The loaded kubeconfig, when it was usable. */
  kc?: KubeConfig;
  kubernetesIdentity?: Identity;
  slackIdentity?: SlackIdentity;
}

export interface PreflightOptions {
  config: Config;
  log: Logger;
  /** start: wait for Slack while it is unreachable. doctor: one attempt at everything. */
  mode: 'start' | 'doctor';
  /** Stops the wait for Slack (SIGTERM during start-up). */
  signal?: AbortSignal;
  /** Per call. Default 10 s. */
  timeoutMs?: number;
  /** Waits between attempts to reach Slack (start mode); the last one repeats. Default 1, 2, 4, 8, 15, 30 s. */
  slackRetryDelaysMs?: readonly number[];
}

const DEFAULT_DELAYS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** Resolves after ms, or at once when the signal fires. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Settles with the promise, or with undefined as soon as the signal fires. */
function unlessAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
}

/**
 * Runs every check (Slack, Kubernetes and Redis at once) and reports each.
 * Resolves with what was checked so far if the signal fires.
 */
export async function runPreflight(o: PreflightOptions): Promise<PreflightReport> {
  const { config, log } = o;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let requiredScopes: string[] | Error;
  try {
    requiredScopes = manifestBotScopes();
  } catch (e) {
    requiredScopes = e as Error;
  }
  const slack = () =>
    checkSlack({
      botToken: config.slack.botToken,
      appToken: config.slack.appToken,
      apiUrl: config.slack.apiUrl,
      adminChannel: config.slack.adminChannel,
      adminGroup: config.slack.adminGroup,
      adminUsers: config.slack.adminUsers,
      requiredScopes,
      log,
      timeoutMs,
    });
  const firstRound = await unlessAborted(
    Promise.all([
      slack(),
      checkKubernetes({ kubeconfigPath: config.kubernetes.kubeconfigPath, signers: config.policy.allowedSigners, timeoutMs }),
      config.redis.topology.kind === 'standalone' ? checkRedis(config.redis.topology.url, { timeoutMs }) : checkRedisTopology(config.redis, { timeoutMs }),
    ]),
    o.signal,
  );
  if (!firstRound) return { results: [], failed: false, aborted: true };
  const [first, k8s, redis] = firstRound;
  const others = [...k8s.results, redis];
  let slackResult = first;
  const delays = o.slackRetryDelaysMs ?? DEFAULT_DELAYS;
  // Wait for Slack only when nothing else already stops start-up.
  for (let attempt = 0; o.mode === 'start' && !o.signal?.aborted; attempt++) {
    const down = slackResult.results.find((r) => r.transient);
    if (!down || [...slackResult.results, ...others].some((r) => r.status === 'fail')) break;
    const delay = delays[Math.min(attempt, delays.length - 1)]!;
    log.warn({ check: down.name, code: down.code, retryInMs: delay, attempt: attempt + 1 }, `start-up waits for Slack: ${down.detail}`);
    await pause(delay, o.signal);
    if (o.signal?.aborted) break;
    const next = await unlessAborted(slack(), o.signal);
    if (!next) break;
    slackResult = next;
  }
  const results = [...slackResult.results, ...others];
  return {
    results,
    failed: results.some((r) => r.status === 'fail'),
    ...(o.signal?.aborted ? { aborted: true } : {}),
    ...(k8s.kc ? { kc: k8s.kc } : {}),
    ...(k8s.identity ? { kubernetesIdentity: k8s.identity } : {}),
    ...(slackResult.identity ? { slackIdentity: slackResult.identity } : {}),
  };
}

/**
 * Start-up's use of the checks: every result logged (JSON, scrubbed), and
 * PREFLIGHT_FAILED thrown listing every failure with its fix. Waits while
 * Slack is unreachable; `aborted` in the report when the signal fired.
 */
export async function startupChecks(o: Omit<PreflightOptions, 'mode'>): Promise<PreflightReport> {
  const report = await runPreflight({ ...o, mode: 'start' });
  if (report.aborted) return report;
  for (const r of report.results) {
    if (r.status === 'fail') o.log.error({ check: r.name, code: r.code }, r.detail);
    else if (r.status === 'warn') o.log.warn({ check: r.name, code: r.code }, r.detail);
    else o.log.info({ check: r.name, status: r.status }, r.detail);
  }
  if (report.failed) throw new CsrbotError('PREFLIGHT_FAILED', { problems: failureList(report.results) });
  return report;
}
