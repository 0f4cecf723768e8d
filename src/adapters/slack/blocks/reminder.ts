import { SNOOZE_STEP } from '../../../domain/reminders.js';
import type { ReminderNotice } from '../../../ports.js';
import { Actions } from '../ids.js';
import { clip, esc } from './format.js';
import type { KnownBlock } from './types.js';

/** A time as the holder reads it: in their time zone, named. Unknown or invalid zones fall back to UTC. */
export function timeIn(iso: string, timeZone: string | undefined): string {
  const opts: Intl.DateTimeFormatOptions = {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: timeZone ?? 'UTC' }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: 'UTC' }).format(new Date(iso));
  }
}

/** The expiry reminder DM: what expires, when (in the holder's zone), and three buttons carrying the serial. */
export function reminderMessage(n: ReminderNotice): { text: string; blocks: KnownBlock[] } {
  const c = n.certificate;
  const when = timeIn(c.notAfter, n.timeZone);
  const headline = n.expired
    ? `Your certificate for *${esc(c.username)}* on *${esc(n.clusterName)}* expired ${when}.`
    : `Your certificate for *${esc(c.username)}* on *${esc(n.clusterName)}* expires ${when}.`;
  const again = n.step === SNOOZE_STEP ? ' (snoozed reminder)' : '';
  const text = `${n.expired ? 'Expired' : 'Expiring'}: certificate ${c.serial} for ${c.username} on ${n.clusterName}, ${when}${again}`;
  const button = (label: string, action: string, style?: 'primary') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text: label },
    action_id: action,
    value: c.serial,
    ...(style ? { style } : {}),
  });
  return {
    text: clip(text, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`${headline}${again}`, 3000) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: clip(`*Subject*\n${esc(c.subject)}`, 2000) },
          { type: 'mrkdwn', text: clip(`*Cluster*\n${esc(n.clusterName)}`, 2000) },
          { type: 'mrkdwn', text: clip(`*Serial*\n\`${c.serial}\``, 2000) },
          { type: 'mrkdwn', text: clip(`*Expires*\n${when}`, 2000) },
        ],
      },
      {
        type: 'actions',
        block_id: `reminder_${c.serial}`.slice(0, 255),
        elements: [
          button('Renew', Actions.renew, 'primary'),
          ...(n.expired ? [] : [button('Snooze 1 day', Actions.snooze)]),
          button('I no longer need it', Actions.dismiss),
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Renew sends the same CSR again: same key, so you only replace the certificate file.' }] },
    ],
  };
}
