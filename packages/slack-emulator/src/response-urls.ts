import { randomBytes } from 'node:crypto';
import { validateMessage } from './block-kit.js';
import type { Content, Conversations } from './conversations.js';
import type { AppIdentity } from './identity.js';
import { normalizeBlocks } from './public-shapes.js';
import { summarizeMessage } from './summary.js';
import type { Ephemeral, Message, Workspace } from './workspace.js';

/** What a response_url (or a slash command's ack) acts on. */
export interface ResponseContext {
  kind: 'command' | 'action';
  user: string;
  channel: string;
  messageTs?: string;
  ephemeral?: Ephemeral;
  createdAt: number;
  uses: number;
}

export type ResponseResult = { ok: true; message?: Message; ephemeral?: Ephemeral } | { ok: false; error: string; errors?: string[] };

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

/** response_urls handed out with commands and interactions, and what Slack does with a message response. */
export class ResponseUrls {
  private readonly issued = new Map<string, ResponseContext>();

  constructor(
    private readonly ws: Workspace,
    private readonly id: AppIdentity,
    private readonly conversations: Conversations,
    private readonly baseUrl: () => string,
  ) {}

  issue(ctx: Omit<ResponseContext, 'createdAt' | 'uses'>): string {
    const id = `${ctx.kind === 'command' ? 'commands' : 'actions'}/${this.id.teamId}/${Date.now()}${Math.floor(Math.random() * 1000)}/${randomBytes(12).toString('base64url')}`;
    this.issued.set(id, { ...ctx, createdAt: Date.now(), uses: 0 });
    return `${this.baseUrl()}/${id}`;
  }

  /** A POST to a response_url (path without the leading slash): the HTTP status and body Slack answers. */
  post(path: string, body: Record<string, unknown> | undefined): { status: number; body: Record<string, unknown> } {
    const ctx = this.issued.get(path);
    if (!ctx) return { status: 404, body: { ok: false, error: 'invalid_url' } };
    if (Date.now() - ctx.createdAt > RESPONSE_URL_TTL_MS) return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (ctx.uses >= RESPONSE_URL_MAX_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    if (!body) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const result = this.apply(ctx, body, 'response_url');
    ctx.uses += 1;
    this.ws.changed();
    if (!result.ok) return { status: 400, body: result };
    return { status: 200, body: { ok: true } };
  }

  /**
   * What Slack does with a message response (response_url post, or a slash
   * command's ack body): replace/delete the source, or post ephemeral/in_channel.
   */
  apply(ctx: ResponseContext, body: Record<string, unknown>, via: string): ResponseResult {
    const ws = this.ws;
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? (body.blocks as unknown[]) : undefined;
    const attachments = Array.isArray(body.attachments) ? (body.attachments as unknown[]) : undefined;
    if (body.delete_original === true || body.delete_original === 'true') {
      if (ctx.ephemeral) {
        ctx.ephemeral.deleted = true;
        ws.log(`${ws.describeChannel(ctx.channel)}: ephemeral ${ctx.ephemeral.ts} to ${ws.describeUser(ctx.user)} deleted (${via})`);
      } else if (ctx.messageTs) {
        const msg = ws.findMessage(ctx.channel, ctx.messageTs);
        if (msg) this.conversations.deleteMessage(msg, via);
      }
      return { ok: true };
    }
    const errors = validateMessage({ blocks, attachments });
    if (errors.length > 0) return { ok: false, error: 'invalid_blocks', errors };
    if (!text && !blocks?.length && !attachments?.length) return { ok: false, error: 'no_text' };
    const content: Content = { text, threadTs: typeof body.thread_ts === 'string' ? body.thread_ts : undefined };
    if (blocks) content.blocks = blocks;
    if (attachments) content.attachments = attachments;
    if (body.replace_original === true || body.replace_original === 'true') {
      if (ctx.ephemeral && !ctx.ephemeral.deleted) {
        const e = ctx.ephemeral;
        e.text = text;
        if (blocks) e.blocks = normalizeBlocks(blocks);
        else delete e.blocks;
        ws.log(`${ws.describeChannel(ctx.channel)}: ephemeral ${e.ts} to ${ws.describeUser(ctx.user)} replaced (${via}): ${summarizeMessage(e)}`);
        return { ok: true, ephemeral: e };
      }
      const msg = ctx.messageTs ? ws.findMessage(ctx.channel, ctx.messageTs) : undefined;
      if (msg) {
        this.conversations.updateMessage(msg, content, via);
        return { ok: true, message: msg };
      }
    }
    if (body.response_type === 'in_channel') {
      const message = this.conversations.postBotMessage(ctx.channel, { ...content, via });
      return { ok: true, message };
    }
    const ephemeral = this.conversations.postEphemeral(ctx.channel, ctx.user, content, via);
    // A later replace_original on a command's response_url replaces this ephemeral.
    if (ctx.kind === 'command') ctx.ephemeral = ephemeral;
    return { ok: true, ephemeral };
  }
}
