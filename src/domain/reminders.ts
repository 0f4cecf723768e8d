/**
 * When to remind a holder that a certificate expires, from its real validity.
 * Long-lived certificates get fixed warnings before expiry (7 d, 1 d, at
 * expiry); short-lived ones (the common case: 24 h) get one at 2/3 of their
 * lifetime, where cert-manager renews, and one at expiry. Every offset may be
 * seconds, so tests need not wait real minutes.
 */

export interface ReminderLadder {
  /** Lifetimes shorter than this get `lifetimeFractions`. Default 3 days. */
  shortLifetimeMs: number;
  /** Long-lived: how long before notAfter, in ms (0 = at expiry). Default 7 d, 1 d, 0. */
  beforeExpiryMs: number[];
  /** Short-lived: points of the lifetime, 0 < f <= 1 (1 = at expiry). Default 2/3, 1. */
  lifetimeFractions: number[];
}

const DAY = 86_400_000;

export const DEFAULT_LADDER: ReminderLadder = {
  shortLifetimeMs: 3 * DAY,
  beforeExpiryMs: [7 * DAY, DAY, 0],
  lifetimeFractions: [2 / 3, 1],
};

export interface ReminderStep {
  /** Stable name of the rung: `7d-before`, `at-67pct`, `expiry`; `snooze` for a snoozed one. */
  step: string;
  dueMs: number;
}

export const SNOOZE_STEP = 'snooze';
/** How long "Snooze 1 day" snoozes. */
export const SNOOZE_MS = DAY;

/** 604800000 -> "7d", 90000 -> "90s": the largest unit that divides it. */
export function compactDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  for (const [unit, n] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (s > 0 && s % n === 0) return `${s / n}${unit}`;
  }
  return `${s}s`;
}

/**
 * The reminders a certificate gets, soonest first. None before notBefore;
 * rungs that fall at the same moment count once.
 */
export function reminderSteps(validity: { notBefore: string; notAfter: string }, ladder: ReminderLadder = DEFAULT_LADDER): ReminderStep[] {
  const from = Date.parse(validity.notBefore);
  const to = Date.parse(validity.notAfter);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) return [];
  const lifetime = to - from;
  const raw: ReminderStep[] =
    lifetime < ladder.shortLifetimeMs
      ? ladder.lifetimeFractions.map((f) => ({ step: f >= 1 ? 'expiry' : `at-${Math.round(f * 100)}pct`, dueMs: from + Math.round(lifetime * Math.min(f, 1)) }))
      : ladder.beforeExpiryMs.map((b) => ({ step: b <= 0 ? 'expiry' : `${compactDuration(b)}-before`, dueMs: to - Math.max(b, 0) }));
  const byDue = new Map<number, ReminderStep>();
  for (const s of raw) if (s.dueMs > from && !byDue.has(s.dueMs)) byDue.set(s.dueMs, s);
  return [...byDue.values()].sort((a, b) => a.dueMs - b.dueMs);
}

/**
 * What the sweep (re)schedules: the rungs after the last reminder sent. Of
 * rungs already past (reminders lost with Redis data), only the latest: one
 * late reminder, not a burst.
 */
export function stepsToSchedule(steps: readonly ReminderStep[], remindedThrough: number | undefined, nowMs: number): ReminderStep[] {
  const open = steps.filter((s) => remindedThrough === undefined || s.dueMs > remindedThrough);
  const past = open.filter((s) => s.dueMs <= nowMs);
  const future = open.filter((s) => s.dueMs > nowMs);
  return [...past.slice(-1), ...future];
}
