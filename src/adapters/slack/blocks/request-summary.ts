import { Actions, Inputs } from '../ids.js';
import { clip, esc, fingerprintText, humanDuration, lifetimeChoices, lifetimeOption } from './format.js';
import type { KnownBlock } from './types.js';

export interface SummaryInput {
  draftId: string;
  username: string;
  groups: string[];
  keyDescription: string;
  fingerprint: string;
  subject: string;
  warnings: string[];
  defaultLifetimeSeconds: number;
  maxLifetimeSeconds: number;
}

/** The DM reply to an uploaded or pasted CSR that passed the checks. */
export function requestSummary(s: SummaryInput): { text: string; blocks: KnownBlock[] } {
  const text = clip(esc(`Your CSR checks out: it would authenticate as ${s.username}${s.groups.length ? ` in ${s.groups.join(', ')}` : ''}.`), 3000);
  const facts = [
    `*Kubernetes username:* \`${esc(s.username)}\``,
    `*Groups:* ${s.groups.length ? s.groups.map((g) => `\`${esc(g)}\``).join(', ') : '_none_'}`,
    `*Subject:* \`${esc(s.subject)}\``,
    `*Key:* ${esc(s.keyDescription)}`,
    `*Public key SHA-256:* \`${fingerprintText(s.fingerprint)}\``,
  ].join('\n');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(facts, 3000) } },
  ];
  if (s.warnings.length) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`:warning: *Admins will see these warnings:*\n${s.warnings.map((w) => `• ${esc(w)}`).join('\n')}`, 3000) },
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: Inputs.reason.block,
      optional: true,
      label: { type: 'plain_text', text: 'Reason (optional)' },
      element: {
        type: 'plain_text_input',
        action_id: Inputs.reason.action,
        max_length: 500,
        placeholder: { type: 'plain_text', text: 'e.g. on-call access to prod' },
      },
    },
    {
      type: 'actions',
      block_id: 'submit_block',
      elements: [
        {
          type: 'static_select',
          action_id: Actions.lifetime,
          placeholder: { type: 'plain_text', text: 'Lifetime' },
          initial_option: lifetimeOption(s.defaultLifetimeSeconds),
          options: lifetimeChoices(s.defaultLifetimeSeconds, s.maxLifetimeSeconds).map(lifetimeOption),
        },
        { type: 'button', action_id: Actions.submitRequest, style: 'primary', text: { type: 'plain_text', text: 'Submit request' }, value: s.draftId },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Default lifetime ${humanDuration(s.defaultLifetimeSeconds)}, at most ${humanDuration(s.maxLifetimeSeconds)}. Your private key stays on your machine.`,
        },
      ],
    },
  );
  return { text, blocks };
}

/** What replaces the summary once submitted, so it cannot be submitted twice by accident. */
export function submittedSummary(username: string, requestId: string): { text: string; blocks: KnownBlock[] } {
  const text = `Submitted: request \`${requestId}\` for ${esc(username)} is waiting for an admin.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
