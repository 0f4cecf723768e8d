import { describe, expect, it } from '@jest/globals';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { defaultPolicyConfig, evaluatePolicy, parsePolicyConfig, type PolicyConfig } from '../../../../src/domain/policy/index.js';
import { fixtureText } from '../csr/fixtures.js';

const csr = (f: string) => parseCsr(fixtureText(f));
const config = (over: Partial<PolicyConfig> = {}): PolicyConfig => ({ ...defaultPolicyConfig, allowedGroups: ['developers'], ...over });
const codes = (fs: Array<{ code: string }>) => fs.map((f) => f.code);

describe('evaluatePolicy', () => {
  it('accepts a clean request for the right user and group', () => {
    const v = evaluatePolicy(csr('p256.csr'), { username: 'jane' }, config());
    expect(v).toMatchObject({ verdict: 'accept', errors: [], warnings: [], username: 'jane', groups: ['developers'] });
    expect(v.expirationSeconds).toBe(86_400);
    expect(v.signerName).toBe('kubernetes.io/kube-apiserver-client');
  });

  it('pins the CN to the requester and gives the exact openssl req command', () => {
    const v = evaluatePolicy(csr('p256.csr'), { username: 'bob@example.com' }, config());
    expect(v.verdict).toBe('refuse');
    expect(codes(v.errors)).toEqual(['CSR_CN_MISMATCH']);
    expect(v.errors[0]!.details).toMatchObject({ cn: 'jane', expected: 'bob@example.com' });
    expect(v.errors[0]!.message).toContain('openssl req -new -key bob@example.com.key -subj "/CN=bob@example.com/O=developers" -out bob@example.com.csr');
  });

  it('skips pinning without a username', () => {
    expect(evaluatePolicy(csr('p256.csr'), {}, config()).verdict).toBe('accept');
  });

  it('pins Korean names exactly and suggests -utf8', () => {
    const cfg = config({ allowedGroups: ['개발팀'] });
    expect(evaluatePolicy(csr('korean-utf8.csr'), { username: '김민준' }, cfg).verdict).toBe('accept');
    const v = evaluatePolicy(csr('korean-utf8.csr'), { username: '김민수' }, cfg);
    expect(v.errors[0]!.message).toContain('openssl req -new -key 김민수.key -utf8 -subj "/CN=김민수/O=개발팀" -out 김민수.csr');
  });

  it('always refuses system:masters, other system: groups and system: CNs, even with allowedGroups any', () => {
    const any = config({ allowedGroups: 'any' });
    expect(codes(evaluatePolicy(csr('system-masters.csr'), {}, any).errors)).toEqual(['CSR_SYSTEM_MASTERS']);
    expect(codes(evaluatePolicy(csr('system-group.csr'), {}, any).errors)).toEqual(['CSR_SYSTEM_GROUP']);
    const cn = evaluatePolicy(csr('system-cn.csr'), { username: 'jane' }, any);
    expect(codes(cn.errors)).toEqual(['CSR_SYSTEM_CN']);
    expect(cn.errors[0]!.message).toContain('-subj "/CN=jane"');
  });

  it('the system:masters fix command drops the group', () => {
    const v = evaluatePolicy(csr('system-masters.csr'), { username: 'jane' }, config());
    expect(v.errors[0]!.message).toContain('-subj "/CN=jane" -out jane.csr');
    expect(v.errors[0]!.message).toMatch(/cluster-admin/);
  });

  it('refuses several CNs: Kubernetes would silently take the last', () => {
    const c = csr('two-cns.csr');
    expect(c.subject.commonNames).toEqual(['jane', 'system:admin']);
    expect(c.subject.commonName).toBe('system:admin');
    expect(codes(evaluatePolicy(c, { username: 'jane' }, config()).errors)).toEqual(['CSR_AMBIGUOUS_CN', 'CSR_SYSTEM_CN']);
  });

  it('refuses a request without CN', () => {
    expect(codes(evaluatePolicy(csr('no-cn.csr'), { username: 'jane' }, config()).errors)).toEqual(['CSR_NO_CN']);
  });

  it("allows only the global allowlist plus the requester's usergroup mappings", () => {
    const cfg = config({ allowedGroups: ['developers'], usergroupGroups: { S0ONCALL: ['oncall'], S0VIEW: ['viewers'] } });
    const bare = evaluatePolicy(csr('multi-o.csr'), { username: 'jane' }, cfg);
    expect(codes(bare.errors)).toEqual(['CSR_GROUP_NOT_ALLOWED']);
    expect(bare.errors[0]!.details.groups).toEqual(['oncall', 'viewers']);
    expect(bare.errors[0]!.details.allowed).toEqual(['developers']);
    expect(bare.errors[0]!.message).toContain('-subj "/CN=jane/O=developers"');
    const some = evaluatePolicy(csr('multi-o.csr'), { username: 'jane', slackUsergroups: ['S0ONCALL'] }, cfg);
    expect(some.errors[0]!.details.groups).toEqual(['viewers']);
    expect(evaluatePolicy(csr('multi-o.csr'), { username: 'jane', slackUsergroups: ['S0ONCALL', 'S0VIEW'] }, cfg).verdict).toBe('accept');
  });

  it('refuses every group with the default (empty) allowlist', () => {
    expect(codes(evaluatePolicy(csr('p256.csr'), { username: 'jane' }, defaultPolicyConfig).errors)).toEqual(['CSR_GROUP_NOT_ALLOWED']);
  });

  it('reports all findings together', () => {
    const v = evaluatePolicy(csr('sans.csr'), { username: 'bob', expirationSeconds: 60, signerName: 'example.com/other' }, config({ sans: 'refuse' }));
    expect(codes(v.errors).sort()).toEqual(['CSR_CN_MISMATCH', 'CSR_LIFETIME_TOO_SHORT', 'CSR_SANS_PRESENT', 'CSR_SIGNER_NOT_ALLOWED']);
    expect(v.warnings).toEqual([]);
  });

  it('refuses SANs by default and only warns when configured to', () => {
    expect(evaluatePolicy(csr('sans.csr'), { username: 'jane' }, config()).verdict).toBe('refuse');
    const warn = evaluatePolicy(csr('sans.csr'), { username: 'jane' }, config({ sans: 'warn' }));
    expect(warn.verdict).toBe('accept');
    expect(codes(warn.warnings)).toEqual(['CSR_SANS_PRESENT']);
    expect(warn.warnings[0]!.details.sans).toEqual([
      'DNS:jane.example.com',
      'DNS:*.dev.example.com',
      'IP:10.0.0.1',
      'IP:2001:db8::1',
      'email:jane@example.com',
      'URI:spiffe://cluster.local/ns/dev/sa/jane',
    ]);
    expect(warn.warnings[0]!.severity).toBe('warning');
    expect(evaluatePolicy(csr('sans.csr'), { username: 'jane' }, config({ sans: 'refuse' })).verdict).toBe('refuse');
  });

  it('bounds the lifetime between 600 s and the configured maximum', () => {
    const cfg = config({ lifetime: { defaultSeconds: 3600, maxSeconds: 7200 } });
    const at = (s?: number) => evaluatePolicy(csr('p256.csr'), { username: 'jane', expirationSeconds: s }, cfg);
    expect(at().expirationSeconds).toBe(3600);
    expect(at(600).verdict).toBe('accept');
    expect(at(7200).verdict).toBe('accept');
    expect(codes(at(599).errors)).toEqual(['CSR_LIFETIME_TOO_SHORT']);
    expect(codes(at(7201).errors)).toEqual(['CSR_LIFETIME_TOO_LONG']);
    expect(codes(at(1.5).errors)).toEqual(['CSR_LIFETIME_INVALID']);
    expect(codes(at(Number.NaN).errors)).toEqual(['CSR_LIFETIME_INVALID']);
  });

  it('allows the default signer only, unless configured', () => {
    const v = (signerName: string, cfg = config()) => evaluatePolicy(csr('p256.csr'), { username: 'jane', signerName }, cfg).verdict;
    expect(v('kubernetes.io/kube-apiserver-client')).toBe('accept');
    expect(v('kubernetes.io/kubelet-serving')).toBe('refuse');
    expect(v('example.com/dev-ca', config({ allowedSigners: ['example.com/dev-ca'] }))).toBe('accept');
    expect(evaluatePolicy(csr('p256.csr'), {}, config({ allowedSigners: ['example.com/dev-ca'] })).signerName).toBe('example.com/dev-ca');
  });

  it('lets a policy demand larger RSA keys', () => {
    const v = evaluatePolicy(csr('rsa2048.csr'), { username: 'jane' }, config({ minRsaBits: 3072 }));
    expect(codes(v.errors)).toEqual(['CSR_WEAK_KEY']);
    expect(v.errors[0]!.message).toContain('openssl genpkey');
  });

  it('refuses non-ASCII names in T61String, which Kubernetes would read differently', () => {
    const v = evaluatePolicy(csr('t61-string.csr'), {}, config({ allowedGroups: 'any' }));
    expect(codes(v.errors)).toEqual(['CSR_LEGACY_STRING']);
    expect(v.errors[0]!.message).toContain('-utf8');
  });
});

describe('parsePolicyConfig', () => {
  it('fills in defaults', () => {
    expect(parsePolicyConfig({})).toEqual(defaultPolicyConfig);
    expect(parsePolicyConfig({ allowedGroups: ['dev'], lifetime: { maxSeconds: 3600, defaultSeconds: 1800 } })).toMatchObject({
      allowedGroups: ['dev'],
      lifetime: { maxSeconds: 3600, defaultSeconds: 1800 },
      sans: 'refuse',
    });
  });

  it('lists every problem', () => {
    try {
      parsePolicyConfig({ allowedGroups: ['system:masters'], lifetime: { maxSeconds: 60 }, sans: 'maybe', typo: 1 }, 'policy.json');
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toMatchObject({ code: 'POLICY_CONFIG_INVALID' });
      const text = (e as Error).message;
      expect(text).toContain('allowedGroups.0');
      expect(text).toContain('lifetime.maxSeconds');
      expect(text).toContain('sans');
      expect(text).toContain('typo');
    }
  });

  it('refuses a default above the maximum', () => {
    expect(() => parsePolicyConfig({ lifetime: { defaultSeconds: 7200, maxSeconds: 3600 } })).toThrow(/defaultSeconds/);
  });
});
