import { describe, expect, it } from '@jest/globals';
import { DEFAULT_LADDER, compactDuration, reminderSteps, stepsToSchedule } from '../../../src/domain/reminders.js';

const at = (iso: string) => Date.parse(iso);

describe('reminderSteps', () => {
  it('a 24 h certificate: at 2/3 of its lifetime and at expiry', () => {
    const steps = reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-02T00:00:00Z' });
    expect(steps).toEqual([
      { step: 'at-67pct', dueMs: at('2026-01-01T16:00:00Z') },
      { step: 'expiry', dueMs: at('2026-01-02T00:00:00Z') },
    ]);
  });

  it('a 7-day certificate: 7 d before falls on notBefore and is dropped; 1 d before and at expiry remain', () => {
    const steps = reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-08T00:00:00Z' });
    expect(steps.map((s) => s.step)).toEqual(['1d-before', 'expiry']);
  });

  it('a 30-day certificate: 7 d, 1 d, expiry', () => {
    const steps = reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-31T00:00:00Z' });
    expect(steps).toEqual([
      { step: '7d-before', dueMs: at('2026-01-24T00:00:00Z') },
      { step: '1d-before', dueMs: at('2026-01-30T00:00:00Z') },
      { step: 'expiry', dueMs: at('2026-01-31T00:00:00Z') },
    ]);
  });

  it('the 3-day boundary: exactly 3 days is long-lived', () => {
    expect(reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-04T00:00:00Z' }).map((s) => s.step)).toEqual(['1d-before', 'expiry']);
  });

  it('a ladder in seconds, for tests on a real control plane', () => {
    const ladder = { shortLifetimeMs: 60_000, beforeExpiryMs: [30_000, 0], lifetimeFractions: [0.5, 1] };
    expect(reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-01T00:10:00Z' }, ladder)).toEqual([
      { step: '30s-before', dueMs: at('2026-01-01T00:09:30Z') },
      { step: 'expiry', dueMs: at('2026-01-01T00:10:00Z') },
    ]);
  });

  it('nothing for unreadable or empty validity', () => {
    expect(reminderSteps({ notBefore: 'x', notAfter: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(reminderSteps({ notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(DEFAULT_LADDER.lifetimeFractions).toHaveLength(2);
  });
});

describe('stepsToSchedule', () => {
  const steps = [
    { step: 'a', dueMs: 100 },
    { step: 'b', dueMs: 200 },
    { step: 'c', dueMs: 300 },
  ];
  it('only rungs after the last reminder sent', () => {
    expect(stepsToSchedule(steps, 100, 50).map((s) => s.step)).toEqual(['b', 'c']);
  });
  it('of rungs already past, only the latest (one late reminder, not a burst)', () => {
    expect(stepsToSchedule(steps, undefined, 250).map((s) => s.step)).toEqual(['b', 'c']);
    expect(stepsToSchedule(steps, 300, 400)).toEqual([]);
  });
});

describe('compactDuration', () => {
  it('picks the largest unit that divides', () => {
    expect([604_800_000, 3_600_000, 90_000, 120_000, 0].map(compactDuration)).toEqual(['7d', '1h', '90s', '2m', '0s']);
  });
});
