import { LogLevel } from '@slack/logger';
import { WebClient } from '@slack/web-api';
import type { Logger } from '../../log/logger.js';
import { boltLogger } from './bolt-logger.js';

/**
 * A WebClient for checks (start-up, doctor, the readiness auth.test): one
 * attempt per call, a deadline, and no waiting out rate limits, so a check
 * reports an outage instead of sitting in the SDK's 30-minute retry
 * schedule. Its log lines go through pino (scrubbed).
 */
export function checkClient(token: string, o: { apiUrl: string; log: Logger; timeoutMs?: number }): WebClient {
  return new WebClient(token, {
    slackApiUrl: o.apiUrl,
    retryConfig: { retries: 0 },
    timeout: o.timeoutMs ?? 10_000,
    rejectRateLimitedCalls: true,
    logger: boltLogger(o.log.child({ component: 'slack-check' })),
    logLevel: LogLevel.ERROR,
  });
}
