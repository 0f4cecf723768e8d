import { validateMessage, validateView } from './block-kit.js';
import type { Conversations } from './conversations.js';
import type { Files } from './files.js';
import type { AppIdentity } from './identity.js';
import { publicFile, publicMessage, publicView } from './public-shapes.js';
import { ApiError, type TokenKind } from './web-api-error.js';
import type { Views } from './views.js';
import type { View, Workspace } from './workspace.js';

export { ApiError, type TokenKind } from './web-api-error.js';

/** What the Web API methods may touch: the workspace's parts, not the emulator. */
export interface ApiDeps {
  readonly workspace: Workspace;
  readonly id: AppIdentity;
  readonly conversations: Conversations;
  readonly views: Views;
  readonly files: Files;
  /** Where the emulator listens (file upload URLs point there). */
  baseUrl(): string;
  /** A fresh single-use Socket Mode URL. */
  socketUrl(): string;
}

export interface CallContext {
  method: string;
  args: Record<string, unknown>;
  token: TokenKind;
  slack: ApiDeps;
}

type Handler = (ctx: CallContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

// --- argument helpers -------------------------------------------------------

function str(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : String(v);
}

function bool(args: Record<string, unknown>, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** Form-encoded calls carry objects as JSON strings (WebClient does that); JSON calls carry them as is. */
function jsonArg(args: Record<string, unknown>, key: string, badFormatError: string): unknown {
  const v = args[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new ApiError(badFormatError, { response_metadata: { messages: [`[ERROR] ${key} is not valid JSON`] } });
  }
}

function missing(field: string): ApiError {
  return new ApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] missing required field: ${field}`] } });
}

function blocksError(errors: string[]): ApiError {
  return new ApiError('invalid_blocks', { errors, response_metadata: { messages: errors } });
}

/** Reads text/blocks/attachments of a chat.* call and checks them as Slack does. */
function messageContent(args: Record<string, unknown>): { text: string; blocks?: unknown[]; attachments?: unknown[]; hasContent: boolean } {
  const text = str(args, 'text') ?? '';
  const blocks = jsonArg(args, 'blocks', 'invalid_blocks_format');
  const attachments = jsonArg(args, 'attachments', 'invalid_attachments');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new ApiError('invalid_blocks_format');
  if (attachments !== undefined && !Array.isArray(attachments)) throw new ApiError('invalid_attachments');
  const errors = validateMessage({ blocks, attachments });
  if (errors.length > 0) throw blocksError(errors);
  if (text.length > 40_000) throw new ApiError('msg_too_long');
  const out: { text: string; blocks?: unknown[]; attachments?: unknown[]; hasContent: boolean } = {
    text,
    hasContent: text.length > 0 || (Array.isArray(blocks) && blocks.length > 0) || (Array.isArray(attachments) && attachments.length > 0),
  };
  if (Array.isArray(blocks)) out.blocks = blocks;
  if (Array.isArray(attachments)) out.attachments = attachments;
  return out;
}

function viewArg(args: Record<string, unknown>): Record<string, unknown> {
  const view = jsonArg(args, 'view', 'invalid_arguments');
  if (view === undefined) throw missing('view');
  const errors = validateView(view);
  // views.* answer invalid_arguments with the pointers in response_metadata, unlike chat.* (invalid_blocks).
  if (errors.length > 0) throw new ApiError('invalid_arguments', { response_metadata: { messages: errors } });
  return view as Record<string, unknown>;
}

function cursorPage<T>(items: T[], args: Record<string, unknown>): { page: T[]; next: string } {
  const limit = Math.max(1, Math.min(1000, Number(str(args, 'limit') ?? 100) || 100));
  const cursor = str(args, 'cursor');
  const start = cursor
    ? Number(
        Buffer.from(cursor, 'base64')
          .toString()
          .replace(/^offset:/, ''),
      ) || 0
    : 0;
  const page = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(`offset:${start + limit}`).toString('base64') : '';
  return { page, next };
}

// --- scopes -----------------------------------------------------------------

/**
 * Bot scopes each emulated method needs, as Slack's method reference lists
 * them; any one of a list will do. conversations.* depend on the channel's
 * type (public, private, DM). Methods not listed need none (auth.test, views.*).
 */
export function scopesFor(method: string, args: Record<string, unknown>, conversations: Conversations): string[] | undefined {
  const byChannelType = (kind: 'read' | 'history'): string[] | undefined => {
    try {
      const c = conversations.resolveChannel(str(args, 'channel') ?? '');
      return [c.is_im ? `im:${kind}` : c.is_private ? `groups:${kind}` : `channels:${kind}`];
    } catch {
      return undefined; // the handler answers channel_not_found
    }
  };
  switch (method) {
    case 'chat.postMessage':
    case 'chat.update':
    case 'chat.delete':
    case 'chat.postEphemeral':
      return ['chat:write'];
    case 'conversations.open':
      return ['im:write', 'channels:manage', 'groups:write', 'mpim:write'];
    case 'conversations.info':
    case 'conversations.members':
      return byChannelType('read');
    case 'conversations.history':
    case 'conversations.replies':
      return byChannelType('history');
    case 'users.info':
      return ['users:read'];
    case 'users.lookupByEmail':
      return ['users:read.email'];
    case 'usergroups.list':
    case 'usergroups.users.list':
      return ['usergroups:read'];
    case 'files.info':
      return ['files:read'];
    case 'files.getUploadURLExternal':
    case 'files.completeUploadExternal':
      return ['files:write'];
    default:
      return undefined;
  }
}

/** Every bot scope the emulated methods use (plus commands): what a token has unless a test says otherwise. */
export const ALL_BOT_SCOPES: readonly string[] = [
  'channels:history',
  'channels:manage',
  'channels:read',
  'chat:write',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'groups:read',
  'groups:write',
  'im:history',
  'im:read',
  'im:write',
  'mpim:write',
  'usergroups:read',
  'users:read',
  'users:read.email',
];

// --- handlers ---------------------------------------------------------------

export const METHODS: Record<string, Handler> = {
  'api.test': ({ args }) => ({ args: Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'token')) }),

  'auth.test': ({ slack }) => ({
    url: `https://${slack.workspace.team.domain}.slack.com/`,
    team: slack.workspace.team.name,
    user: slack.id.botName,
    team_id: slack.id.teamId,
    user_id: slack.id.botUserId,
    bot_id: slack.id.botId,
    is_enterprise_install: false,
  }),

  'apps.connections.open': ({ slack }) => ({ url: slack.socketUrl() }),

  'chat.postMessage': ({ args, slack }) => {
    const channelRef = str(args, 'channel');
    if (!channelRef) throw new ApiError('channel_not_found');
    const channel = slack.conversations.resolveChannel(channelRef);
    const content = messageContent(args);
    if (!content.hasContent) throw new ApiError('no_text');
    if (!channel.members.includes(slack.id.botUserId)) throw new ApiError('not_in_channel');
    const threadTs = str(args, 'thread_ts');
    const msg = slack.conversations.postBotMessage(channel.id, { ...content, threadTs, metadata: jsonArg(args, 'metadata', 'invalid_metadata_format') });
    return { channel: channel.id, ts: msg.ts, message: publicMessage(msg) };
  },

  'chat.update': ({ args, slack }) => {
    const channelRef = str(args, 'channel');
    const ts = str(args, 'ts');
    if (!channelRef) throw new ApiError('channel_not_found');
    if (!ts) throw missing('ts');
    const channel = slack.conversations.resolveChannel(channelRef);
    const msg = slack.workspace.findMessage(channel.id, ts);
    if (!msg) throw new ApiError('message_not_found');
    if (msg.bot_id !== slack.id.botId) throw new ApiError('cant_update_message');
    const content = messageContent(args);
    if (!content.hasContent && args.blocks === undefined && args.attachments === undefined) throw new ApiError('no_text');
    slack.conversations.updateMessage(msg, content, 'chat.update');
    return { channel: channel.id, ts: msg.ts, text: msg.text, message: publicMessage(msg) };
  },

  'chat.delete': ({ args, slack }) => {
    const channel = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    const ts = str(args, 'ts') ?? '';
    const msg = slack.workspace.findMessage(channel.id, ts);
    if (!msg) throw new ApiError('message_not_found');
    if (msg.bot_id !== slack.id.botId) throw new ApiError('cant_delete_message');
    slack.conversations.deleteMessage(msg, 'chat.delete');
    return { channel: channel.id, ts };
  },

  'chat.postEphemeral': ({ args, slack }) => {
    const channelRef = str(args, 'channel');
    if (!channelRef) throw new ApiError('channel_not_found');
    const userId = str(args, 'user');
    if (!userId) throw new ApiError('user_not_found');
    const channel = slack.conversations.resolveChannel(channelRef);
    const user = slack.workspace.users.get(userId);
    if (!user) throw new ApiError('user_not_found');
    if (!channel.members.includes(slack.id.botUserId)) throw new ApiError('not_in_channel');
    if (!channel.members.includes(user.id)) throw new ApiError('user_not_in_channel');
    const content = messageContent(args);
    if (!content.hasContent) throw new ApiError('no_text');
    const eph = slack.conversations.postEphemeral(channel.id, user.id, { ...content, threadTs: str(args, 'thread_ts') }, 'chat.postEphemeral');
    return { message_ts: eph.ts };
  },

  'chat.getPermalink': ({ args, slack }) => {
    const channel = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    const ts = str(args, 'message_ts') ?? '';
    if (!slack.workspace.findMessage(channel.id, ts)) throw new ApiError('message_not_found');
    return { channel: channel.id, permalink: `https://${slack.workspace.team.domain}.slack.com/archives/${channel.id}/p${ts.replace('.', '')}` };
  },

  'conversations.open': ({ args, slack }) => {
    const channelArg = str(args, 'channel');
    if (channelArg) {
      const c = slack.conversations.resolveChannel(channelArg);
      if (!c.is_im) throw new ApiError('method_not_supported_for_channel_type');
      return { no_op: true, already_open: true, channel: { id: c.id } };
    }
    const users = (str(args, 'users') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (users.length === 0) throw new ApiError('users_list_not_supplied');
    if (users.length > 1) throw new ApiError('not_supported_by_emulator', { detail: 'multi-person DMs are not emulated' });
    const user = slack.workspace.users.get(users[0]!);
    if (!user) throw new ApiError('user_not_found');
    const { channel, alreadyOpen } = slack.conversations.openDm(user.id);
    const body: Record<string, unknown> = { channel: { id: channel.id } };
    if (alreadyOpen) Object.assign(body, { no_op: true, already_open: true });
    if (bool(args, 'return_im'))
      body.channel = { id: channel.id, created: channel.created, is_im: true, is_org_shared: false, user: user.id, is_user_deleted: false, priority: 0 };
    return body;
  },

  'conversations.info': ({ args, slack }) => {
    const c = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    // A private channel is invisible to a bot outside it, as in Slack.
    if (c.is_private && !c.is_im && !c.members.includes(slack.id.botUserId)) throw new ApiError('channel_not_found');
    return {
      channel: c.is_im
        ? { id: c.id, created: c.created, is_im: true, is_org_shared: false, user: c.user, is_user_deleted: false }
        : {
            id: c.id,
            name: c.name,
            created: c.created,
            is_channel: c.is_channel,
            is_private: c.is_private,
            is_im: false,
            is_member: c.members.includes(slack.id.botUserId),
            num_members: c.members.length,
          },
    };
  },

  'conversations.members': ({ args, slack }) => {
    const c = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    if (c.is_private && !c.members.includes(slack.id.botUserId)) throw new ApiError('channel_not_found');
    const { page, next } = cursorPage(c.members, args);
    return { members: page, response_metadata: { next_cursor: next } };
  },

  'conversations.history': ({ args, slack }) => {
    const c = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    if (!c.members.includes(slack.id.botUserId)) throw new ApiError('not_in_channel');
    const msgs = slack.workspace.messages
      .filter((m) => m.channel === c.id && !m.deleted && (!m.thread_ts || m.thread_ts === m.ts))
      .reverse()
      .map(publicMessage);
    const { page, next } = cursorPage(msgs, args);
    return { messages: page, has_more: next !== '', response_metadata: { next_cursor: next } };
  },

  'conversations.replies': ({ args, slack }) => {
    const c = slack.conversations.resolveChannel(str(args, 'channel') ?? '');
    const ts = str(args, 'ts') ?? '';
    if (!slack.workspace.findMessage(c.id, ts)) throw new ApiError('thread_not_found');
    const msgs = slack.workspace.messages.filter((m) => m.channel === c.id && !m.deleted && (m.ts === ts || m.thread_ts === ts)).map(publicMessage);
    const { page, next } = cursorPage(msgs, args);
    return { messages: page, has_more: next !== '', response_metadata: { next_cursor: next } };
  },

  'users.info': ({ args, slack }) => {
    const id = str(args, 'user');
    const user = id ? slack.workspace.users.get(id) : undefined;
    if (!user) throw new ApiError('user_not_found');
    return { user };
  },

  'users.lookupByEmail': ({ args, slack }) => {
    const email = (str(args, 'email') ?? '').toLowerCase();
    const user = [...slack.workspace.users.values()].find((u) => u.profile.email?.toLowerCase() === email);
    if (!user) throw new ApiError('users_not_found');
    return { user };
  },

  'usergroups.list': ({ args, slack }) => ({
    usergroups: [...slack.workspace.usergroups.values()].map((g) => ({
      id: g.id,
      team_id: g.team_id,
      is_usergroup: true,
      name: g.name,
      handle: g.handle,
      user_count: g.users.length,
      ...(bool(args, 'include_users') ? { users: g.users } : {}),
    })),
  }),

  'usergroups.users.list': ({ args, slack }) => {
    const id = str(args, 'usergroup');
    if (!id) throw missing('usergroup');
    const g = slack.workspace.usergroups.get(id);
    if (!g) throw new ApiError('no_such_subteam');
    return { users: [...g.users] };
  },

  'views.open': ({ args, slack }) => {
    const trigger = str(args, 'trigger_id');
    if (!trigger) throw missing('trigger_id');
    const view = viewArg(args);
    if (view.type !== 'modal')
      throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] views.open only opens modals [json-pointer:/view/type]'] } });
    const { user } = slack.views.consumeTrigger(trigger);
    return { view: publicView(slack.views.openModal(user, view, 'open')) };
  },

  'views.push': ({ args, slack }) => {
    const trigger = str(args, 'trigger_id');
    if (!trigger) throw missing('trigger_id');
    const view = viewArg(args);
    const { user } = slack.views.consumeTrigger(trigger);
    return { view: publicView(slack.views.openModal(user, view, 'push')) };
  },

  'views.update': ({ args, slack }) => {
    const id = str(args, 'view_id');
    const externalId = str(args, 'external_id');
    if (!id && !externalId) throw missing('view_id');
    const view = viewArg(args);
    const existing = id ? slack.workspace.views.get(id) : [...slack.workspace.views.values()].find((v) => v.external_id === externalId && v.open);
    if (!existing || !existing.open) throw new ApiError('not_found');
    const hash = str(args, 'hash');
    if (hash && hash !== existing.hash) throw new ApiError('hash_conflict');
    if (view.type !== existing.type)
      throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] cannot change a view type [json-pointer:/view/type]'] } });
    return { view: publicView(slack.views.replaceView(existing, view, 'views.update')) };
  },

  'views.publish': ({ args, slack }) => {
    const userId = str(args, 'user_id');
    if (!userId) throw missing('user_id');
    const user = slack.workspace.users.get(userId);
    if (!user) throw new ApiError('user_not_found');
    const view = viewArg(args);
    if (view.type !== 'home')
      throw new ApiError('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] views.publish only publishes home tabs [json-pointer:/view/type]'] },
      });
    const existing = slack.views.homeOf(user.id);
    const hash = str(args, 'hash');
    if (existing && hash && hash !== existing.hash) throw new ApiError('hash_conflict');
    const v: View = existing ? slack.views.replaceView(existing, view, 'views.publish') : slack.views.createView(user.id, view, null);
    return { view: publicView(v) };
  },

  'files.info': ({ args, slack }) => {
    const id = str(args, 'file');
    const file = id ? slack.workspace.files.get(id) : undefined;
    if (!file || !file.completed || !slack.files.botCanSee(file)) throw new ApiError('file_not_found');
    return { file: publicFile(file), comments: [], response_metadata: { next_cursor: '' } };
  },

  'files.getUploadURLExternal': ({ args, slack }) => {
    const filename = str(args, 'filename');
    const length = Number(str(args, 'length'));
    if (!filename) throw missing('filename');
    if (!Number.isInteger(length) || length <= 0) throw missing('length');
    const file = slack.files.createFile({ name: filename, user: slack.id.botUserId, size: length });
    return { upload_url: `${slack.baseUrl()}/upload/v1/${file.id}`, file_id: file.id };
  },

  'files.completeUploadExternal': ({ args, slack }) => {
    const files = jsonArg(args, 'files', 'invalid_arguments');
    if (!Array.isArray(files) || files.length === 0) throw missing('files');
    const entries = files.map((f) => {
      const id = typeof f === 'object' && f !== null ? (f as { id?: unknown }).id : undefined;
      const file = typeof id === 'string' ? slack.workspace.files.get(id) : undefined;
      if (!file || file.content === undefined || file.user !== slack.id.botUserId) throw new ApiError('file_not_found');
      return { file, title: (f as { title?: unknown }).title };
    });
    const channelRef = str(args, 'channel_id') ?? str(args, 'channels')?.split(',')[0];
    const channel = channelRef ? slack.conversations.resolveChannel(channelRef) : undefined;
    if (channel && !channel.members.includes(slack.id.botUserId)) throw new ApiError('not_in_channel');
    for (const { file, title } of entries) {
      if (typeof title === 'string' && title !== '') file.title = title;
      file.completed = true;
    }
    const initialComment = str(args, 'initial_comment') ?? '';
    const blocks = jsonArg(args, 'blocks', 'invalid_blocks_format');
    if (blocks !== undefined) {
      const errors = validateMessage({ blocks });
      if (errors.length > 0) throw blocksError(errors);
    }
    if (channel) {
      slack.files.shareFiles(
        channel.id,
        slack.id.botUserId,
        entries.map((e) => e.file),
        {
          text: initialComment,
          blocks: Array.isArray(blocks) ? blocks : undefined,
          threadTs: str(args, 'thread_ts'),
        },
      );
    } else {
      slack.workspace.log(`files: ${entries.map((e) => `${e.file.id} ${e.file.name}`).join(', ')} uploaded by the bot, not shared`);
    }
    return { files: entries.map((e) => publicFile(e.file)) };
  },
};
