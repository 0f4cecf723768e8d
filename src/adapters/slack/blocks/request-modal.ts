import { Inputs, Views } from '../ids.js';
import { clip, esc, humanDuration, lifetimeChoices, lifetimeOption } from './format.js';
import type { View } from './types.js';

export interface RequestModalInput {
  username: string;
  groups: string[];
  opensslText: string;
  defaultLifetimeSeconds: number;
  maxLifetimeSeconds: number;
  /** Carried to the submission (private_metadata), so it needs no Slack lookup before its ack. */
  privateMetadata?: string;
}

/** `/cert request`: paste a CSR, pick a lifetime, say why; or copy the openssl commands to make one. */
export function requestModal(m: RequestModalInput): View {
  return {
    type: 'modal',
    callback_id: Views.request,
    title: { type: 'plain_text', text: 'Request a certificate' },
    submit: { type: 'plain_text', text: 'Submit request' },
    close: { type: 'plain_text', text: 'Cancel' },
    ...(m.privateMetadata !== undefined ? { private_metadata: m.privateMetadata } : {}),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip(
            `You will be *${esc(m.username)}*${m.groups.length ? ` in ${m.groups.map((g) => `\`${esc(g)}\``).join(', ')}` : ''}. ` +
              `No CSR yet? Run this on your machine (the key never leaves it), then paste \`${esc(m.username)}.csr\` below:\n\`\`\`${esc(m.opensslText)}\`\`\``,
            3000,
          ),
        },
      },
      {
        type: 'input',
        block_id: Inputs.csr.block,
        label: { type: 'plain_text', text: 'CSR (PEM)' },
        hint: { type: 'plain_text', text: 'Paste the whole -----BEGIN CERTIFICATE REQUEST----- block. Never paste a private key.' },
        element: {
          type: 'plain_text_input',
          action_id: Inputs.csr.action,
          multiline: true,
          max_length: 3000,
          placeholder: { type: 'plain_text', text: '-----BEGIN CERTIFICATE REQUEST-----' },
        },
      },
      {
        type: 'input',
        block_id: Inputs.lifetime.block,
        label: { type: 'plain_text', text: 'Lifetime' },
        element: {
          type: 'static_select',
          action_id: Inputs.lifetime.action,
          initial_option: lifetimeOption(m.defaultLifetimeSeconds),
          options: lifetimeChoices(m.defaultLifetimeSeconds, m.maxLifetimeSeconds).map(lifetimeOption),
        },
        hint: { type: 'plain_text', text: `At most ${humanDuration(m.maxLifetimeSeconds)}.` },
      },
      {
        type: 'input',
        block_id: Inputs.reason.block,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (optional)' },
        element: { type: 'plain_text_input', action_id: Inputs.reason.action, max_length: 500 },
      },
    ],
  };
}

/** A modal with only text: opened at once when Slack is too slow to fill the real one in time (the trigger_id lives 3 s), and for a refusal. */
export function noticeModal(callbackId: string, title: string, text: string): View {
  return {
    type: 'modal',
    callback_id: callbackId,
    title: { type: 'plain_text', text: clip(title, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(esc(text), 3000) } }],
  };
}
