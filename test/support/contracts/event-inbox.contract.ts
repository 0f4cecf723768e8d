/** What every EventInbox must do: the Redis store and the in-memory fake. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EventInbox, InboxEntry } from '../../../src/ports.js';

export interface InboxHarness {
  inbox: EventInbox;
  close(): Promise<void>;
}

const entry = (ts: string, receivedAtMs: number, over: Partial<InboxEntry> = {}): InboxEntry => ({
  eventId: `Ev${ts}`,
  teamId: 'T1',
  channel: 'DJANE',
  userId: 'UJANE',
  ts,
  fileIds: ['F1'],
  receivedAtMs,
  ...over,
});

export function eventInboxContract(name: string, open: () => Promise<InboxHarness>): void {
  describe(`EventInbox contract: ${name}`, () => {
    let h: InboxHarness;
    let inbox: EventInbox;
    beforeEach(async () => {
      h = await open();
      inbox = h.inbox;
    });
    afterEach(async () => {
      await h.close();
    });

    it('records a message once: a redelivery (same channel and ts, even another event id) is not recorded again', async () => {
      expect(await inbox.record(entry('1.000100', 1000))).toBe(true);
      expect(await inbox.record(entry('1.000100', 2000, { eventId: 'EvRetry' }))).toBe(false);
      expect(await inbox.openBefore(5000, 10)).toEqual([entry('1.000100', 1000)]);
    });

    it('lists open entries received before a moment, oldest first, at most the limit', async () => {
      await inbox.record(entry('3.0', 3000));
      await inbox.record(entry('1.0', 1000, { fileIds: [] }));
      await inbox.record(entry('2.0', 2000));
      expect((await inbox.openBefore(3000, 10)).map((e) => e.ts)).toEqual(['1.0', '2.0']);
      expect(await inbox.openBefore(5000, 1)).toEqual([entry('1.0', 1000, { fileIds: [] })]);
      expect(await inbox.openBefore(1000, 10)).toEqual([]);
    });

    it('a done entry is no longer open, and a redelivery after it is not recorded again', async () => {
      await inbox.record(entry('1.0', 1000));
      await inbox.record(entry('2.0', 2000));
      await inbox.done('DJANE', '1.0');
      expect((await inbox.openBefore(5000, 10)).map((e) => e.ts)).toEqual(['2.0']);
      expect(await inbox.record(entry('1.0', 4000))).toBe(false);
      expect((await inbox.openBefore(5000, 10)).map((e) => e.ts)).toEqual(['2.0']);
    });

    it('keeps messages of different channels apart', async () => {
      await inbox.record(entry('1.0', 1000));
      expect(await inbox.record(entry('1.0', 1000, { channel: 'DBOB', userId: 'UBOB' }))).toBe(true);
      await inbox.done('DBOB', '1.0');
      expect(await inbox.openBefore(5000, 10)).toEqual([entry('1.0', 1000)]);
    });
  });
}
