import type { WebClient } from '@slack/web-api';
import type { CertificateRequest, SlackPerson } from '../../domain/lifecycle.js';
import { MAX_INPUT_BYTES } from '../../domain/csr/index.js';
import { CsrbotError } from '../../domain/errors.js';
import type { Chat, DeliveredFiles, Directory, HomeContent, IntakeReply, ReminderNotice, RequesterNotice, Upload } from '../../ports.js';
import { reminderMessage } from './blocks/reminder.js';
import { TRANSIENT_PLATFORM_ERRORS } from './slack-failure.js';
import { approvalCard } from './blocks/approval-card.js';
import { homeView } from './blocks/certificate-views.js';
import { clip } from './blocks/format.js';
import { intakeProblems } from './blocks/intake-problems.js';
import { requesterNotice } from './blocks/notices.js';
import { requestSummary } from './blocks/request-summary.js';

type HistoryMessage = NonNullable<Awaited<ReturnType<WebClient['conversations']['history']>>['messages']>[number];

/** Where Slack (and GovSlack) serve url_private_download. */
export const SLACK_FILE_ORIGINS = ['https://files.slack.com', 'https://files.slack-gov.com'] as const;

const HOW_TO = 'Send me your CSR file (or paste the PEM), or run `/cert request`. Only the `.csr`: your private key stays with you. `/cert help` for more.';

/**
 * Chat and Directory over Slack's Web API. WebClient already retries 429s
 * (honouring Retry-After) and 5xx; what it gives up on fails the job, which
 * BullMQ retries, so a message is delayed rather than lost.
 */
export class SlackChat implements Chat, Directory {
  private constructor(
    private readonly client: WebClient,
    private readonly adminChannel: string,
    private readonly botToken: string,
    private readonly onApiError: (failure: SlackApiFailure) => void,
    private readonly fileOrigins: readonly string[],
  ) {}

  /**
   * `botToken` is sent only to fetch uploads, which Slack serves only with it, and only to Slack's file hosts
   * (or `apiUrl`'s origin, where a test emulator serves them). onApiError: every failed Web API call, for metrics. Default: nothing.
   */
  static create(deps: {
    client: WebClient;
    adminChannel: string;
    botToken: string;
    apiUrl?: string;
    onApiError?: (failure: SlackApiFailure) => void;
  }): SlackChat {
    const origins = [...SLACK_FILE_ORIGINS, ...(deps.apiUrl ? [new URL(deps.apiUrl).origin] : [])];
    return new SlackChat(deps.client, deps.adminChannel, deps.botToken, deps.onApiError ?? (() => undefined), origins);
  }

