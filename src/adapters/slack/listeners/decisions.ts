import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { approveRequest, denyRequest, prepareDeny } from '../../../app/decide.js';
import { denyModal, denyTargetOf } from '../blocks/deny-modal.js';
import { Actions, Inputs, Views } from '../ids.js';
import type { FlowContext } from './flow-context.js';

/**
 * Approve and Deny on the admin card. Authorisation, quorum and the
 * exactly-once transition live in the use cases.
 */
export function registerDecisions(app: App, ctx: FlowContext): void {
  const { deps } = ctx;

  // The approval is made durable (counted in Redis, job enqueued) before the
  // ack: a crash right after the click must not lose it.
  app.action<BlockAction<ButtonAction>>(Actions.approve, async ({ ack, body }) => {
    try {
      await approveRequest(deps, body.actions[0]?.value ?? '', { userId: body.user.id, channel: body.channel?.id ?? '' });
    } finally {
      await ack();
    }
  });

  app.action<BlockAction<ButtonAction>>(Actions.deny, async ({ ack, body, client }) => {
    await ack();
    const target = { id: body.actions[0]?.value ?? '', channel: body.channel?.id ?? '' };
    const next = await prepareDeny(deps, target.id, { userId: body.user.id, channel: target.channel });
    if (next.kind === 'ask-reason') await client.views.open({ trigger_id: body.trigger_id, view: denyModal(target, next.username) });
  });

  app.view(Views.deny, async ({ ack, view, body }) => {
    const reason = view.state.values[Inputs.denyReason.block]?.[Inputs.denyReason.action]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [Inputs.denyReason.block]: 'Say why, so the requester can fix it.' } });
      return;
    }
    const { id, channel } = denyTargetOf(view.private_metadata);
    try {
      await denyRequest(deps, id, { userId: body.user.id, channel }, reason);
    } finally {
      await ack();
    }
  });
}
