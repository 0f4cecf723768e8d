import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { receiveCsr, submitDraft } from '../../../app/dm-intake.js';
import { submittedSummary } from '../blocks/request-summary.js';
import { Actions, Inputs } from '../ids.js';
import type { FlowContext } from './flow-context.js';
import { stateValues } from './state-values.js';

/**
 * A CSR sent to the bot in a DM, as a file or pasted, and the Submit button
 * on the summary. The listeners only read the payload and call a use case.
 */
export function registerDmIntake(app: App, ctx: FlowContext): void {
  app.event('message', async ({ event }) => {
    // Only people's own messages (plain or with a file) in a DM with the bot.
    if (event.subtype !== undefined && event.subtype !== 'file_share') return;
    if (event.channel_type !== 'im' || !event.user || ('bot_id' in event && event.bot_id)) return;
    const file = event.files?.[0];
    await receiveCsr(ctx, {
      userId: event.user,
      channel: event.channel,
      ts: event.ts,
      text: event.text,
      file: file && { id: file.id, name: file.name ?? undefined, size: file.size, url: file.url_private_download },
    });
  });

  // Choosing a lifetime needs only an ack; the value is read from state on Submit.
  app.action(Actions.lifetime, async ({ ack }) => {
    await ack();
  });

  // Acked after the request is stored and its job enqueued, so a crash cannot swallow a Submit.
  app.action<BlockAction<ButtonAction>>(Actions.submitRequest, async ({ ack, body, respond }) => {
    try {
      const values = stateValues(body.state?.values);
      const lifetime = values[Actions.lifetime]?.selected_option?.value;
      const outcome = await submitDraft(ctx, {
        draftId: body.actions[0]?.value ?? '',
        userId: body.user.id,
        lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime),
        reason: values[Inputs.reason.action]?.value ?? undefined,
      });
      if (outcome.kind === 'expired')
        await respond({ response_type: 'ephemeral', replace_original: false, text: 'That request summary has expired. Send the CSR again.' });
      if (outcome.kind === 'submitted') await respond({ replace_original: true, ...submittedSummary(outcome.request.kubernetesUsername, outcome.request.id) });
    } finally {
      await ack();
    }
  });
}
