import { setTimeout as sleepAbortable } from 'node:timers/promises';

/** The emulator's life: one stop signal that ends every sleep, retry and wait. */
export class Lifetime {
  private readonly abort = new AbortController();

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  stop(): void {
    this.abort.abort();
  }

  /** Sleeps unless the emulator stops first; false when it stopped. */
  async sleep(ms: number): Promise<boolean> {
    try {
      await sleepAbortable(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }
}
