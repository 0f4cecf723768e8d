import type { App, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { checkCsr } from '../../../app/intake.js';
import { submitRequest } from '../../../app/submit.js';
import { MAX_INPUT_BYTES } from '../../../domain/csr/index.js';
import { intakeProblems } from '../blocks/intake-problems.js';
import { requestSummary, submittedSummary } from '../blocks/request-summary.js';
import { Actions, Inputs } from '../ids.js';
import type { FlowContext } from './flow-context.js';
import { requestIdFrom } from './request-id.js';

interface SlackFile {
  id: string;
  name?: string;
  size?: number;
  url_private_download?: string;
}

async function download(client: WebClient, botToken: string, file: SlackFile): Promise<Uint8Array | string> {
  let f = file;
  if (!f.url_private_download) f = ((await client.files.info({ file: file.id })).file as SlackFile | undefined) ?? file;
  if ((f.size ?? 0) > MAX_INPUT_BYTES) return new Uint8Array(MAX_INPUT_BYTES + 1); // parseCsr names the limit
  if (!f.url_private_download) throw new Error(`Slack gave no download URL for file ${file.id}`);
  const res = await fetch(f.url_private_download, { headers: { Authorization: `Bearer ${botToken}` }, redirect: 'manual' });
  if (!res.ok) throw new Error(`downloading ${f.name ?? f.id} failed with HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const looksLikePem = (t: string) => /-----BEGIN [A-Z0-9 ]+-----/.test(t);

/**
 * A CSR sent to the bot in a DM, as a file or pasted. Checked at once; the
 * answer is either every problem with its fix, or a summary with Submit.
 */
export function registerDmIntake(app: App, ctx: FlowContext): void {
  const { deps } = ctx;
  app.event('message', async ({ event, client }) => {
    const m = event as unknown as {
      channel_type?: string;
      channel: string;
      user?: string;
      bot_id?: string;
      subtype?: string;
      text?: string;
      ts: string;
      files?: SlackFile[];
      team?: string;
    };
    if (m.channel_type !== 'im' || !m.user || m.bot_id || (m.subtype && m.subtype !== 'file_share')) return;
    const log = deps.log.child({ event: 'dm', user: m.user });
    const input = m.files?.[0] ? await download(client, ctx.botToken, m.files[0]) : looksLikePem(m.text ?? '') ? (m.text ?? '') : undefined;
    if (input === undefined) {
      await client.chat.postMessage({
        channel: m.channel,
        text: 'Send me your CSR file (or paste the PEM), or run `/cert request`. Only the `.csr`: your private key stays with you. `/cert help` for more.',
      });
      return;
    }
    const person = await deps.directory.person(m.user);
    const result = await checkCsr(ctx.intake, input, person);
    if (!result.ok) {
      log.info({ problems: result.problems.length }, 'CSR refused at intake');
      await client.chat.postMessage({ channel: m.channel, ...intakeProblems(result.problems, result.warnings) });
      return;
    }
    const draftId = requestIdFrom(person.teamId, m.channel, m.ts);
    const fresh = await ctx.drafts.put(draftId, {
      requester: person,
      kubernetesUsername: result.username,
      csr: result.csr,
      dmChannel: m.channel,
      signerName: result.signerName,
    });
    if (!fresh) return; // a redelivered event: the summary is already there
    await client.chat.postMessage({
      channel: m.channel,
      ...requestSummary({
        draftId,
        username: result.username,
        groups: result.csr.groups,
        keyDescription: result.csr.keyDescription,
        fingerprint: result.csr.fingerprint,
        subject: result.csr.subject ?? `/CN=${result.csr.commonName}`,
        warnings: result.csr.warnings,
        defaultLifetimeSeconds: ctx.intake.policy.lifetime.defaultSeconds,
        maxLifetimeSeconds: ctx.intake.policy.lifetime.maxSeconds,
      }),
    });
  });

  // Choosing a lifetime needs only an ack; the value is read from state on Submit.
  app.action(Actions.lifetime, async ({ ack }) => {
    await ack();
  });

  // Acked after the request is stored and its job enqueued, so a crash cannot swallow a Submit.
  app.action(Actions.submitRequest, async ({ ack, body, respond, client }) => {
    try {
      await submitDraft(body, respond, client);
    } finally {
      await ack();
    }
  });

  async function submitDraft(body: unknown, respond: RespondFn, client: WebClient): Promise<void> {
    const b = body as unknown as {
      user: { id: string };
      channel?: { id: string };
      actions: Array<{ value?: string }>;
      state?: { values: Record<string, Record<string, { selected_option?: { value: string } | null; value?: string | null }>> };
    };
    const draftId = b.actions[0]?.value ?? '';
    const draft = await ctx.drafts.get(draftId);
    if (!draft) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That request summary has expired. Send the CSR again.' });
      return;
    }
    if (draft.requester.userId !== b.user.id) return;
    const values = Object.values(b.state?.values ?? {}).reduce(
      (acc, block) => ({ ...acc, ...block }),
      {} as Record<string, { selected_option?: { value: string } | null; value?: string | null }>,
    );
    const lifetime = Number(values[Actions.lifetime]?.selected_option?.value ?? ctx.intake.policy.lifetime.defaultSeconds);
    // Slack enforces max_length only in modals: a message input can send more.
    const reason = values[Inputs.reason.action]?.value?.trim().slice(0, 500) || undefined;
    // Re-check with the chosen lifetime: the policy owns the limits, not the select.
    const result = await checkCsr(ctx.intake, draft.csr.pem, draft.requester, lifetime);
    if (!result.ok) {
      await client.chat.postMessage({ channel: draft.dmChannel, ...intakeProblems(result.problems, result.warnings) });
      return;
    }
    const { request } = await submitRequest(deps, {
      id: draftId,
      requester: draft.requester,
      kubernetesUsername: draft.kubernetesUsername,
      csr: result.csr,
      signerName: result.signerName,
      lifetimeSeconds: result.lifetimeSeconds,
      reason,
      dmChannel: draft.dmChannel,
    });
    await respond({ replace_original: true, ...submittedSummary(request.kubernetesUsername, request.id) });
  }
}
