import { describe, expect, it } from '@jest/globals';
import { canTransition, csrNameFor, isFinal, isOpen, OPEN_STATES, sourcesOf, transitions, type RequestState } from '../../../src/domain/lifecycle.js';

const STATES: RequestState[] = ['pending', 'approved', 'issued', 'denied', 'failed', 'deleted'];

/** The moves a request can make, and nothing else. */
const LEGAL = new Set([
  'pending->approved',
  'pending->denied',
  'pending->failed',
  'pending->deleted',
  'approved->issued',
  'approved->denied', // approved in Slack, denied with kubectl before our approval landed
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
    expect(STATES.filter(isFinal).sort()).toEqual(['deleted', 'denied', 'failed', 'issued']);
    expect(isFinal('pending')).toBe(false);
    expect(isFinal('approved')).toBe(false);
  });

  it('open states (the ones metrics and alerts watch) are exactly the non-final ones', () => {
    expect([...OPEN_STATES].sort()).toEqual(STATES.filter((s) => !isFinal(s)).sort());
    for (const s of STATES) expect(isOpen(s)).toBe(!isFinal(s));
  });

  it('nothing goes back to pending, and sourcesOf agrees with the table', () => {
    expect(sourcesOf('pending')).toEqual([]);
    expect(sourcesOf('issued')).toEqual(['approved']);
    expect(sourcesOf('deleted').sort()).toEqual(['approved', 'pending']);
    for (const to of STATES) for (const from of sourcesOf(to)) expect(canTransition(from, to)).toBe(true);
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
