import type { Clock, EventInbox, InboxEntry } from '../ports.js';
import { receiveCsr, type DmMessage, type IntakeFlow } from './dm-intake.js';
import type { SweepPass } from './sweep.js';

/** The intake flow with the inbox its DM events are recorded in before the ack. */
export interface InboxFlow extends IntakeFlow {
  inbox: EventInbox;
}

/** After a day the draft would be gone and the answer stale: the entry is dropped. */
const GIVE_UP_MS = 24 * 3600_000;

/**
 * A DM event, recorded before Slack is told it arrived: from then on a crash
 * cannot lose it (the inbox pass answers it). True when recorded now; false
 * for a redelivery of a message recorded before.
 */
export function recordDm(d: { inbox: EventInbox; clock: Clock }, e: Omit<InboxEntry, 'receivedAtMs'>): Promise<boolean> {
  return d.inbox.record({ ...e, receivedAtMs: d.clock.now().getTime() });
}

/**
 * Answers a DM (summary, problems or how-to) and closes its inbox entry. A
 * failure leaves the entry open, for the inbox pass to answer later; so does
 * a redelivery that found the first answer's draft (that answer may be stuck
 * or dead: the entry is its only way forward).
 */
export async function answerDm(flow: InboxFlow, m: DmMessage, o: { replay?: boolean } = {}): Promise<void> {
  if (await receiveCsr(flow, m, o)) await flow.inbox.done(m.channel, m.ts);
}

/**
 * Answers DM events that were acked but never answered (a crash, Slack or
 * Redis failing mid-way), once they are older than `graceMs` so an answer
 * still under way is left alone. The message is read again from Slack: the
 * inbox holds ids only. A deleted message or one older than a day is dropped.
 */
export function inboxPass(flow: InboxFlow, graceMs: number, pageSize = 100): SweepPass {
  return {
    name: 'inbox',
    async run(now) {
      let answered = 0;
      let dropped = 0;
      let failed = 0;
      const entries = await flow.inbox.openBefore(now.getTime() - graceMs, pageSize);
      for (const e of entries) {
        try {
          const message = now.getTime() - e.receivedAtMs > GIVE_UP_MS ? undefined : await flow.deps.chat.readDmMessage(e.channel, e.ts);
          if (!message) {
            await flow.inbox.done(e.channel, e.ts);
            flow.deps.log.warn({ user: e.userId, channel: e.channel, ts: e.ts }, 'unanswered DM dropped: deleted or older than a day');
            dropped += 1;
            continue;
          }
          const file = e.fileIds[0];
          await answerDm(flow, { userId: e.userId, channel: e.channel, ts: e.ts, text: message.text, file: file ? { id: file } : undefined }, { replay: true });
          answered += 1;
        } catch (err) {
          failed += 1;
          flow.deps.log.warn({ err, user: e.userId, channel: e.channel, ts: e.ts }, 'answering a DM from the inbox failed; the next sweep tries again');
        }
      }
      return { open: entries.length, answered, dropped, failed };
    },
  };
}
