import { randomUUID } from 'node:crypto';
import type { AppIdentity } from './identity.js';
import { normalizeBlocks, publicFile, randomBlockId } from './public-shapes.js';
import { summarizeMessage } from './summary.js';
import { ApiError } from './web-api-error.js';
import type { Channel, Ephemeral, Message, SlackFile, SlackUser, Workspace } from './workspace.js';

export interface AddUserOptions {
  /** Slack handle, e.g. "jane". */
  name: string;
  email?: string;
  /** Default: the name. */
  realName?: string;
  /** Default false. */
  isAdmin?: boolean;
  /** A guest: multi-channel (is_restricted) or single-channel (is_ultra_restricted). Default: a full member. */
  guest?: 'multi-channel' | 'single-channel';
  /** A Slack Connect user from another organisation: their team id. Default: this workspace. */
  teamId?: string;
  /** Deactivated. Default false. */
  deleted?: boolean;
}

/** What a message or ephemeral says. */
export type Content = { text: string; blocks?: unknown[]; attachments?: unknown[]; threadTs?: string | undefined; metadata?: unknown };

/**
 * People and conversations: users, channels, the bot's DMs, and the messages
 * and ephemerals in them. Every new message is handed to `posted`, which
 * turns it into the event Slack would send.
 */
export class Conversations {
  private readonly dms = new Map<string, string>();

  constructor(
    private readonly ws: Workspace,
    private readonly id: AppIdentity,
    private readonly posted: (msg: Message) => void,
  ) {
    ws.users.set(id.botUserId, {
      id: id.botUserId,
      team_id: id.teamId,
      name: id.botName,
      real_name: id.botName,
      deleted: false,
      is_bot: true,
      is_admin: false,
      is_app_user: false,
      tz: 'Etc/UTC',
      tz_offset: 0,
      updated: Math.floor(Date.now() / 1000),
      profile: { real_name: id.botName, display_name: '', bot_id: id.botId, api_app_id: id.appId, team: id.teamId },
    });
  }

  // --- people and channels -----------------------------------------------------

  addUser(o: AddUserOptions): SlackUser {
    if (this.ws.userByName(o.name)) throw new Error(`user ${o.name} already exists`);
    const id = this.ws.newId('U');
    const realName = o.realName ?? o.name;
    const user: SlackUser = {
      id,
      team_id: o.teamId ?? this.id.teamId,
      name: o.name,
      real_name: realName,
      deleted: o.deleted ?? false,
      is_bot: false,
      is_admin: o.isAdmin ?? false,
      ...(o.guest ? { is_restricted: true, is_ultra_restricted: o.guest === 'single-channel' } : {}),
      is_app_user: false,
      tz: 'Europe/Amsterdam',
      tz_offset: 3600,
      updated: Math.floor(Date.now() / 1000),
      profile: { real_name: realName, display_name: o.name, team: this.id.teamId, ...(o.email ? { email: o.email } : {}) },
    };
    this.ws.users.set(id, user);
    this.ws.log(`user @${o.name} (${id}${o.email ? `, ${o.email}` : ''}) joined`);
    return user;
  }

  /** A user's id by name ("jane", "@jane") or id; throws for nobody. */
  userId(nameOrId: string): string {
    const u = this.ws.userByName(nameOrId);
    if (!u) throw new Error(`no user ${nameOrId}`);
    return u.id;
  }

  addChannel(o: { name: string; members?: string[]; private?: boolean; botMember?: boolean }): Channel {
    // New private channels get C ids too on today's Slack.
    const id = this.ws.newId('C');
    const members = (o.members ?? []).map((m) => this.userId(m));
    if (o.botMember !== false) members.unshift(this.id.botUserId);
    const channel: Channel = {
      id,
      name: o.name,
      created: Math.floor(Date.now() / 1000),
      is_channel: true,
      is_im: false,
      is_private: o.private ?? false,
      members,
    };
    this.ws.channels.set(id, channel);
    this.ws.log(`channel #${o.name} (${id}) created`);
    return channel;
  }

