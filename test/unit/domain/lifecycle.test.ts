import { describe, expect, it } from '@jest/globals';
import { canTransition, csrNameFor, openBucket, OPEN_STATES, transitions, type RequestState } from '../../../src/domain/lifecycle.js';

const STATES: RequestState[] = ['pending', 'approving', 'denying', 'approved', 'issued', 'denied', 'failed', 'deleted', 'expired'];

/** The moves a request can make, and nothing else. */
const LEGAL = new Set([
  'pending->approving', // the quorum reached in Slack
  'pending->denying', // denied in Slack
  'pending->approved', // approved outside Slack (kubectl)
  'pending->denied', // denied outside Slack
  'pending->failed',
  'pending->deleted',
  // Only an undecided request expires: once decided, the CSR is the cluster's to finish.
  'pending->expired',
  'approving->approved', // our approval is in the cluster
  'approving->denied', // kubectl denied before our approval landed: the cluster's word stands
  'approving->deleted',
  'approving->failed', // the CSR under the name is not the one on the card: nothing approved
  'denying->denied', // our denial is in the cluster
  'denying->approved', // kubectl approved before our denial landed: the cluster's word stands
  'denying->deleted',
  'approved->issued',
  'approved->failed',
  'approved->deleted',
]);

describe('lifecycle transitions', () => {
  const pairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));
  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(LEGAL.has(`${from}->${to}`));
  });

  it('covers every state, and final states go nowhere', () => {
    expect(Object.keys(transitions).sort()).toEqual([...STATES].sort());
    expect(STATES.filter((s) => transitions[s].length === 0).sort()).toEqual(['deleted', 'denied', 'expired', 'failed', 'issued']);
  });

  it('every state that is not final is counted in one open bucket (the ones metrics and alerts watch); final states in none', () => {
    for (const s of STATES) {
      const final = transitions[s].length === 0;
      expect(openBucket(s) === undefined).toBe(final);
      if (!final) expect(OPEN_STATES).toContain(openBucket(s));
    }
    expect(openBucket('approving')).toBe('approved');
    expect(openBucket('denying')).toBe('approved');
  });

  it('nothing goes back to pending, and approved means the cluster approved: never denied after', () => {
    for (const s of STATES) expect(canTransition(s, 'pending')).toBe(false);
    expect(canTransition('approved', 'denied')).toBe(false);
  });
});

describe('csrNameFor', () => {
  // RFC 1123 subdomain, as Kubernetes validates metadata.name of a CSR.
  const RFC1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  const id = '0123456789abcdef';
  const odd = [
    'jane',
    'Jane.Doe@Example.COM',
    'jane+k8s@example.com',
    "o'brien_the-admin",
    '김지민',
    '김지민@회사.kr',
    'x'.repeat(300),
    `${'a'.repeat(39)}.b@example.com`, // the 40-character cut lands right after a dot
    `${'a'.repeat(39)}-b`,
    'a.-b',
    '-.-leading.and.trailing.-',
    'jane..doe',
    'system:serviceaccount:kube-system:default',
    '..',
    '',
    '🙂🙂',
  ];
  it.each(odd)('is a valid, short CSR name for %j', (username) => {
    const name = csrNameFor(id, username);
    expect(name).toMatch(RFC1123);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name.startsWith('csrbot-')).toBe(true);
    expect(name.endsWith(id.slice(0, 12))).toBe(true);
  });

  it('is readable and deterministic', () => {
    expect(csrNameFor(id, 'jane')).toBe('csrbot-jane-0123456789ab');
    expect(csrNameFor(id, 'Jane.Doe@example.com')).toBe(csrNameFor(id, 'Jane.Doe@example.com'));
    expect(csrNameFor(id, 'Jane.Doe@example.com')).toContain('jane');
    expect(csrNameFor('ABCDEF0123456789', 'jane')).toBe('csrbot-jane-abcdef012345');
  });
});
