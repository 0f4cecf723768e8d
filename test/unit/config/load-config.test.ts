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
    expect(c.redis).toEqual({ topology: { kind: 'standalone', url: 'redis://127.0.0.1:6379' }, prefix: 'csrbot', tls: false, commandTimeoutMs: 60_000 });
    expect(c.http.port).toBe(3000);
    expect(c.http.opsPort).toBe(9090);
    expect(c.slack.adminUsers).toEqual(['U0ADMIN1', 'U0ADMIN2']);
    expect(c.policy.allowedSigners).toEqual(['kubernetes.io/kube-apiserver-client']);
    expect(c.policy.defaultLifetimeSeconds).toBe(86400);
    expect(c.approval).toEqual({ quorum: 1, clusterAdminQuorum: 2, allowSelfApproval: false });
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

  it('binds the ops port to every interface unless OPS_HOST names one address', () => {
    expect(loadConfig(valid).http.opsHost).toBeUndefined();
    expect(loadConfig({ ...valid, OPS_HOST: '127.0.0.1' }).http.opsHost).toBe('127.0.0.1');
    expect(problemsOf({ ...valid, OPS_HOST: 'http://x/' })).toContain('OPS_HOST must be an address');
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
    expect(c.approval).toEqual({ quorum: 2, clusterAdminQuorum: 2, allowSelfApproval: true });
  });

  it('refuses a default lifetime above the maximum or below the API minimum', () => {
    expect(problemsOf({ ...valid, CERT_DEFAULT_LIFETIME: '2d', CERT_MAX_LIFETIME: '1d' })).toContain('longer than CERT_MAX_LIFETIME');
    expect(problemsOf({ ...valid, CERT_DEFAULT_LIFETIME: '5m' })).toContain('at least 10m');
  });

  it('reads the identity safeguards: reserved names, csrbot powers, the cluster-admin quorum, email domains', () => {
    const c = loadConfig({
      ...valid,
      RESERVED_USERNAMES: 'break-glass, admin',
      ALLOW_CSRBOT_POWERS: 'true',
      CLUSTER_ADMIN_QUORUM: '3',
      ALLOWED_EMAIL_DOMAINS: '@Example.com,corp.example.com',
    });
    expect(c.identity).toMatchObject({
      reservedUsernames: ['break-glass', 'admin'],
      allowCsrbotPowers: true,
      allowedEmailDomains: ['example.com', 'corp.example.com'],
    });
    expect(c.approval.clusterAdminQuorum).toBe(3);
    expect(loadConfig(valid).identity).toMatchObject({ reservedUsernames: [], allowCsrbotPowers: false, allowedEmailDomains: [] });
  });

  it('USERNAME_RULE=email-local-part needs ALLOWED_EMAIL_DOMAINS: the dropped domain would merge two people', () => {
    expect(problemsOf({ ...valid, USERNAME_RULE: 'email-local-part' })).toMatch(/ALLOWED_EMAIL_DOMAINS: .*jane@example.com and jane@partner.org/);
    expect(loadConfig({ ...valid, USERNAME_RULE: 'email-local-part', ALLOWED_EMAIL_DOMAINS: 'example.com' }).identity.rule).toBe('email-local-part');
    expect(problemsOf({ ...valid, ALLOWED_EMAIL_DOMAINS: 'not a domain' })).toContain('ALLOWED_EMAIL_DOMAINS must be');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...valid, SLACK_APP_TOKEN: '', PORT: '' }).slack.appToken).toBeUndefined();
  });

  describe('Redis', () => {
    it('Sentinel: sentinels, master name and credentials, default port 26379, prefix unchanged', () => {
      const c = loadConfig({
        ...valid,
        REDIS_SENTINELS: 'sentinel-0:26380, sentinel-1,[::1]:26381',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_PASSWORD: 'data-secret',
        REDIS_TLS: 'true',
      });
      expect(c.redis).toEqual({
        topology: {
          kind: 'sentinel',
          sentinels: [
            { host: 'sentinel-0', port: 26380 },
            { host: 'sentinel-1', port: 26379 },
            { host: '::1', port: 26381 },
          ],
          masterName: 'mymaster',
          sentinelPassword: 'sentinel-secret',
        },
        prefix: 'csrbot',
        password: 'data-secret',
        tls: true,
        commandTimeoutMs: 60_000,
      });
    });

    it('Cluster: seed nodes, and a {hash tag} prefix by default so every key shares one slot', () => {
      const c = loadConfig({ ...valid, REDIS_CLUSTER_NODES: 'redis-0:7000,redis-1:7001' });
      expect(c.redis.topology).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'redis-0', port: 7000 },
          { host: 'redis-1', port: 7001 },
        ],
      });
      expect(c.redis.prefix).toBe('{csrbot}');
      expect(loadConfig({ ...valid, REDIS_CLUSTER_NODES: 'r:7000', REDIS_PREFIX: 'team-a-{csrbot}' }).redis.prefix).toBe('team-a-{csrbot}');
    });

    it('accepts a hash-tagged prefix on one server too (ready for a later move to Cluster)', () => {
      expect(loadConfig({ ...valid, REDIS_PREFIX: '{csrbot}' }).redis.prefix).toBe('{csrbot}');
    });

    it('refuses a Cluster prefix without a hash tag, and says which one to use', () => {
      const text = problemsOf({ ...valid, REDIS_CLUSTER_NODES: 'r:7000', REDIS_PREFIX: 'csrbot' });
      expect(text).toContain('REDIS_PREFIX needs a {hash tag}: use {csrbot}');
    });

    it('refuses malformed prefixes and host lists, saying the expected shape', () => {
      for (const prefix of ['a:b', '{}', '{a}{b}', 'a{b', 'csr bot'])
        expect(problemsOf({ ...valid, REDIS_PREFIX: prefix })).toContain('at most one {hash tag}');
      const text = problemsOf({ ...valid, REDIS_CLUSTER_NODES: 'redis-0:7000,redis-1:99999,http://x' });
      expect(text).toContain('REDIS_CLUSTER_NODES entry "redis-1:99999" is not host:port');
      expect(text).toContain('REDIS_CLUSTER_NODES entry "http://x" is not host:port');
      expect(problemsOf({ ...valid, REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'm' })).toContain('REDIS_SENTINELS names no host');
    });

    it('refuses settings that contradict each other, each with the fix', () => {
      expect(problemsOf({ ...valid, REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r:7000' })).toContain('Set one of REDIS_URL');
      expect(problemsOf({ ...valid, REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'r:7000', REDIS_SENTINEL_NAME: 'm' })).toContain('not several');
      expect(problemsOf({ ...valid, REDIS_SENTINELS: 's:26379' })).toContain('REDIS_SENTINELS needs REDIS_SENTINEL_NAME');
      expect(problemsOf({ ...valid, REDIS_SENTINEL_NAME: 'mymaster' })).toContain('REDIS_SENTINEL_NAME only applies with REDIS_SENTINELS');
      expect(problemsOf({ ...valid, REDIS_TLS: 'true' })).toContain('use rediss://host:6380');
      expect(problemsOf({ ...valid, REDIS_URL: 'redis://:pw@r:6379', REDIS_PASSWORD: 'pw2' })).toContain('keep them in one place');
    });

    it('takes REDIS_PASSWORD for one server when the URL has none (a Secret need not hold the URL)', () => {
      expect(loadConfig({ ...valid, REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw' }).redis.password).toBe('pw');
    });
  });
});
