/** Name of our backoff strategy in job options; the worker's settings.backoffStrategy computes it. */
export const CAPPED_EXPONENTIAL = 'csrbot-capped-exponential';

export interface BackoffOptions {
  /** Delay before the first retry. Default 1000 ms. */
  baseMs?: number;
  /** Longest delay between two attempts. Default 30000 ms. */
  capMs?: number;
}

/**
 * base, 2*base, 4*base ... capped at capMs. BullMQ's built-in exponential has
 * no cap, and with 50 attempts it would wait days: we want a Kubernetes or
 * Slack outage to be retried every half-minute instead. Each delay is
 * jittered between half and all of that, so the jobs an outage held back do
 * not all retry at the same moment when it ends.
 */
export function cappedExponentialDelay(attemptsMade: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 30_000;
  const exponent = Math.max(0, attemptsMade - 1);
  // 2**31 already exceeds any sane cap; avoid Infinity for large attempt counts.
  const full = Math.min(cap, base * 2 ** Math.min(exponent, 31));
  return Math.round(full / 2 + (full / 2) * Math.min(1, Math.max(0, random())));
}
