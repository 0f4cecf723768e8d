import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load-config.js';
import { CsrbotError } from '../../../src/domain/errors.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1-abc',
  SLACK_SIGNING_SECRET: 'shhh-secret',
  SLACK_ADMIN_CHANNEL: 'C0ADMIN',
  SLACK_ADMIN_USERS: 'U0ADMIN1, U0ADMIN2',
};

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(CsrbotError);
    return (e as CsrbotError).userMessage;
  }
  throw new Error('expected loadConfig to refuse');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(valid);
    expect(c.slack.apiUrl).toBe('https://slack.com/api/');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.http.port).toBe(3000);
    expect(c.http.opsPort).toBe(9090);
    expect(c.slack.adminUsers).toEqual(['U0ADMIN1', 'U0ADMIN2']);
    expect(c.policy.allowedSigners).toEqual(['kubernetes.io/kube-apiserver-client']);
    expect(c.policy.defaultLifetimeSeconds).toBe(86400);
    expect(c.approval).toEqual({ quorum: 1, allowSelfApproval: false });
    expect(c.delivery.keyPathTemplate).toBe('{user}.key');
  });

  it('refuses a KEY_PATH_TEMPLATE client-go cannot read, saying why and what works', () => {
    const text = problemsOf({ ...valid, KEY_PATH_TEMPLATE: '~/.kube/{user}.key' });
    expect(text).toContain('KEY_PATH_TEMPLATE: "~/.kube/{user}.key" starts with ~');
    expect(text).toContain('{user}.key');
    expect(problemsOf({ ...valid, KEY_PATH_TEMPLATE: '/keys/{name}.key' })).toContain('unknown placeholder {name}');
  });

  it("keeps the ops port apart from Slack's in HTTP mode", () => {
    expect(problemsOf({ ...valid, PORT: '8080', OPS_PORT: '8080' })).toContain('OPS_PORT: OPS_PORT and PORT are the same port');
    expect(problemsOf({ ...valid, OPS_PORT: 'ops' })).toContain('OPS_PORT must be a number');
    // Socket Mode listens on PORT for nothing, so the two may coincide.
    expect(loadConfig({ ...valid, SLACK_APP_TOKEN: 'xapp-1-A1-1-abc', PORT: '9090' }).http).toEqual({ port: 9090, opsPort: 9090 });
  });

  it('lists every missing setting at once, each with how to fix it', () => {
    const text = problemsOf({});
    expect(text).toContain('SLACK_BOT_TOKEN is missing');
    expect(text).toContain('OAuth & Permissions');
    expect(text).toContain('SLACK_ADMIN_CHANNEL is missing');
    expect(text).toContain('SLACK_SIGNING_SECRET');
    expect(text).toContain('Nobody may approve');
    expect(text.split('\n  - ')).toHaveLength(5);
  });

  it('explains malformed values', () => {
    const text = problemsOf({
      ...valid,
      SLACK_BOT_TOKEN: 'xoxp-user',
      SLACK_ADMIN_CHANNEL: '#admins',
      PORT: 'eighty',
      GROUP_MAPPINGS: 'dev-team',
      CERT_MAX_LIFETIME: 'forever',
    });
    expect(text).toContain('must be a bot token starting with xoxb-');
    expect(text).toContain('not a #name');
    expect(text).toContain('PORT');
    expect(text).toContain('S0123ABCD=dev-team');
    expect(text).toContain('CERT_MAX_LIFETIME="forever" is not a duration');
  });

  it('parses group mappings, durations and booleans', () => {
    const c = loadConfig({
      ...valid,
      GROUP_MAPPINGS: 'S1=dev,S1=ops,S2=sre',
      CERT_DEFAULT_LIFETIME: '1h',
      CERT_MAX_LIFETIME: '7d',
      ALLOW_SELF_APPROVAL: 'true',
      APPROVAL_QUORUM: '2',
    });
    expect(c.policy.groupMappings).toEqual({ S1: ['dev', 'ops'], S2: ['sre'] });
    expect(c.policy.defaultLifetimeSeconds).toBe(3600);
    expect(c.policy.maxLifetimeSeconds).toBe(7 * 86400);
    expect(c.approval).toEqual({ quorum: 2, allowSelfApproval: true });
  });

  it('refuses a default lifetime above the maximum or below the API minimum', () => {
    expect(problemsOf({ ...valid, CERT_DEFAULT_LIFETIME: '2d', CERT_MAX_LIFETIME: '1d' })).toContain('longer than CERT_MAX_LIFETIME');
    expect(problemsOf({ ...valid, CERT_DEFAULT_LIFETIME: '5m' })).toContain('at least 10m');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...valid, SLACK_APP_TOKEN: '', PORT: '' }).slack.appToken).toBeUndefined();
  });
});
