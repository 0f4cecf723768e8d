import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { denyTarget, denyVerdict, recordDecision } from '../../../app/decide.js';
import { CsrbotError } from '../../../domain/errors.js';
import { containsPrivateKey } from '../../../domain/private-key.js';
import { denyModal, denyTargetOf } from '../blocks/deny-modal.js';
import { clip } from '../blocks/format.js';
import { noticeModal } from '../blocks/request-modal.js';
import { Actions, Inputs, Views } from '../ids.js';
import type { FlowContext } from './flow-context.js';
import { TRIGGER_BUDGET_MS, withinBudget } from './within-budget.js';

const NOT_RECORDED = 'Your click was not recorded: csrbot cannot reach its store right now. Click again in a minute.';
const FORM_NOT_OPENED = 'Slack did not open the Deny form in time (Slack is slow or rate-limiting csrbot right now). Click Deny again.';

/**
 * Approve and Deny on the admin card. Before the ack only Redis is written:
 * the click is recorded (a decide job), and the job authorises the clicker,
 * counts the quorum and answers a refusal privately. Nothing that needs Slack
 * runs before an ack, so a slow or rate-limiting Slack cannot make Slack drop
 * the click ("this app did not respond"); Slack never redelivers interactions.
 * `opener` opens modals: one attempt, within the trigger_id's 3 s.
 */
export function registerDecisions(app: App, ctx: FlowContext, opener: WebClient): void {
  const { deps } = ctx;

  app.action<BlockAction<ButtonAction>>(Actions.approve, async ({ ack, body }) => {
    const action = body.actions[0];
    const click = {
      kind: 'approve' as const,
      requestId: action?.value ?? '',
      userId: body.user.id,
      channel: body.channel?.id ?? '',
      clickId: action?.action_ts ?? body.trigger_id,
    };
    try {
      await recordDecision(deps, click);
    } catch (err) {
      await ack();
      await deps.chat.tellUser(click.channel, click.userId, NOT_RECORDED).catch(() => undefined);
      throw err;
    }
    await ack();
  });

  // The modal must open before the trigger_id expires: the clicker's rights are checked within a budget, and
  // when Slack is too slow to tell, the modal opens anyway (the decide job checks again on submission).
  app.action<BlockAction<ButtonAction>>(Actions.deny, async ({ ack, body }) => {
    await ack();
    const target = { id: body.actions[0]?.value ?? '', channel: body.channel?.id ?? '' };
    const who = { userId: body.user.id, channel: target.channel };
    const t = await denyTarget(deps, target.id);
    const check = denyVerdict(deps, target.id, who);
    const early = t?.pending ? await withinBudget(check, TRIGGER_BUDGET_MS) : await check;
    if (early?.kind === 'refused') return void (await early.tell());
    if (!t) return;
    let viewId: string | undefined;
    try {
      viewId = (await opener.views.open({ trigger_id: body.trigger_id, view: denyModal(target, t.username) })).view?.id;
    } catch (err) {
      deps.log.warn({ err, requestId: target.id, userId: who.userId }, 'the Deny modal could not be opened in time');
      await deps.chat.tellUser(who.channel, who.userId, FORM_NOT_OPENED);
      return;
    }
    if (early || !viewId) return;
    // Opened before the check answered: a refusal is told privately and also replaces the form.
    const late = await check;
    if (late.kind === 'refused') {
      await late.tell();
      await app.client.views.update({
        view_id: viewId,
        view: noticeModal(Views.deny, 'Deny request', 'You cannot deny this request; csrbot told you why in the channel.'),
      });
    }
  });

  app.view(Views.deny, async ({ ack, view, body }) => {
    const reason = view.state.values[Inputs.denyReason.block]?.[Inputs.denyReason.action]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [Inputs.denyReason.block]: 'Say why, so the requester can fix it.' } });
      return;
    }
    // Refused here, not in the job: a reason holding key material is never written anywhere, Redis included.
    if (containsPrivateKey(reason)) {
      await ack({ response_action: 'errors', errors: { [Inputs.denyReason.block]: clip(new CsrbotError('REASON_HAS_PRIVATE_KEY').userMessage, 2000) } });
      return;
    }
    const { id, channel } = denyTargetOf(view.private_metadata);
    const click = { kind: 'deny' as const, requestId: id, userId: body.user.id, channel, clickId: view.id, reason };
    try {
      await recordDecision(deps, click);
    } catch (err) {
      await ack();
      await deps.chat.tellUser(channel, click.userId, NOT_RECORDED).catch(() => undefined);
      throw err;
    }
    await ack();
  });
}
