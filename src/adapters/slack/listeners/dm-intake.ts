import type { App, BlockAction, ButtonAction, KnownEventFromType } from '@slack/bolt';
import { submitDraft, type DmMessage } from '../../../app/dm-intake.js';
import { answerDm, type InboxFlow } from '../../../app/inbox.js';
import type { InboxEntry } from '../../../ports.js';
import { submittedSummary } from '../blocks/request-summary.js';
import { Actions, Inputs } from '../ids.js';
import { stateValues } from './state-values.js';

export const NOT_SUBMITTED = 'Your request was not submitted: csrbot cannot reach its store right now. Click *Submit request* again in a minute.';

/**
 * A CSR sent to the bot in a DM, as a file or pasted, and the Submit button
 * on the summary. The listeners only read the payload and call a use case.
 */
export function registerDmIntake(app: App, ctx: InboxFlow): void {
  app.event('message', async ({ event }) => {
    const m = dmOf(event);
    if (m) await answerDm(ctx, m);
  });

  // Choosing a lifetime needs only an ack; the value is read from state on Submit.
  app.action(Actions.lifetime, async ({ ack }) => {
    await ack();
  });

  // Acked once the request is stored and its job enqueued (a crash cannot swallow a Submit), and before any
  // answer goes to Slack: a slow or rate-limiting Slack delays the answer, never the ack.
  app.action<BlockAction<ButtonAction>>(Actions.submitRequest, async ({ ack, body, respond }) => {
    let acked = false;
    const ackOnce = async () => {
      if (acked) return;
      acked = true;
      await ack();
    };
    let outcome: Awaited<ReturnType<typeof submitDraft>>;
    try {
      const values = stateValues(body.state?.values);
      const lifetime = values[Actions.lifetime]?.selected_option?.value;
      outcome = await submitDraft(
        ctx,
        {
          draftId: body.actions[0]?.value ?? '',
          userId: body.user.id,
          lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime),
          reason: values[Inputs.reason.action]?.value ?? undefined,
        },
        { settled: ackOnce },
      );
    } catch (err) {
      // Not stored (Redis unreachable): an acked click that is then silent looks taken, and nothing would ever come.
      await ackOnce();
      await respond({ response_type: 'ephemeral', replace_original: false, text: NOT_SUBMITTED }).catch(() => undefined);
      throw err;
    } finally {
      await ackOnce();
    }
    if (outcome.kind === 'expired')
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That request summary has expired. Send the CSR again.' });
    if (outcome.kind === 'submitted') await respond({ replace_original: true, ...submittedSummary(outcome.request.kubernetesUsername, outcome.request.id) });
  });
}

/** A person's own message (plain or with a file) in a DM with the bot; anything else is not for intake. */
export function dmOf(event: KnownEventFromType<'message'>): DmMessage | undefined {
  if (event.subtype !== undefined && event.subtype !== 'file_share') return undefined;
  if (event.channel_type !== 'im' || !event.user || ('bot_id' in event && event.bot_id)) return undefined;
  const file = event.files?.[0];
  return {
    userId: event.user,
    channel: event.channel,
    ts: event.ts,
    text: event.text,
    file: file && { id: file.id, name: file.name ?? undefined, size: file.size, url: file.url_private_download },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * The inbox entry of an incoming request body when it is a DM for intake
 * (read before Bolt parses it, so before the ack): ids only, never the text
 * or a file's content.
 */
export function dmEventOf(body: unknown): Omit<InboxEntry, 'receivedAtMs'> | undefined {
  if (!isRecord(body) || body.type !== 'event_callback' || !isRecord(body.event) || body.event.type !== 'message') return undefined;
  const e = body.event;
  const subtype = str(e.subtype);
  if ((subtype !== undefined && subtype !== 'file_share') || e.channel_type !== 'im' || e.bot_id) return undefined;
  const [channel, userId, ts] = [str(e.channel), str(e.user), str(e.ts)];
  if (!channel || !userId || !ts) return undefined;
  const fileIds = Array.isArray(e.files) ? e.files.flatMap((f) => (isRecord(f) && typeof f.id === 'string' ? [f.id] : [])) : [];
  return { eventId: str(body.event_id), teamId: str(body.team_id), channel, userId, ts, fileIds };
}
