import type { ServerResponse } from 'node:http';
import { sendJson } from './http-util.js';

/**
 * Injectable misbehaviour. Keys are Web API method names ("chat.postMessage")
 * or one of the non-API endpoints: "upload" (the files upload URL),
 * "download" (url_private[_download]), "response_url", "apps.connections.open".
 */
export interface FaultSpec {
  /** HTTP status to answer with (500, 503, 429...); default 200. */
  status?: number;
  /** Body to answer with; default a Slack-like error body for the status. */
  body?: unknown;
  /** Answer 200 {ok:false, error} instead of doing the call. */
  error?: string;
  /** Wait this long before answering (the call still happens unless another field says otherwise). */
  delayMs?: number;
  /** Destroy the TCP socket without answering. */
  drop?: boolean;
  /**
   * Web API methods only: do the call (its effect shows at once), then hold the
   * answer this long. The caller's process can die between the effect and the answer.
   */
  answerDelayMs?: number;
  /** With status 429: the Retry-After header in seconds; default 1. */
  retryAfterSec?: number;
  /** How many consecutive calls this fault applies to; default 1. */
  times?: number;
}

export class Faults {
  private readonly queued = new Map<string, FaultSpec[]>();
  private standing: FaultSpec | undefined;

  /** The next `spec.times` calls of `method` misbehave as `spec` says. */
  next(method: string, spec: FaultSpec): this {
    const list = this.queued.get(method) ?? [];
    for (let i = 0; i < (spec.times ?? 1); i += 1) list.push(spec);
    this.queued.set(method, list);
    return this;
  }

  /** The next `times` calls of `method` answer after `delayMs`. */
  slow(method: string, delayMs: number, times = 1): this {
    return this.next(method, { delayMs, times });
  }

  /** The next `times` calls of `method` get their socket destroyed. */
  drop(method: string, times = 1): this {
    return this.next(method, { drop: true, times });
  }

  /**
   * Every Web API call (not uploads, downloads, response_url or the Socket Mode
   * hello, nor apps.connections.open) misbehaves as `spec` says until
   * `always(undefined)` or clear(): "Slack answers in 2 s", "429 on every call".
   * `times` is ignored; a fault queued by next() for a method goes first.
   */
  always(spec: FaultSpec | undefined): this {
    this.standing = spec;
    return this;
  }

  clear(): void {
    this.queued.clear();
    this.standing = undefined;
  }

  /** Used by the Web API endpoint: the queued fault for this method, else the standing one. */
  takeForMethod(method: string): FaultSpec | undefined {
    return this.take(method) ?? (method === 'apps.connections.open' ? undefined : this.standing);
  }

  /** Used by the server: the fault for this call, if any, consumed. */
  take(method: string): FaultSpec | undefined {
    const list = this.queued.get(method);
    const spec = list?.shift();
    if (list && list.length === 0) this.queued.delete(method);
    return spec;
  }
}

/** A per-method budget: at most `limit` calls per `windowMs`. */
export interface RateLimit {
  limit: number;
  /** Default 60 000 ms (Slack's tiers are per minute). */
  windowMs?: number;
  /** Retry-After header value; default 1 s. */
  retryAfterSec?: number;
}

export class RateLimiter {
  private readonly limits = new Map<string, RateLimit>();
  private readonly hits = new Map<string, number[]>();

  constructor(initial: Record<string, RateLimit> = {}) {
    for (const [m, l] of Object.entries(initial)) this.set(m, l);
  }

  /** Sets (or with undefined removes) the budget of a method. */
  set(method: string, limit: RateLimit | undefined): void {
    if (limit) this.limits.set(method, limit);
    else this.limits.delete(method);
    this.hits.delete(method);
  }

  /** Counts a call; answers how long to back off when the budget is spent. */
  check(method: string, now = Date.now()): { limited: false } | { limited: true; retryAfterSec: number } {
    const limit = this.limits.get(method);
    if (!limit) return { limited: false };
    const windowMs = limit.windowMs ?? 60_000;
    const recent = (this.hits.get(method) ?? []).filter((t) => now - t < windowMs);
    if (recent.length >= limit.limit) {
      this.hits.set(method, recent);
      return { limited: true, retryAfterSec: limit.retryAfterSec ?? 1 };
    }
    recent.push(now);
    this.hits.set(method, recent);
    return { limited: false };
  }
}

/** What an HTTP endpoint needs to act out a fault. */
export interface FaultStage {
  log(line: string): void;
  sleep(ms: number): Promise<boolean>;
}

/**
 * Acts out the next fault queued for `key` on this request, if any. Resolves
 * with what was answered when the fault fully answered (or dropped) the
 * request, and with undefined when the request should go on (none, or only a delay).
 */
export async function applyFault(
  faults: Faults,
  key: string,
  res: ServerResponse,
  stage: FaultStage,
  /** webApi: a Web API method, so the standing fault (always()) applies too; holdAnswer: where a fault's answerDelayMs goes (the Web API supports it). */
  o: { webApi?: boolean; holdAnswer?: (ms: number) => void } = {},
): Promise<{ status: number; error: string } | undefined> {
  const fault = o.webApi ? faults.takeForMethod(key) : faults.take(key);
  if (!fault) return undefined;
  if (fault.answerDelayMs && o.holdAnswer) o.holdAnswer(fault.answerDelayMs);
  if (fault.delayMs) {
    stage.log(`fault: ${key} answers after ${fault.delayMs} ms`);
    await stage.sleep(fault.delayMs);
  }
  if (fault.drop) {
    stage.log(`fault: ${key} connection dropped`);
    res.socket?.destroy();
    return { status: 0, error: 'dropped' };
  }
  if (fault.error) {
    stage.log(`fault: ${key} answers error ${fault.error}`);
    sendJson(res, 200, { ok: false, error: fault.error });
    return { status: 200, error: fault.error };
  }
  if (fault.status !== undefined) {
    const status = fault.status;
    stage.log(`fault: ${key} answers HTTP ${status}`);
    const headers: Record<string, string> = status === 429 ? { 'retry-after': String(fault.retryAfterSec ?? 1) } : {};
    const body = fault.body ?? (status === 429 ? { ok: false, error: 'ratelimited' } : { ok: false, error: status >= 500 ? 'internal_error' : 'fault' });
    sendJson(res, status, body, headers);
    return { status, error: (body as { error?: string }).error ?? `http_${status}` };
  }
  return undefined;
}
