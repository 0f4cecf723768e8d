import type { Deps } from './deps.js';

/**
 * Runs a side effect once per request and name. The flag is taken first, so
 * two callers cannot both send; it is given back if the effect fails, so a
 * retry sends it (only a crash in the few ms between the two loses it).
 */
export async function onceOnly(deps: Deps, id: string, what: string, effect: () => Promise<void>): Promise<void> {
  if (!(await deps.store.once(id, what))) return;
  try {
    await effect();
  } catch (e) {
    await deps.store.forget(id, what);
    throw e;
  }
}
