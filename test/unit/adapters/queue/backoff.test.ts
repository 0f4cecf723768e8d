import { describe, expect, it } from '@jest/globals';
import { cappedExponentialDelay } from '../../../../src/adapters/queue/backoff.js';

describe('cappedExponentialDelay', () => {
  it('doubles from 1 s and stops at 30 s by default', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => cappedExponentialDelay(n, {}, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('jitters each delay between half and all of it, so retries after an outage do not arrive together', () => {
    expect(cappedExponentialDelay(3, {}, () => 0)).toBe(2000);
    expect(cappedExponentialDelay(3, {}, () => 0.5)).toBe(3000);
    expect(cappedExponentialDelay(50, {}, () => 0.999)).toBeLessThanOrEqual(30000);
    expect(cappedExponentialDelay(50, {}, () => 0)).toBe(15000);
  });
  it('takes its base and cap from options and never overflows', () => {
    expect(cappedExponentialDelay(1, { baseMs: 10, capMs: 25 }, () => 1)).toBe(10);
    expect(cappedExponentialDelay(3, { baseMs: 10, capMs: 25 }, () => 1)).toBe(25);
    expect(cappedExponentialDelay(10_000, { baseMs: 10, capMs: 25 }, () => 1)).toBe(25);
  });
});