  join(users: string[], channel: string): void {
    const c = this.resolveChannel(channel);
    for (const u of users) {
      const id = this.userId(u);
      if (!c.members.includes(id)) c.members.push(id);
      this.ws.log(`${this.ws.describeUser(id)} joined ${this.ws.describeChannel(c.id)}`);
    }
  }

  leave(users: string[], channel: string): void {
    const c = this.resolveChannel(channel);
    for (const u of users) {
      const id = u === this.id.botUserId || u === this.id.botName ? this.id.botUserId : this.userId(u);
      c.members = c.members.filter((m) => m !== id);
      this.ws.log(`${this.ws.describeUser(id)} left ${this.ws.describeChannel(c.id)}`);
    }
  }

  addUsergroup(o: { handle: string; name?: string; users: string[] }): string {
    const id = this.ws.newId('S');
    this.ws.usergroups.set(id, { id, team_id: this.id.teamId, handle: o.handle, name: o.name ?? o.handle, users: o.users.map((u) => this.userId(u)) });
    this.ws.log(`user group @${o.handle} (${id}) = ${o.users.join(', ')}`);
    return id;
  }

  /** A channel by id (C/G/D), by user id (the bot's DM with them) or by #name; else channel_not_found. */
  resolveChannel(ref: string): Channel {
    const direct = this.ws.channels.get(ref);
    if (direct) return direct;
    const user = ref.startsWith('U') || ref.startsWith('W') ? this.ws.users.get(ref) : undefined;
    if (user && !user.is_bot) return this.openDm(user.id).channel;
    const byName = ref.startsWith('#') ? this.ws.channelByName(ref) : undefined;
    if (byName) return byName;
    throw new ApiError('channel_not_found');
  }

  /** As resolveChannel, also by bare name, for tests; throws a plain error for nothing. */
  resolveChannelLoose(ref: string): string {
    try {
      return this.resolveChannel(ref).id;
    } catch {
      const c = this.ws.channelByName(ref);
      if (c) return c.id;
      throw new Error(`no channel ${ref} in the emulated workspace`);
    }
  }

  /** The bot's DM with a user (D…), created on first use. */
  openDm(userId: string): { channel: Channel; alreadyOpen: boolean } {
    const existing = this.dms.get(userId);
    if (existing) return { channel: this.ws.channels.get(existing)!, alreadyOpen: true };
    const id = this.ws.newId('D');
    const channel: Channel = {
      id,
      name: id,
      created: Math.floor(Date.now() / 1000),
      is_channel: false,
      is_im: true,
      is_private: true,
      user: userId,
      members: [userId, this.id.botUserId],
    };
    this.ws.channels.set(id, channel);
    this.dms.set(userId, id);
    this.ws.log(`DM ${id} opened between @${this.id.botName} and ${this.ws.describeUser(userId)}`);
    return { channel, alreadyOpen: false };
  }

  /** `channel_name` as payloads carry it. */
  channelNameFor(channelId: string): string {
    const c = this.ws.channels.get(channelId);
    if (!c) return channelId;
    return c.is_im ? 'directmessage' : c.is_private ? 'privategroup' : c.name;
  }

  // --- messages and ephemerals ---------------------------------------------------

  /** Current (not deleted) messages of a channel, by id or name, oldest first, thread replies included. */
  messagesIn(channel: string): Message[] {
    const c = this.resolveChannelLoose(channel);
    return this.ws.messages.filter((m) => m.channel === c && !m.deleted);
  }

  /** Every ephemeral shown in a channel (to anyone). */
  ephemeralsIn(channel: string): Ephemeral[] {
    const c = this.resolveChannelLoose(channel);
    return this.ws.ephemerals.filter((e) => e.channel === c && !e.deleted);
  }

  private botProfile(): Record<string, unknown> {
    return {
      id: this.id.botId,
      app_id: this.id.appId,
      name: this.id.botName,
      icons: {},
      deleted: false,
      updated: Math.floor(this.ws.startedAt / 1000),
      team_id: this.id.teamId,
    };
  }

