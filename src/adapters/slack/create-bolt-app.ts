import bolt, { type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../log/logger.js';
import { boltLogger } from './bolt-logger.js';
import { ClosingSocketModeReceiver } from './closing-socket-mode-receiver.js';
import type { SocketState } from './slack-health.js';

const { App, LogLevel } = bolt;
export type BoltApp = InstanceType<typeof App>;
type AppOptions = ConstructorParameters<typeof App>[0];

/**
 * Bolt's App, with a step before each incoming request is processed. Both
 * receivers hand every request to processEvent, and for events Bolt acks
 * there, before any listener runs (Socket Mode always; HTTP mode unless
 * processBeforeResponse). So whatever `beforeAck` writes is durable before
 * Slack is told the event arrived; if it throws, nothing is acked and Slack
 * delivers the event again.
 */
class DurableEventsApp extends App {
  constructor(
    options: AppOptions,
    private readonly beforeAck: (body: unknown) => Promise<void>,
  ) {
    super(options);
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    await this.beforeAck(event.body);
    return super.processEvent(event);
  }
}

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
  /** Runs on each incoming request before it is acked (e.g. records a DM event durably). */
  beforeAck?: (body: unknown) => Promise<void>;
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
    return newApp({ token: o.botToken, receiver, logger, logLevel: LogLevel.INFO, clientOptions }, o.beforeAck);
  }
  if (!o.signingSecret) throw new Error('HTTP mode needs a signing secret');
  return newApp({ token: o.botToken, signingSecret: o.signingSecret, logger, logLevel: LogLevel.INFO, clientOptions, port: o.port }, o.beforeAck);
}

const newApp = (options: AppOptions, beforeAck: BoltAppOptions['beforeAck']): BoltApp =>
  beforeAck ? new DurableEventsApp(options, beforeAck) : new App(options);
