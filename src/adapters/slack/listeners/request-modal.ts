import type { App } from '@slack/bolt';
import { requestForm, submitForm } from '../../../app/dm-intake.js';
import { opensslCommandsFor } from '../../../app/intake.js';
import { clip } from '../blocks/format.js';
import { requestModal } from '../blocks/request-modal.js';
import { Inputs, Views } from '../ids.js';
import type { SubcommandHandler } from './cert-command.js';
import type { FlowContext } from './flow-context.js';
import { stateValues } from './state-values.js';

/** `/cert request`: open the modal at once (the trigger_id lives 3 s). */
export function requestSubcommand(ctx: FlowContext, app: App): SubcommandHandler {
  return async ({ command, respond }) => {
    const form = await requestForm(ctx, command.user_id);
    if ('problem' in form) {
      await respond({ response_type: 'ephemeral', text: form.problem });
      return;
    }
    await app.client.views.open({
      trigger_id: command.trigger_id,
      view: requestModal({
        username: form.username,
        groups: form.groups,
        opensslText: opensslCommandsFor(form.username, form.groups).text,
        defaultLifetimeSeconds: form.lifetime.defaultSeconds,
        maxLifetimeSeconds: form.lifetime.maxSeconds,
      }),
    });
  };
}

export function registerRequestModal(app: App, ctx: FlowContext): void {
  app.view(Views.request, async ({ ack, view, body }) => {
    const v = stateValues(view.state.values);
    const lifetime = v[Inputs.lifetime.action]?.selected_option?.value;
    const outcome = await submitForm(ctx, {
      userId: body.user.id,
      teamId: body.team?.id,
      viewId: view.id,
      pem: v[Inputs.csr.action]?.value ?? '',
      lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime),
      reason: v[Inputs.reason.action]?.value ?? undefined,
    });
    // Slack shows refusals under the CSR field; the modal stays open for a fix.
    if (outcome.kind === 'refused') await ack({ response_action: 'errors', errors: { [Inputs.csr.block]: clip(outcome.problems.join(' · '), 2000) } });
    else await ack();
  });
}
