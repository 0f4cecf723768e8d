import { describe, expect, it } from '@jest/globals';
import { slackFailure } from '../../../../src/adapters/slack/slack-failure.js';

const ctx = { method: 'auth.test', token: 'bot' as const, apiUrl: 'https://slack.com/api/' };
/** What @slack/web-api throws, by its stable code strings (7.x: axios errors as `original`; 8.x: fetch's TypeError with a `cause`). */
const platform = (data: Record<string, unknown>) => Object.assign(new Error('x'), { code: 'slack_webapi_platform_error', data });
const request = (original: unknown) => Object.assign(new Error('x'), { code: 'slack_webapi_request_error', original });
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('slackFailure', () => {
  it('a refused token names the setting: SLACK_BOT_TOKEN or SLACK_APP_TOKEN', () => {
    for (const error of ['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed']) {
      const f = slackFailure(platform({ ok: false, error }), ctx);
      expect(f).toMatchObject({ transient: false, platformError: error });
      expect(f.error.userMessage).toMatch(new RegExp(`^SLACK_BOT_TOKEN was refused by Slack \\(${error}\\)\\. To fix,`));
    }
    expect(slackFailure(platform({ error: 'invalid_auth' }), { ...ctx, token: 'app' }).error.code).toBe('SLACK_APP_TOKEN_REFUSED');
  });

  it('missing_scope names the scope Slack wanted', () => {
    const f = slackFailure(platform({ error: 'missing_scope', needed: 'groups:read', provided: 'chat:write' }), { ...ctx, method: 'conversations.info' });
    expect(f.error.code).toBe('SLACK_SCOPES_MISSING');
    expect(f.error.userMessage).toContain('asks for: groups:read (conversations.info needs them)');
  });

  it("outages are transient: no answer, 5xx, rate limits, Slack's own fatal_error", () => {
    expect(slackFailure(request(withCode('connect ECONNREFUSED', 'ECONNREFUSED')), ctx)).toMatchObject({
      transient: true,
      error: { code: 'SLACK_UNREACHABLE' },
    });
    expect(slackFailure(request(new TypeError('fetch failed', { cause: withCode('getaddrinfo', 'ENOTFOUND') })), ctx).error.userMessage).toContain(
      'could not be reached (ENOTFOUND)',
    );
    expect(slackFailure(Object.assign(new Error('x'), { code: 'slack_webapi_http_error', statusCode: 503 }), ctx).transient).toBe(true);
    expect(slackFailure(Object.assign(new Error('x'), { code: 'slack_webapi_rate_limited_error', retryAfter: 30 }), ctx).transient).toBe(true);
    expect(slackFailure(platform({ error: 'fatal_error' }), ctx).transient).toBe(true);
  });

  it('a 404 from SLACK_API_URL is a setting, not an outage', () => {
    const f = slackFailure(Object.assign(new Error('x'), { code: 'slack_webapi_http_error', statusCode: 404 }), ctx);
    expect(f.transient).toBe(false);
    expect(f.error.userMessage).toContain('HTTP 404; check SLACK_API_URL');
  });

  it('an untrusted certificate is SLACK_TLS, in either SDK shape', () => {
    for (const original of [
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      new TypeError('fetch failed', { cause: withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') }),
    ]) {
      const f = slackFailure(request(original), ctx);
      expect(f).toMatchObject({ transient: false, error: { code: 'SLACK_TLS', details: { problem: 'untrusted' } } });
      expect(f.error.userMessage).toContain('NODE_EXTRA_CA_CERTS');
    }
  });
});
