import bolt from '@slack/bolt';
import type { Logger } from '../../log/logger.js';
import { boltLogger } from './bolt-logger.js';
import { ClosingSocketModeReceiver } from './closing-socket-mode-receiver.js';
import type { SocketState } from './slack-health.js';

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
  /** HTTP mode: where /slack/events listens (nothing else is served there). Socket Mode: unused. */
  port: number;
  /** Socket Mode: the WebSocket's state changes (readiness follows them). */
  onSocketState?: (state: SocketState) => void;
  log: Logger;
}

const SOCKET_STATES: SocketState[] = ['connecting', 'connected', 'reconnecting', 'disconnecting', 'disconnected'];

/**
 * The Bolt app, in Socket Mode or HTTP mode. Transport only: listeners are
 * registered by the caller. Socket Mode listens on no port at all; HTTP mode
 * serves only Slack's /slack/events on `port`. Health and metrics are on the
 * ops port (adapters/http/ops-server.ts).
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
      installerOptions: { clientOptions },
    });
    if (o.onSocketState) {
      const report = o.onSocketState;
      for (const state of SOCKET_STATES) receiver.client.on(state, () => report(state));
    }
    return new App({ token: o.botToken, receiver, logger, logLevel: LogLevel.INFO, clientOptions });
  }
  if (!o.signingSecret) throw new Error('HTTP mode needs a signing secret');
  return new App({
    token: o.botToken,
    signingSecret: o.signingSecret,
    logger,
    logLevel: LogLevel.INFO,
    clientOptions,
    port: o.port,
  });
}
