import { LogLevel } from '@slack/logger';
import { WebClient } from '@slack/web-api';
import type { Logger } from '../../log/logger.js';
import { boltLogger } from './bolt-logger.js';

/** Slack refuses a trigger_id 3 s after the interaction: a views.open answered later is worthless. */
export const INTERACTIVE_TIMEOUT_MS = 3000;

/**
 * The WebClient for calls that cannot wait: views.open with a trigger_id.
 * One attempt, a deadline, no waiting out a 429 (its Retry-After outlives the
 * trigger), and its own request queue, so a 429 on a background call (which
 * pauses that client's queue) never holds it up. Background work keeps
 * app.client and its retries.
 */
export function interactiveClient(token: string, o: { apiUrl: string; log: Logger; timeoutMs?: number }): WebClient {
  return new WebClient(token, {
    slackApiUrl: o.apiUrl,
    retryConfig: { retries: 0 },
    timeout: o.timeoutMs ?? INTERACTIVE_TIMEOUT_MS,
    rejectRateLimitedCalls: true,
    logger: boltLogger(o.log.child({ component: 'slack-interactive' })),
    logLevel: LogLevel.ERROR,
  });
}
