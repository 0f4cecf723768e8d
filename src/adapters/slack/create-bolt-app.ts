import bolt from '@slack/bolt';
import type { Logger } from '../../log/logger.js';
import type { Route } from '../http/routes.js';
import { boltLogger } from './bolt-logger.js';
import { ClosingSocketModeReceiver } from './closing-socket-mode-receiver.js';

const { App, LogLevel } = bolt;
export type BoltApp = InstanceType<typeof App>;

export interface BoltAppOptions {
  botToken: string;
  /** Socket Mode when set. */
  appToken?: string;
  /** HTTP mode: verifies X-Slack-Signature on every request (and refuses timestamps older than 5 minutes). */
  signingSecret?: string;
  /** Default https://slack.com/api/. */
  apiUrl: string;
  /** HTTP mode: Slack's endpoint and the routes; Socket Mode: only the routes. */
  port: number;
  routes: Route[];
  log: Logger;
}

/**
 * The Bolt app, in Socket Mode or HTTP mode. Transport only: listeners are
 * registered by the caller. Both modes serve `routes` (health, metrics) on `port`.
 */
export function createBoltApp(o: BoltAppOptions): BoltApp {
  const logger = boltLogger(o.log);
  const clientOptions = { slackApiUrl: o.apiUrl };
  if (o.appToken) {
    const receiver = new ClosingSocketModeReceiver({
      appToken: o.appToken,
      logger,
      logLevel: LogLevel.INFO,
      // The Socket Mode client builds its own WebClient for apps.connections.open from these.
      installerOptions: { clientOptions, port: o.port },
      customRoutes: o.routes,
    });
    return new App({ token: o.botToken, receiver, logger, logLevel: LogLevel.INFO, clientOptions });
  }
  if (!o.signingSecret) throw new Error('HTTP mode needs a signing secret');
  return new App({
    token: o.botToken,
    signingSecret: o.signingSecret,
    logger,
    logLevel: LogLevel.INFO,
    clientOptions,
    customRoutes: o.routes,
    port: o.port,
  });
}