  /** Runs one Web API call, reporting its failure before passing it on. */
  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const error = slackErrorOf(e);
      this.onApiError({ method, error, auth: SLACK_AUTH_ERRORS.has(error) });
      throw e;
    }
  }

  async readUpload(file: Upload): Promise<Uint8Array> {
    let f = file;
    if (!f.url) {
      const info = (await this.call('files.info', () => this.client.files.info({ file: file.id }))).file;
      f = { id: file.id, name: info?.name ?? file.name, size: info?.size ?? file.size, url: info?.url_private_download };
    }
    if ((f.size ?? 0) > MAX_INPUT_BYTES) return new Uint8Array(MAX_INPUT_BYTES + 1); // parseCsr names the limit
    if (!f.url) throw new Error(`Slack gave no download URL for file ${file.id}`);
    // The bot token goes only where Slack serves files: a url_private_download naming any other host gets nothing.
    const origin = URL.canParse(f.url) ? new URL(f.url).origin : f.url;
    if (!this.fileOrigins.includes(origin)) throw new CsrbotError('UPLOAD_HOST_REFUSED', { origin, allowed: [...this.fileOrigins] });
    const res = await fetch(f.url, { headers: { Authorization: `Bearer ${this.botToken}` }, redirect: 'manual' });
    if (!res.ok) throw new Error(`downloading ${f.name ?? f.id} failed with HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  async readDmMessage(channel: string, ts: string): Promise<{ text?: string } | undefined> {
    // A message that is not in a thread: replies lists it alone, first.
    const res = await this.call('conversations.replies', () => this.client.conversations.replies({ channel, ts, limit: 1 })).catch((e: unknown) => {
      if (slackErrorOf(e) === 'thread_not_found') return undefined;
      throw e;
    });
    const message = res?.messages?.find((m) => m.ts === ts);
    return message && { text: message.text };
  }

  async replyInDm(channel: string, reply: IntakeReply): Promise<void> {
    const message =
      reply.kind === 'how-to'
        ? { text: HOW_TO }
        : reply.kind === 'problems'
          ? intakeProblems(reply.problems, reply.warnings)
          : requestSummary({
              draftId: reply.draftId,
              username: reply.username,
              groups: reply.csr.groups,
              keyDescription: reply.csr.keyDescription,
              fingerprint: reply.csr.fingerprint,
              subject: reply.csr.subject ?? `/CN=${reply.csr.commonName}`,
              warnings: reply.csr.warnings,
              defaultLifetimeSeconds: reply.lifetime.defaultSeconds,
              maxLifetimeSeconds: reply.lifetime.maxSeconds,
            });
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel, ...message }));
  }

  async postCard(r: CertificateRequest): Promise<{ channel: string; ts: string }> {
    const res = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({ channel: this.adminChannel, ...approvalCard(r), unfurl_links: false }),
    );
    return { channel: res.channel ?? this.adminChannel, ts: res.ts! };
  }

  async findCard(r: CertificateRequest): Promise<{ channel: string; ts: string } | undefined> {
    // Every card names its request in its facts ("request `<id>`"), buttons or not.
    const names = `request \`${r.id}\``;
    const found = await this.findInHistory(this.adminChannel, (m) => JSON.stringify(m.blocks ?? []).includes(names));
    return found?.ts ? { channel: this.adminChannel, ts: found.ts } : undefined;
  }

  async updateCard(r: CertificateRequest): Promise<void> {
    if (!r.card) return;
    const card = r.card;
    try {
      await this.call('chat.update', () => this.client.chat.update({ channel: card.channel, ts: card.ts, ...approvalCard(r) }));
    } catch (e) {
      // The card use case reads Slack's answer from a coded error to tell a card that is gone (post it again) from
      // one that may still be updated. A raw WebClient error reached it as "unknown", so a deleted card was retried
      // forever and never posted again. Slack's own trouble stays uncoded, so the card job keeps retrying it.
      const error = slackErrorOf(e);
      if ((e as { code?: unknown }).code === 'slack_webapi_platform_error' && !TRANSIENT_PLATFORM_ERRORS.has(error))
        throw new CsrbotError('SLACK_API_ERROR', { method: 'chat.update', error });
      throw e;
    }
  }

  async retractCard(card: { channel: string; ts: string }): Promise<void> {
    await this.call('chat.delete', () => this.client.chat.delete({ channel: card.channel, ts: card.ts }));
  }

  async notifyRequester(r: CertificateRequest, n: RequesterNotice): Promise<void> {
    const channel = await this.dm(r);
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel, ...requesterNotice(r, n) }));
  }

  /**
   * Once, not at least once: the certificate's title names the request, and
   * a delivery repeated after a crash (between the upload and the request
   * being recorded as issued) first looks for it in the DM's recent history.
   */
  async deliver(r: CertificateRequest, f: DeliveredFiles): Promise<void> {
    const channel = await this.dm(r);
    const title = `${f.certificateFilename} (request ${r.id})`;
    if (await this.sentBefore(channel, title)) return;
    await this.call('files.uploadV2', () =>
      this.client.filesUploadV2({
        channel_id: channel,
        initial_comment: f.instructions,
        file_uploads: [
          { content: f.certificatePem, filename: f.certificateFilename, title },
          { content: f.kubeconfig, filename: f.kubeconfigFilename, title: f.kubeconfigFilename },
        ],
      }),
    );
  }

  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    await this.call('chat.postEphemeral', () => this.client.chat.postEphemeral({ channel, user: userId, text }));
  }

  async tellAdmins(text: string): Promise<void> {
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: this.adminChannel, text }));
  }

  async replyOnCard(r: CertificateRequest, text: string): Promise<void> {
    if (!r.card) return;
    const card = r.card;
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: card.channel, thread_ts: card.ts, text: clip(text, 3000) }));
  }

  async permalink(at: { channel: string; ts: string }): Promise<string | undefined> {
    const res = await this.call('chat.getPermalink', () => this.client.chat.getPermalink({ channel: at.channel, message_ts: at.ts }));
    return res.permalink;
  }

  async publishHome(userId: string, home: HomeContent): Promise<void> {
    await this.call('views.publish', () => this.client.views.publish({ user_id: userId, view: homeView(home) }));
  }

  async isDeactivated(userId: string): Promise<boolean> {
    try {
      const res = await this.call('users.info', () => this.client.users.info({ user: userId }));
      return res.user?.deleted === true;
    } catch (e) {
      if (slackErrorOf(e) === 'user_not_found') return true;
      throw e;
    }
  }

  async remindHolder(n: ReminderNotice): Promise<void> {
    const c = n.certificate;
    const channel = c.dmChannel ?? (await this.openDm(c.requesterId));
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel, ...reminderMessage(n) }));
  }

  async timeZone(userId: string): Promise<string | undefined> {
    const res = await this.call('users.info', () => this.client.users.info({ user: userId }));
    return res.user?.tz || undefined;
  }

  async person(userId: string): Promise<SlackPerson> {
    const res = await this.call('users.info', () => this.client.users.info({ user: userId }));
    const u = res.user;
    return {
      userId,
      teamId: u?.team_id ?? '',
      name: u?.name ?? userId,
      realName: u?.real_name || u?.profile?.real_name || undefined,
      email: u?.profile?.email || undefined,
      ...(u?.is_bot || u?.is_app_user ? { isBot: true } : {}),
      ...(u?.deleted ? { deleted: true } : {}),
      ...(u?.is_ultra_restricted ? { guest: 'single-channel' as const } : u?.is_restricted ? { guest: 'multi-channel' as const } : {}),
    };
  }

  async groupMembers(groupId: string): Promise<string[]> {
    const res = await this.call('usergroups.users.list', () => this.client.usergroups.users.list({ usergroup: groupId }));
    return res.users ?? [];
  }

  /** The requester's DM with the bot; conversations.open is idempotent on Slack's side. */
  /** Whether one of the bot's recent messages in the DM carries a file with this title (the last 200 messages: a repeat follows within minutes). */
  private async sentBefore(channel: string, title: string): Promise<boolean> {
    return (await this.findInHistory(channel, (m) => (m.files ?? []).some((file) => file.title === title))) !== undefined;
  }

  /** The newest message of the last 200 in `channel` that matches. */
  private async findInHistory<M extends HistoryMessage>(channel: string, match: (m: HistoryMessage) => boolean): Promise<M | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < 2; page++) {
      const res = await this.call('conversations.history', () => this.client.conversations.history({ channel, limit: 100, ...(cursor ? { cursor } : {}) }));
      const hit = (res.messages ?? []).find(match);
      if (hit) return hit as M;
      cursor = res.response_metadata?.next_cursor;
      if (!res.has_more || !cursor) return undefined;
    }
    return undefined;
  }

  private async dm(r: CertificateRequest): Promise<string> {
    return r.dmChannel ?? this.openDm(r.requester.userId);
  }

  private async openDm(userId: string): Promise<string> {
    const res = await this.call('conversations.open', () => this.client.conversations.open({ users: userId }));
    return res.channel!.id!;
  }
}

/** A failed Web API call: the method, slackErrorOf(err), and whether it means the token no longer works. */
export interface SlackApiFailure {
  method: string;
  error: string;
  auth: boolean;
}

/** Slack's answers when the bot token is wrong, revoked, expired, or its workspace or user deactivated. */
export const SLACK_AUTH_ERRORS: ReadonlySet<string> = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

const SLACK_ERROR = /^[a-z0-9_]{1,64}$/;

/**
 * What went wrong with a Web API call, as a short label: Slack's own error
 * (`invalid_auth`, `token_revoked`, `channel_not_found`, ...), `ratelimited`,
 * `request_error` (no answer), `http_<status>`, or `unknown`.
 */
export function slackErrorOf(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  const label =
    e.code === 'slack_webapi_platform_error'
      ? e.data?.error
      : e.code === 'slack_webapi_rate_limited_error'
        ? 'ratelimited'
        : e.code === 'slack_webapi_request_error'
          ? 'request_error'
          : e.code === 'slack_webapi_http_error'
            ? `http_${String(e.statusCode)}`
            : undefined;
  return typeof label === 'string' && SLACK_ERROR.test(label) ? label : 'unknown';
}
