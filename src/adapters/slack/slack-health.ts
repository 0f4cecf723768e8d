import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../log/logger.js';
import type { ReadinessProbe } from '../http/routes.js';
import type { SlackFailure } from './slack-failure.js';

/** Socket Mode client states (@slack/socket-mode's events). */
export type SocketState = 'connecting' | 'connected' | 'reconnecting' | 'disconnecting' | 'disconnected';

export interface SlackHealthOptions {
  mode: 'socket' | 'http';
  /** One auth.test: resolves when Slack accepts the bot token, rejects with the classified failure. */
  authTest: () => Promise<void>;
  registry: Registry;
  log: Logger;
  /** How often auth.test runs. Default 60 s. */
  intervalMs?: number;
  /** HTTP mode: how old the last accepted auth.test may be and still count. Default 5 min. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * "Can this pod serve Slack?" for readiness and metrics. Socket Mode: the
 * WebSocket is open (from the client's events). HTTP mode: Slack accepted the
 * bot token recently (a cached auth.test, refreshed in the background, so a
 * probe never waits on Slack). Both: Slack has not refused the token since.
 */
export class SlackHealth {
  private socket: SocketState = 'disconnected';
  private lastOkAt: number | undefined;
  /** Slack's own refusal (invalid_auth, token_revoked...) from the last auth.test, if any. */
  private refused: string | undefined;
  private lastProblem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly authOk: Gauge;
  private readonly connected: Gauge | undefined;

  constructor(private readonly o: SlackHealthOptions) {
    this.now = o.now ?? Date.now;
    this.authOk = new Gauge({
      name: 'csrbot_slack_auth_ok',
      help: '1 when Slack accepted the bot token at the last auth.test (every minute), 0 when it refused it (invalid_auth, token_revoked...). Not changed by outages.',
      registers: [o.registry],
    });
    if (o.mode === 'socket') {
      this.connected = new Gauge({
        name: 'csrbot_slack_socket_connected',
        help: '1 while the Socket Mode WebSocket to Slack is open.',
        registers: [o.registry],
      });
      this.connected.set(0);
    }
  }

  /** Records an auth.test made elsewhere (the start-up check). */
  authAccepted(): void {
    this.lastOkAt = this.now();
    this.refused = undefined;
    this.lastProblem = undefined;
    this.authOk.set(1);
  }

  private authFailed(f: SlackFailure): void {
    this.lastProblem = `${f.error.code}${f.platformError ? ` (${f.platformError})` : ''}`;
    if (!f.transient) {
      if (this.refused === undefined) this.o.log.error({ code: f.error.code }, f.error.userMessage);
      this.refused = f.platformError ?? f.error.code;
      this.authOk.set(0);
    }
  }

  /** Socket Mode: the client's state changes. */
  socketState(state: SocketState): void {
    if (state === this.socket) return;
    this.socket = state;
    this.connected?.set(state === 'connected' ? 1 : 0);
    this.o.log.info({ state }, 'Slack Socket Mode connection');
  }

  /** Runs one auth.test now. */
  async refresh(): Promise<void> {
    try {
      await this.o.authTest();
      this.authAccepted();
    } catch (e) {
      this.authFailed(e as SlackFailure);
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), this.o.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Why this pod cannot serve Slack now, or undefined when it can. Never holds a token or a URL. */
  problem(): string | undefined {
    if (this.refused) return `Slack refuses the bot token (${this.refused})`;
    if (this.o.mode === 'socket') return this.socket === 'connected' ? undefined : `Socket Mode connection not open (${this.socket})`;
    const maxAgeMs = this.o.maxAgeMs ?? 5 * 60_000;
    if (this.lastOkAt === undefined) return 'Slack has not accepted the bot token yet';
    const age = this.now() - this.lastOkAt;
    if (age > maxAgeMs) return `no auth.test accepted for ${Math.round(age / 1000)} s (last problem: ${this.lastProblem ?? 'none'})`;
    return undefined;
  }

  probe(): ReadinessProbe {
    return {
      name: 'slack',
      check: async () => {
        const p = this.problem();
        if (p) throw new Error(p);
      },
    };
  }
}
