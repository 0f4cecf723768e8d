import type { App } from '@slack/bolt';
import { checkCsr, opensslCommandsFor, requesterProfile } from '../../../app/intake.js';
import { submitRequest } from '../../../app/submit.js';
import { requestModal } from '../blocks/request-modal.js';
import { clip } from '../blocks/format.js';
import { Inputs, Views } from '../ids.js';
import type { SubcommandHandler } from './cert-command.js';
import type { FlowContext } from './flow-context.js';
import { requestIdFrom } from './request-id.js';

/** `/cert request`: open the modal at once (the trigger_id lives 3 s). */
export function requestSubcommand(ctx: FlowContext, app: App): SubcommandHandler {
  return async ({ command, respond }) => {
    const person = await ctx.deps.directory.person(command.user_id);
    const profile = await requesterProfile(ctx.intake, person);
    if ('problem' in profile) {
      await respond({ response_type: 'ephemeral', text: profile.problem });
      return;
    }
    await app.client.views.open({
      trigger_id: command.trigger_id,
      view: requestModal({
        username: profile.username,
        groups: profile.groups,
        opensslText: opensslCommandsFor(profile.username, profile.groups).text,
        defaultLifetimeSeconds: ctx.intake.policy.lifetime.defaultSeconds,
        maxLifetimeSeconds: ctx.intake.policy.lifetime.maxSeconds,
        privateMetadata: JSON.stringify({ channel: command.channel_id }),
      }),
    });
  };
}

export function registerRequestModal(app: App, ctx: FlowContext): void {
  app.view(Views.request, async ({ ack, view, body }) => {
    const v = view.state.values;
    const pem = v[Inputs.csr.block]?.[Inputs.csr.action]?.value ?? '';
    const lifetime = Number(v[Inputs.lifetime.block]?.[Inputs.lifetime.action]?.selected_option?.value ?? ctx.intake.policy.lifetime.defaultSeconds);
    const reason = v[Inputs.reason.block]?.[Inputs.reason.action]?.value?.trim() || undefined;
    const person = await ctx.deps.directory.person(body.user.id);
    const result = await checkCsr(ctx.intake, pem, person, lifetime);
    if (!result.ok) {
      // Slack shows this under the CSR field; the modal stays open for a fix.
      await ack({ response_action: 'errors', errors: { [Inputs.csr.block]: clip(result.problems.join(' · '), 2000) } });
      return;
    }
    // Durable before the ack: once the modal closes, the request exists.
    await submitRequest(ctx.deps, {
      id: requestIdFrom(body.team?.id ?? person.teamId, view.id),
      requester: person,
      kubernetesUsername: result.username,
      csr: result.csr,
      signerName: result.signerName,
      lifetimeSeconds: result.lifetimeSeconds,
      reason,
    });
    await ack();
  });
}
