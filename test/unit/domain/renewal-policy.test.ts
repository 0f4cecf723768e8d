import { describe, expect, it } from '@jest/globals';
import { judgeRenewal, type RenewalCase } from '../../../src/domain/renewal-policy.js';
import { aCertificateRecord } from '../../support/contracts/certificate-inventory.contract.js';

const on = { autoApprove: true, maxAuto: 2, graceMs: 3_600_000 };
const previous = aCertificateRecord({
  username: 'jane',
  groups: ['developers', 'ops'],
  keyFingerprint: 'k1',
  notAfter: '2026-01-02T00:00:00.000Z',
  autoRenewals: 0,
});
const base: RenewalCase = {
  previous,
  username: 'jane',
  groups: ['ops', 'developers'],
  keyFingerprint: 'k1',
  privileged: false,
  nowMs: Date.parse('2026-01-01T20:00:00.000Z'),
};

describe('judgeRenewal', () => {
  it('approves the same certificate again for the same person, naming the rule', () => {
    const v = judgeRenewal(on, base);
    expect(v).toEqual({ auto: true, rule: expect.stringContaining('RENEWAL_AUTO_APPROVE') });
    expect(v.auto && v.rule).toContain('renewal 1 of at most 2');
  });

  it.each<[string, Partial<RenewalCase> | 'off', RegExp]>([
    ['the policy is off', 'off', /RENEWAL_AUTO_APPROVE=false/],
    ['the key changed', { keyFingerprint: 'k2' }, /key changed/],
    ['the requester maps to another username', { username: 'jane2' }, /now maps to jane2/],
    ['the groups changed', { groups: ['developers'] }, /groups changed/],
    ['too many automatic renewals in a row', { previous: { ...previous, autoRenewals: 2 } }, /RENEWAL_MAX_AUTO=2/],
    ['expired longer than the grace period', { nowMs: Date.parse('2026-01-02T01:00:01.000Z') }, /RENEWAL_GRACE/],
    ['privilege unknown (no permission review)', { privileged: undefined }, /counts as privileged/],
    ['privileged', { privileged: true }, /privileged/],
  ])('refuses when %s', (_name, change, why) => {
    const v = change === 'off' ? judgeRenewal({ ...on, autoApprove: false }, base) : judgeRenewal(on, { ...base, ...change });
    expect(v.auto).toBe(false);
    expect(!v.auto && v.why).toMatch(why);
  });

  it('still approves within the grace period after expiry', () => {
    expect(judgeRenewal(on, { ...base, nowMs: Date.parse('2026-01-02T00:59:00.000Z') }).auto).toBe(true);
  });
});
