import { CsrbotError } from '../../domain/errors.js';
import { tlsFailureOf } from '../tls-problem.js';

/** Slack's answers that mean the token itself no longer works (not a missing scope, not an outage). */
export const TOKEN_REFUSED_ERRORS: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
  'no_permission',
  'team_access_not_granted',
  'ekm_access_denied',
]);

/** Slack's `ok: false` answers that mean Slack itself had trouble: the same call may work later. */
export const TRANSIENT_PLATFORM_ERRORS: ReadonlySet<string> = new Set([
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

export interface SlackFailure {
  error: CsrbotError;
  /** Slack or the network is down (retrying helps), as opposed to a setting to fix. */
  transient: boolean;
  /** Slack's own error string (`channel_not_found`, `missing_scope`...), for callers that expect some. */
  platformError?: string;
}

interface Context {
  method: string;
  /** Which token made the call: says which setting to fix. */
  token: 'bot' | 'app';
  /** SLACK_API_URL, named in "could not be reached" (an operator's message, never /readyz). */
  apiUrl: string;
}

/**
 * Translates what @slack/web-api throws (by its stable `code` strings) into
 * csrbot's coded errors: a refused token or a missing scope is a setting to
 * fix; an unreachable Slack, a 5xx or a rate limit is an outage.
 */
export function slackFailure(e: unknown, ctx: Context): SlackFailure {
  const code = (e as { code?: unknown }).code;
  if (code === 'slack_webapi_platform_error') {
    const data = (e as { data?: { error?: string; needed?: string } }).data ?? {};
    const error = data.error ?? 'unknown_error';
    if (TOKEN_REFUSED_ERRORS.has(error)) {
      return {
        error: new CsrbotError(ctx.token === 'app' ? 'SLACK_APP_TOKEN_REFUSED' : 'SLACK_BOT_TOKEN_REFUSED', { error }),
        transient: false,
        platformError: error,
      };
    }
    if (error === 'missing_scope') {
      return {
        error: new CsrbotError('SLACK_SCOPES_MISSING', { missing: data.needed ? data.needed.split(',') : ['(Slack did not say which)'], method: ctx.method }),
        transient: false,
        platformError: error,
      };
    }
    const transient = TRANSIENT_PLATFORM_ERRORS.has(error);
    return { error: new CsrbotError('SLACK_API_ERROR', { method: ctx.method, error }), transient, platformError: error };
  }
  if (code === 'slack_webapi_rate_limited_error') {
    return { error: new CsrbotError('SLACK_API_ERROR', { method: ctx.method, error: 'ratelimited' }), transient: true };
  }
  if (code === 'slack_webapi_http_error') {
    const status = (e as { statusCode?: number }).statusCode ?? 0;
    // A 404 or 400 from the base URL itself is a wrong SLACK_API_URL, not an outage.
    const transient = status >= 500 || status === 429 || status === 408;
    return { error: new CsrbotError('SLACK_API_ERROR', { method: ctx.method, error: `HTTP ${status}${transient ? '' : '; check SLACK_API_URL'}` }), transient };
  }
  // WebClient wraps the network error as `original`.
  const original = (e as { original?: unknown }).original ?? e;
  const tls = tlsFailureOf(original);
  if (tls) return { error: new CsrbotError('SLACK_TLS', { url: ctx.apiUrl, ...tls }), transient: false };
  const reason = codeIn(original) ?? (original instanceof Error ? original.message : String(original));
  return { error: new CsrbotError('SLACK_UNREACHABLE', { url: ctx.apiUrl, reason }), transient: true };
}

/** The first string `code` on the cause chain: web-api 7 (axios) puts it on the error, 8 (fetch) on its cause. */
function codeIn(e: unknown): string | undefined {
  for (let cur: unknown = e, i = 0; cur && typeof cur === 'object' && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
