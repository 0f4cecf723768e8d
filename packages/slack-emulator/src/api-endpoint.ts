import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault, type Faults, type FaultStage, type RateLimiter } from './faults.js';
import { mediaType, parseForm, parseMultipart, readBody, sendJson } from './http-util.js';
import type { AppIdentity } from './identity.js';
import { METHODS, scopesFor, type ApiDeps } from './web-api.js';
import { ApiError, type TokenKind } from './web-api-error.js';

/** One Web API call as the emulator saw it. */
export interface CallRecord {
  method: string;
  args: Record<string, unknown>;
  token?: TokenKind;
  status: number;
  ok: boolean;
  error?: string;
  response?: unknown;
  at: number;
}

/**
 * The Web API's front door, /api/<method>: parses the call (form, JSON,
 * multipart, query), checks the token, its type and scopes, applies faults
 * and rate limits, records the call, then runs the method's handler.
 */
export class WebApiEndpoint {
  readonly calls: CallRecord[] = [];
  private botScopes: string[];

  constructor(
    private readonly deps: ApiDeps,
    private readonly id: AppIdentity,
    private readonly faults: Faults,
    private readonly rateLimits: RateLimiter,
    private readonly stage: FaultStage,
    scopes: readonly string[],
  ) {
    this.botScopes = [...scopes];
  }

  get scopes(): readonly string[] {
    return this.botScopes;
  }

  set scopes(scopes: readonly string[]) {
    this.botScopes = [...scopes];
  }

  async handle(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ws = this.deps.workspace;
    const raw = await readBody(req);
    const type = mediaType(req.headers['content-type']);
    let args: Record<string, unknown> = Object.fromEntries(url.searchParams.entries());
    let tokenFromBodyAllowed = true;
    try {
      if (raw.length > 0) {
        if (type === 'application/json') {
          // Slack refuses a token inside a JSON body: it must come as a Bearer header.
          tokenFromBodyAllowed = false;
          Object.assign(args, JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
        } else if (type === 'multipart/form-data') {
          for (const p of parseMultipart(raw, req.headers['content-type'] ?? '')) args[p.name] = p.filename !== undefined ? p.data : p.data.toString('utf8');
        } else {
          Object.assign(args, parseForm(raw.toString('utf8')));
        }
      }
    } catch {
      sendJson(res, 200, { ok: false, error: 'invalid_json' });
      return;
    }
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const token = bearer || (tokenFromBodyAllowed && typeof args.token === 'string' ? args.token : undefined);
    const { token: _dropped, ...loggedArgs } = args;
    args = loggedArgs;
    const record: CallRecord = { method, args, status: 200, ok: false, at: Date.now() };
    this.calls.push(record);
    let holdMs = 0;
    const faulted = await applyFault(this.faults, method, res, this.stage, { webApi: true, holdAnswer: (ms) => (holdMs = ms) });
    if (faulted) {
      Object.assign(record, { ...faulted, ok: false });
      return;
    }

    let granted: string | undefined;
    let accepted: string | undefined;
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      // Slack names the token's scopes (and the method's) on every authenticated answer.
      if (granted !== undefined)
        headers = { 'x-oauth-scopes': granted, ...(accepted !== undefined ? { 'x-accepted-oauth-scopes': accepted } : {}), ...headers };
      record.status = status;
      record.ok = body.ok === true;
      if (typeof body.error === 'string') record.error = body.error;
      record.response = body;
      if (!record.ok) ws.log(`api: ${method} → ${body.error as string}${Array.isArray(body.errors) ? ` ${(body.errors as string[]).join('; ')}` : ''}`);
      sendJson(res, status, body, headers);
      ws.changed();
    };

    const handler = METHODS[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });
    let kind: TokenKind | undefined;
    if (method !== 'api.test') {
      if (!token) return answer(200, { ok: false, error: 'not_authed' });
      if (token === this.id.botToken) kind = 'bot';
      else if (token === this.id.appToken) kind = 'app';
      else return answer(200, { ok: false, error: 'invalid_auth' });
      record.token = kind;
      granted = kind === 'bot' ? this.botScopes.join(',') : 'connections:write';
      const needs: TokenKind = method === 'apps.connections.open' ? 'app' : 'bot';
      if (kind !== needs) return answer(200, { ok: false, error: 'not_allowed_token_type' });
      const scopes = kind === 'bot' ? scopesFor(method, args, this.deps.conversations) : undefined;
      if (scopes) {
        accepted = scopes.join(',');
        if (!scopes.some((sc) => this.botScopes.includes(sc))) return answer(200, { ok: false, error: 'missing_scope', needed: scopes[0], provided: granted });
      }
    }
    const limited = this.rateLimits.check(method);
    if (limited.limited) {
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited.retryAfterSec) });
    }
    try {
      const result = await handler({ method, args, token: kind ?? 'bot', slack: this.deps });
      if (holdMs > 0) {
        ws.log(`fault: ${method} done, its answer held ${holdMs} ms`);
        ws.changed();
        await this.stage.sleep(holdMs);
      }
      answer(200, { ok: true, ...result });
    } catch (err) {
      if (err instanceof ApiError) answer(200, { ok: false, error: err.error, ...err.extra });
      else throw err;
    }
  }
}
