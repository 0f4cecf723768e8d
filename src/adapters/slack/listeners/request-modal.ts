import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { requestForm, submitForm } from '../../../app/dm-intake.js';
import { opensslCommandsFor } from '../../../app/intake.js';
import type { SlackPerson } from '../../../domain/lifecycle.js';
import { clip } from '../blocks/format.js';
import { noticeModal, requestModal } from '../blocks/request-modal.js';
import { Inputs, Views } from '../ids.js';
import type { SubcommandHandler } from './cert-command.js';
import type { FlowContext } from './flow-context.js';
import { stateValues } from './state-values.js';
import { TRIGGER_BUDGET_MS, withinBudget } from './within-budget.js';

const NOT_OPENED =
  'Slack did not open the form in time (Slack is slow or rate-limiting csrbot right now). Run `/cert request` again in a minute, or send me your CSR file here.';

type Form = Exclude<Awaited<ReturnType<typeof requestForm>>, { problem: string }>;

const formView = (form: Form) =>
  requestModal({
    username: form.username,
    groups: form.groups,
    opensslText: opensslCommandsFor(form.username, form.groups).text,
    defaultLifetimeSeconds: form.lifetime.defaultSeconds,
    maxLifetimeSeconds: form.lifetime.maxSeconds,
    privateMetadata: JSON.stringify({ person: form.person }),
  });

/**
 * `/cert request`: the modal opens within the trigger_id's 3 s whatever Slack's
 * speed. The form needs the user's profile (users.info); when Slack is too slow
 * to give it within a budget, a "checking" modal opens first and is replaced by
 * the form (or the reason they cannot ask) once Slack answers. `opener` makes
 * one attempt, without waiting out a 429.
 */
export function requestSubcommand(ctx: FlowContext, app: App, opener: WebClient): SubcommandHandler {
  return async ({ command, respond, log }) => {
    const form = requestForm(ctx, command.user_id);
    const early = await withinBudget(form, TRIGGER_BUDGET_MS);
    if (early && 'problem' in early) {
      await respond({ response_type: 'ephemeral', text: early.problem });
      return;
    }
    let viewId: string | undefined;
    try {
      const view = early
        ? formView(early)
        : noticeModal(Views.request, 'Request a certificate', 'Checking your Slack account… the form appears here in a moment.');
      viewId = (await opener.views.open({ trigger_id: command.trigger_id, view })).view?.id;
    } catch (err) {
      log.warn({ err }, 'the request modal could not be opened in time');
      await respond({ response_type: 'ephemeral', text: NOT_OPENED });
      return;
    }
    if (early || !viewId) return;
    const late = await form;
    await app.client.views.update({
      view_id: viewId,
      view: 'problem' in late ? noticeModal(Views.request, 'Request a certificate', late.problem) : formView(late),
    });
  };
}

/** The profile the form was opened with (see formView); undefined when absent or not a profile. */
function personOf(privateMetadata: string | undefined): SlackPerson | undefined {
  try {
    const p = (JSON.parse(privateMetadata ?? '') as { person?: Partial<SlackPerson> }).person;
    return p && typeof p.userId === 'string' && typeof p.teamId === 'string' && typeof p.name === 'string' ? (p as SlackPerson) : undefined;
  } catch {
    return undefined;
  }
}

export function registerRequestModal(app: App, ctx: FlowContext): void {
  app.view(Views.request, async ({ ack, view, body }) => {
    const v = stateValues(view.state.values);
    const lifetime = v[Inputs.lifetime.action]?.selected_option?.value;
    const person = personOf(view.private_metadata);
    const outcome = await submitForm(ctx, {
      userId: body.user.id,
      teamId: body.team?.id,
      viewId: view.id,
      pem: v[Inputs.csr.action]?.value ?? '',
      lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime),
      reason: v[Inputs.reason.action]?.value ?? undefined,
      ...(person ? { person } : {}),
    });
    // Slack shows refusals under the CSR field; the modal stays open for a fix.
    if (outcome.kind === 'refused') await ack({ response_action: 'errors', errors: { [Inputs.csr.block]: clip(outcome.problems.join(' · '), 2000) } });
    else await ack();
  });
}
