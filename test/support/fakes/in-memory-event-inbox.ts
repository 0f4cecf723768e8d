import type { EventInbox, InboxEntry } from '../../../src/ports.js';

/** The inbox in memory, with the Redis store's rules: one entry per message, remembered once done. */
export class InMemoryEventInbox implements EventInbox {
  readonly entries = new Map<string, InboxEntry | 'done'>();

  static create(): InMemoryEventInbox {
    return new InMemoryEventInbox();
  }

  async record(entry: InboxEntry): Promise<boolean> {
    const key = `${entry.channel}-${entry.ts}`;
    if (this.entries.has(key)) return false;
    this.entries.set(key, structuredClone(entry));
    return true;
  }

  async done(channel: string, ts: string): Promise<void> {
    this.entries.set(`${channel}-${ts}`, 'done');
  }

  async openBefore(beforeMs: number, limit: number): Promise<InboxEntry[]> {
    return [...this.entries.values()]
      .filter((e): e is InboxEntry => e !== 'done' && e.receivedAtMs < beforeMs)
      .sort((a, b) => a.receivedAtMs - b.receivedAtMs)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }
}
