import type { Workspace } from './workspace.js';

export interface WaitOptions {
  timeoutMs?: number;
}

/**
 * Resolves when `probe` returns something truthy; re-probes on every workspace
 * change. On timeout rejects with `description` and the transcript; rejects
 * at once when the emulator stops.
 */
export function waitFor<T>(
  ws: Workspace,
  probe: () => T | undefined | null | false,
  description: string,
  timeoutMs: number,
  transcript: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = (): boolean => {
      const v = probe();
      if (v) {
        done();
        resolve(v);
        return true;
      }
      return false;
    };
    const onStop = (): void => {
      done();
      reject(new Error(`Slack emulator stopped while waiting for ${description}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}\n\n${transcript()}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      ws.off('change', check);
      ws.off('stop', onStop);
    };
    ws.on('change', check);
    ws.on('stop', onStop);
    check();
  });
}
