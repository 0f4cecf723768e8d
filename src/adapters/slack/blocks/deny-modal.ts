import { Inputs, Views } from '../ids.js';
import { clip, esc } from './format.js';
import type { View } from './types.js';

/** What the deny modal carries to its submission: which request, and where to answer the admin. */
export interface DenyTarget {
  id: string;
  channel: string;
}

export function denyTargetOf(privateMetadata: string): DenyTarget {
  const t = JSON.parse(privateMetadata) as Partial<DenyTarget>;
  return { id: String(t.id ?? ''), channel: String(t.channel ?? '') };
}

/** Deny asks for a reason; the requester gets it verbatim. */
export function denyModal(target: DenyTarget, username: string): View {
  return {
    type: 'modal',
    callback_id: Views.deny,
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify(target),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`Deny the certificate request of *${esc(username)}*? They will see your reason.`, 3000) } },
      {
        type: 'input',
        block_id: Inputs.denyReason.block,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: Inputs.denyReason.action, multiline: true, max_length: 1000 },
      },
    ],
  };
}
