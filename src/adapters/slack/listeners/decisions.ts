import type { App } from '@slack/bolt';
import { approveRequest, denyRequest, refusalFor } from '../../../app/decide.js';
import { denyModal } from '../blocks/deny-modal.js';
import { Actions, Inputs, Views } from '../ids.js';
import type { FlowContext } from './flow-context.js';

interface ButtonBody {
  user: { id: string };
  channel?: { id: string };
  trigger_id: string;
  actions: Array<{ value?: string }>;
}

/**
 * Approve and Deny on the admin card. Acked first; authorisation, quorum and
 * the exactly-once transition live in the use cases.
 */
export function registerDecisions(app: App, ctx: FlowContext): void {
  const { deps } = ctx;

  // The approval is made durable (counted in Redis, job enqueued) before the
  // ack: a crash right after the click must not lose it. That is a few Redis
  // calls and one users.info, well inside Slack's 3 s.
  app.action(Actions.approve, async ({ ack, body }) => {
    const b = body as unknown as ButtonBody;
    const id = b.actions[0]?.value ?? '';
    try {
      await approveRequest(deps, id, { userId: b.user.id, channel: b.channel?.id ?? '' });
    } finally {
      await ack();
    }
  });

  app.action(Actions.deny, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ButtonBody;
    const id = b.actions[0]?.value ?? '';
    const channel = b.channel?.id ?? '';
    // Check before opening the modal: a non-admin should not be asked for a reason that cannot count.
    if (await refusalFor(deps, id, { userId: b.user.id, channel })) return;
    const r = await deps.store.get(id);
    if (!r) return;
    await client.views.open({ trigger_id: b.trigger_id, view: { ...denyModal(id, r.kubernetesUsername), private_metadata: JSON.stringify({ id, channel }) } });
  });

  app.view(Views.deny, async ({ ack, view, body }) => {
    const reason = view.state.values[Inputs.denyReason.block]?.[Inputs.denyReason.action]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [Inputs.denyReason.block]: 'Say why, so the requester can fix it.' } });
      return;
    }
    const { id, channel } = JSON.parse(view.private_metadata) as { id: string; channel: string };
    try {
      await denyRequest(deps, id, { userId: body.user.id, channel }, reason);
    } finally {
      await ack();
    }
  });
}