  /** Posts as the bot (chat.postMessage, in_channel responses, file shares). */
  postBotMessage(channelId: string, c: Content & { files?: SlackFile[]; via?: string }): Message {
    const msg: Message = {
      type: 'message',
      ts: this.ws.nextTs(),
      channel: channelId,
      team: this.id.teamId,
      user: this.id.botUserId,
      bot_id: this.id.botId,
      app_id: this.id.appId,
      text: c.text,
    };
    if (c.blocks) msg.blocks = normalizeBlocks(c.blocks);
    if (c.attachments) msg.attachments = c.attachments;
    if (c.metadata !== undefined) msg.metadata = c.metadata;
    if (c.files) {
      msg.subtype = 'file_share';
      msg.files = c.files.map(publicFile);
      msg.upload = true;
    }
    (msg as Message & { bot_profile: unknown }).bot_profile = this.botProfile();
    this.addMessage(msg, c.threadTs, c.via ?? 'chat.postMessage');
    return msg;
  }

  /** Posts as a human (the driver's say/upload). */
  postUserMessage(channelId: string, userId: string, c: Content & { files?: SlackFile[] }): Message {
    const msg: Message = {
      type: 'message',
      ts: this.ws.nextTs(),
      channel: channelId,
      team: this.id.teamId,
      user: userId,
      text: c.text,
      client_msg_id: randomUUID(),
    };
    if (c.text) {
      msg.blocks = [{ type: 'rich_text', block_id: randomBlockId(), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: c.text }] }] }];
    }
    if (c.files) {
      msg.subtype = 'file_share';
      msg.files = c.files.map(publicFile);
      msg.upload = true;
      (msg as Message & { display_as_bot: boolean }).display_as_bot = false;
      msg.bot_id = null;
      delete msg.client_msg_id;
    }
    this.addMessage(msg, c.threadTs, 'user');
    return msg;
  }

  private addMessage(msg: Message, threadTs: string | undefined, via: string): void {
    if (threadTs) {
      msg.thread_ts = threadTs;
      const parent = this.ws.findMessage(msg.channel, threadTs);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.latest_reply = msg.ts;
      }
    }
    this.ws.messages.push(msg);
    this.ws.log(
      `${this.ws.describeChannel(msg.channel)}: ${this.ws.describeUser(msg.user)} posted ts=${msg.ts}${msg.thread_ts ? ` in thread ${msg.thread_ts}` : ''} (${via}): ${summarizeMessage(msg)}`,
    );
    this.posted(msg);
  }

  updateMessage(msg: Message, c: Content, via: string): void {
    msg.text = c.text;
    if (c.blocks) msg.blocks = normalizeBlocks(c.blocks);
    else delete msg.blocks;
    if (c.attachments) msg.attachments = c.attachments;
    else delete msg.attachments;
    msg.edited = { user: this.id.botUserId, ts: this.ws.nextTs() };
    this.ws.log(`${this.ws.describeChannel(msg.channel)}: message ts=${msg.ts} updated (${via}): ${summarizeMessage(msg)}`);
  }

  deleteMessage(msg: Message, via: string): void {
    msg.deleted = true;
    this.ws.log(`${this.ws.describeChannel(msg.channel)}: message ts=${msg.ts} deleted (${via})`);
  }

  postEphemeral(channelId: string, userId: string, c: Content, via: string, from: string = this.id.botUserId): Ephemeral {
    const eph: Ephemeral = { ts: this.ws.nextTs(), channel: channelId, user: userId, from, text: c.text, via };
    if (c.blocks) eph.blocks = normalizeBlocks(c.blocks);
    if (c.attachments) eph.attachments = c.attachments;
    if (c.threadTs) eph.thread_ts = c.threadTs;
    this.ws.ephemerals.push(eph);
    this.ws.log(
      `${this.ws.describeChannel(channelId)}: ephemeral to ${this.ws.describeUser(userId)} from ${from === 'USLACKBOT' ? 'Slackbot' : this.ws.describeUser(from)} (${via}): ${summarizeMessage(eph)}`,
    );
    return eph;
  }
}
