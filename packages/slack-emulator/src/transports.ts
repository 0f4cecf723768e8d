import { randomUUID } from 'node:crypto';
import { postSigned, type SignedPostResult } from './signing.js';
import type { Envelope, EnvelopeType, SocketModeHub } from './socket-mode.js';

/** The outcome of delivering one envelope/request to the bot. */
export interface DeliveryOutcome {
  acked: boolean;
  via: 'socket' | 'http' | 'none';
  /** The ack's payload (Socket Mode) or the parsed response body (HTTP); absent when empty. */
  payload?: Record<string, unknown>;
  /** HTTP mode: the bot's status code. */
  status?: number;
  /** Why it was not acked: timeout, no_connection, http_error, http_timeout, connection_failed. */
  reason?: string;
  ms: number;
}

/** One way to reach the app: it sends one delivery attempt and reports whether (and how) the app acked. */
export interface Transport {
  send(type: EnvelopeType, body: Record<string, unknown>, attempt: number, retryReason: string): Promise<DeliveryOutcome>;
}

/** Socket Mode: an envelope over one of the app's WebSocket connections, acked by envelope_id. */
export class SocketTransport implements Transport {
  constructor(
    private readonly hub: SocketModeHub,
    private readonly ackTimeoutMs: number,
  ) {}

  async send(type: EnvelopeType, body: Record<string, unknown>, attempt: number, retryReason: string): Promise<DeliveryOutcome> {
    const envelope: Envelope = { envelope_id: randomUUID(), type, payload: body, accepts_response_payload: type !== 'events_api' };
    if (type === 'events_api') {
      envelope.retry_attempt = attempt;
      envelope.retry_reason = attempt > 0 ? retryReason : '';
    }
    const r = await this.hub.deliver(envelope, this.ackTimeoutMs);
    return r.acked
      ? { acked: true, via: 'socket', ms: r.ms, ...(Object.keys(r.payload).length > 0 ? { payload: r.payload } : {}) }
      : { acked: false, via: r.reason === 'no_connection' ? 'none' : 'socket', reason: r.reason, ms: r.ms };
  }
}

/** Overrides for a hand-made POST to the HTTP-mode app. */
export interface PostToBotOptions {
  url?: string;
  signature?: string;
  timestampSec?: number;
  unsigned?: boolean;
  retryNum?: number | undefined;
  retryReason?: string;
  rawBody?: string;
}

/** HTTP mode: a signed POST to the app's request URL, acked by a 200. */
export class HttpTransport implements Transport {
  private url: string | undefined;

  constructor(
    private readonly signingSecret: string,
    private readonly ackTimeoutMs: number,
  ) {}

  /** The request URL, or undefined for Socket Mode. */
  get target(): string | undefined {
    return this.url;
  }

  set target(url: string | undefined) {
    this.url = url;
  }

  async send(type: EnvelopeType, body: Record<string, unknown>, attempt: number, retryReason: string): Promise<DeliveryOutcome> {
    return httpOutcome(await this.post(type, body, { retryNum: attempt > 0 ? attempt : undefined, retryReason }));
  }

  /** POSTs a delivery, signed; the overrides forge (bad signature, stale timestamp, unsigned). */
  post(type: EnvelopeType, body: Record<string, unknown>, o: PostToBotOptions = {}): Promise<SignedPostResult> {
    const url = o.url ?? this.url;
    if (!url) throw new Error('no HTTP request URL: call emu.deliverTo(url) first');
    const enc = encodeForHttp(type, body);
    return postSigned(url, {
      body: o.rawBody ?? enc.body,
      contentType: enc.contentType,
      signingSecret: this.signingSecret,
      timeoutMs: this.ackTimeoutMs,
      ...(o.signature !== undefined ? { signature: o.signature } : {}),
      ...(o.timestampSec !== undefined ? { timestampSec: o.timestampSec } : {}),
      ...(o.unsigned ? { unsigned: true } : {}),
      ...(o.retryNum !== undefined ? { retryNum: o.retryNum, retryReason: o.retryReason ?? 'http_timeout' } : {}),
    });
  }
}

/** Encodes a delivery the way Slack POSTs it to a request URL. */
export function encodeForHttp(
  type: EnvelopeType,
  body: Record<string, unknown>,
): { body: string; contentType: 'application/json' | 'application/x-www-form-urlencoded' } {
  if (type === 'events_api') return { body: JSON.stringify(body), contentType: 'application/json' };
  if (type === 'slash_commands') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) form.set(k, String(v));
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: new URLSearchParams({ payload: JSON.stringify(body) }).toString(), contentType: 'application/x-www-form-urlencoded' };
}

function httpOutcome(r: SignedPostResult): DeliveryOutcome {
  if (r.failure) return { acked: false, via: 'http', reason: r.failure, ms: r.ms };
  if (r.status !== 200) return { acked: false, via: 'http', reason: 'http_error', status: r.status, ms: r.ms };
  const out: DeliveryOutcome = { acked: true, via: 'http', status: 200, ms: r.ms };
  const text = r.body.trim();
  if (text) {
    try {
      const parsed = JSON.parse(text) as unknown;
      out.payload = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { text };
    } catch {
      // A plain-text body is shown as the response text, as Slack does for commands.
      out.payload = { text };
    }
  }
  return out;
}
