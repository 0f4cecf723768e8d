/**
 * The value of `work` if it settles within `ms`, else undefined while it goes
 * on. Used after an ack where a trigger_id (3 s of life) must be spent before
 * a slow Slack answers; whoever gets undefined awaits `work` later, and its
 * rejection is not left unhandled meanwhile.
 */
export async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a listener waits on Slack lookups before it spends a trigger_id
 * anyway: Slack refuses a trigger_id 3 s after the click, and views.open may
 * itself take 2 s on a slow Slack. A healthy Slack answers well within it, so
 * the modal opens already filled in (or a refusal comes instead of a modal).
 */
export const TRIGGER_BUDGET_MS = 300;
