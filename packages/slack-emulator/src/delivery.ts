import type { Lifetime } from './lifetime.js';
import type { EnvelopeType } from './socket-mode.js';
import type { DeliveryOutcome, HttpTransport, Transport } from './transports.js';
import type { Workspace } from './workspace.js';

export interface DeliveryRecord extends DeliveryOutcome {
  type: EnvelopeType;
  label: string;
  attempt: number;
  at: number;
  /** The payload as delivered (event_callback body, command fields, interaction payload). */
  body: Record<string, unknown>;
}

/**
 * Delivery to the app: one attempt over the current transport (HTTP when a
 * request URL is set, else Socket Mode), Slack's retry ladder for events, a
 * record of every attempt, and what is still under way.
 */
export class Delivery {
  readonly records: DeliveryRecord[] = [];
  private readonly background = new Set<Promise<unknown>>();
  /** Deliveries to the bot sent and not yet acked, answered or timed out. */
  private inFlightCount = 0;

  constructor(
    private readonly ws: Workspace,
    private readonly socket: Transport,
    private readonly http: HttpTransport,
    /** Delays before events retries 1, 2, 3. */
    private readonly retryDelaysMs: readonly number[],
    private readonly life: Lifetime,
  ) {}

  /** Deliveries waiting for their ack right now. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Event deliveries not finished, a retry still scheduled included. */
  get pendingEvents(): number {
    return this.background.size;
  }

  /** An event delivery, retried in the background when unacked. */
  deliverEvent(body: Record<string, unknown>, label: string): void {
    this.track(this.deliver('events_api', body, label));
  }

  /**
   * Delivers one envelope (Socket Mode) or request (HTTP mode) and waits for the
   * ack. Events are retried up to 3 times like Slack; commands and
   * interactions are not (the user sees an error instead).
   */
  async deliver(type: EnvelopeType, body: Record<string, unknown>, label: string): Promise<DeliveryOutcome> {
    const first = await this.attempt(type, body, label, 0, '');
    // With no app connected at all there is nobody to retry to; dropping the
    // event keeps tests that use a bare WebClient from waiting out the retry ladder.
    if (first.via === 'none') return first;
    if (type === 'events_api' && !first.acked && !this.life.stopped) {
      this.track(this.retryEvent(body, label, first.reason ?? 'timeout'));
    }
    return first;
  }

  /** Resolves once no event delivery or retry is in flight. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    void p.finally(() => this.background.delete(p)).catch(() => undefined);
    return p;
  }

  private async retryEvent(body: Record<string, unknown>, label: string, firstReason: string): Promise<void> {
    let reason = firstReason;
    for (let n = 1; n <= 3; n += 1) {
      const delay = this.retryDelaysMs[n - 1] ?? 0;
      if (delay > 0 && !(await this.life.sleep(delay))) return;
      if (this.life.stopped) return;
      const r = await this.attempt('events_api', body, label, n, reason);
      if (r.acked) return;
      reason = r.reason ?? 'timeout';
    }
    this.ws.log(`delivery: gave up on ${label} after 3 retries`);
  }

  private async attempt(type: EnvelopeType, body: Record<string, unknown>, label: string, attempt: number, retryReason: string): Promise<DeliveryOutcome> {
    this.inFlightCount += 1;
    const started = Date.now();
    let outcome: DeliveryOutcome;
    try {
      outcome = await (this.http.target ? this.http : this.socket).send(type, body, attempt, retryReason);
    } finally {
      this.inFlightCount -= 1;
    }
    this.records.push({ ...outcome, type, label, attempt, at: started, body });
    const how = outcome.acked
      ? `acked in ${outcome.ms} ms${outcome.payload ? ` with ${JSON.stringify(outcome.payload).slice(0, 200)}` : ''}`
      : `NOT acked (${outcome.reason}${outcome.status ? ` ${outcome.status}` : ''})`;
    this.ws.log(`delivery: ${type} ${label}${attempt > 0 ? ` retry ${attempt} (${retryReason})` : ''} via ${outcome.via}: ${how}`);
    return outcome;
  }
}
