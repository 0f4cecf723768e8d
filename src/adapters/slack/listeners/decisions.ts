import type { App } from '@slack/bolt';
import { approveRequest, denyRequest } from '../../../app/decide.js';
import { checkApprover } from '../../../domain/approvers.js';
import { CsrbotError } from '../../../domain/errors.js';
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
    const r = await deps.store.get(id);
    // Check before opening the modal: a non-admin should not be asked for a reason that cannot count.
    const { adminGroup, adminUsers, allowSelfApproval } = deps.settings;
    const members = adminGroup && !adminUsers.includes(b.user.id) ? await deps.directory.groupMembers(adminGroup) : [];
    const verdict = checkApprover({ approverId: b.user.id, requesterId: r?.requester.userId ?? '', adminUsers, adminGroupMembers: members, allowSelfApproval });
    if (!r || !verdict.ok) {
      await deps.chat.tellUser(channel, b.user.id, new CsrbotError(!r ? 'REQUEST_NOT_FOUND' : verdict.ok ? 'NOT_AN_APPROVER' : verdict.why === 'self-approval' ? 'SELF_APPROVAL' : 'NOT_AN_APPROVER', { id, group: adminGroup }).userMessage);
      return;
    }
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
