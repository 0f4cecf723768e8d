import { COMMAND } from '../ids.js';
import { clip, esc } from './format.js';
import type { KnownBlock } from './types.js';

/** Usage of /cert, shown for `/cert`, `/cert help` and unknown subcommands. */
export function helpBlocks(opts: { unknown?: string } = {}): { text: string; blocks: KnownBlock[] } {
  const lines = [
    `*${COMMAND} request*: request a Kubernetes client certificate (paste a CSR, or get the openssl commands to make one)`,
    `*${COMMAND} list*: your certificates (status, expiry, Renew) and your pending requests`,
    `*${COMMAND} status <request id | serial>*: one request or certificate`,
    `*${COMMAND} help*: this message`,
    `Admins also: *${COMMAND} pending* (requests waiting for a decision, with links to their cards) and *${COMMAND} holders* (who holds a valid certificate, until when).`,
    "The bot's *Home* tab shows the same, kept up to date.",
    '',
    'You can also send me a CSR file (or paste the PEM) in this DM. Your private key never leaves your machine: only send the `.csr`.',
  ];
  // The subcommand is whatever the user typed: escape it, and keep the section under Slack's 3000 characters.
  const intro = opts.unknown ? `I don't know \`${COMMAND} ${clip(esc(opts.unknown), 200)}\`. ` : '';
  const text = `${intro}csrbot issues Kubernetes client certificates approved by your cluster admins.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    ],
  };
}
