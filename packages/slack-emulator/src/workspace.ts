import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';

/** A Slack user as users.info returns it (the fields bots read). */
export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_bot: boolean;
  is_admin: boolean;
  is_app_user: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  tz: string;
  tz_offset: number;
  updated: number;
  profile: {
    real_name: string;
    display_name: string;
    email?: string;
    bot_id?: string;
    api_app_id?: string;
    team: string;
  };
}

export interface Channel {
  id: string;
  name: string;
  created: number;
  is_channel: boolean;
  is_im: boolean;
  is_private: boolean;
  /** For a DM: the human on the other side of the bot. */
  user?: string;
  members: string[];
}

export interface SlackFile {
  id: string;
  created: number;
  timestamp: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  pretty_type: string;
  user: string;
  user_team: string;
  editable: boolean;
  size: number;
  mode: 'hosted';
  is_external: false;
  external_type: string;
  is_public: boolean;
  public_url_shared: boolean;
  display_as_bot: boolean;
  username: string;
  url_private: string;
  url_private_download: string;
  permalink: string;
  channels: string[];
  groups: string[];
  ims: string[];
  /** Not part of Slack's shape: the uploaded bytes (absent until the upload URL got them). */
  content?: Buffer;
  /** Not part of Slack's shape: set by completeUploadExternal or a user upload. */
  completed: boolean;
}

export interface Message {
  type: 'message';
  subtype?: string;
  ts: string;
  channel: string;
  team: string;
  user?: string;
  /** A user's file_share carries `bot_id: null`, as Slack's documented example does. */
  bot_id?: string | null;
  app_id?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  files?: Record<string, unknown>[];
  upload?: boolean;
  edited?: { user: string; ts: string };
  metadata?: unknown;
  client_msg_id?: string;
  /** Not part of Slack's shape: set once chat.delete or delete_original removed it. */
  deleted?: boolean;
}

export interface Ephemeral {
  /** The ephemeral's message_ts; Slack never lets the app look it up again. */
  ts: string;
  channel: string;
  /** Who sees it. */
  user: string;
  /** Who sent it: the bot user, or USLACKBOT for Slack's own errors. */
  from: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  /** How it was produced: chat.postEphemeral, ack, response_url, slack. */
  via: string;
  deleted?: boolean;
  /** The response_url an interaction with this ephemeral carries (so replace_original can target it). */
  responseUrlId?: string;
}

export interface View {
  id: string;
  team_id: string;
  type: 'modal' | 'home';
  title?: unknown;
  close?: unknown;
  submit?: unknown;
  blocks: unknown[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  submit_disabled: boolean;
  root_view_id: string | null;
  previous_view_id: string | null;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
  /** Not part of Slack's shape: the user the view is shown to. */
  user: string;
  /** Not part of Slack's shape: false once closed/cleared/replaced by a push-pop. */
  open: boolean;
}

export type TranscriptEntry = { at: number; line: string };

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The workspace's state. Everything the emulator shows the bot or the test
 * lives here; every change is logged for the transcript and emitted as
 * 'change' so waits wake up.
 */
export class Workspace extends EventEmitter {
  readonly team = { id: '', name: 'Emulated Workspace', domain: 'emulated' };
  readonly users = new Map<string, SlackUser>();
  readonly channels = new Map<string, Channel>();
  readonly messages: Message[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly views = new Map<string, View>();
  readonly files = new Map<string, SlackFile>();
  readonly usergroups = new Map<string, { id: string; team_id: string; handle: string; name: string; users: string[] }>();
  readonly transcript: TranscriptEntry[] = [];
  readonly startedAt = Date.now();
  private lastTs = 0;
  private counter = 0;

  constructor() {
    super();
    this.setMaxListeners(0);
    this.team.id = this.newId('T');
  }

  /** Slack-looking ids: a type letter and 10 upper-case alphanumerics, unique within the workspace. */
  newId(prefix: string): string {
    this.counter += 1;
    const tail = this.counter.toString(36).toUpperCase().padStart(6, '0');
    const salt = Array.from(randomBytes(3), (b) => ID_ALPHABET[b % 36]).join('');
    return `${prefix}0${salt}${tail}`;
  }

  /** Strictly increasing message timestamps "seconds.micros", like Slack's. */
  nextTs(): string {
    const now = Date.now() * 1000;
    this.lastTs = Math.max(now, this.lastTs + 1);
    const s = Math.floor(this.lastTs / 1e6);
    const us = this.lastTs % 1e6;
    return `${s}.${String(us).padStart(6, '0')}`;
  }

  log(line: string): void {
    this.transcript.push({ at: Date.now(), line });
    this.changed();
  }

  changed(): void {
    this.emit('change');
  }

  userByName(name: string): SlackUser | undefined {
    const n = name.replace(/^@/, '');
    for (const u of this.users.values()) if (u.name === n || u.id === n) return u;
    return undefined;
  }

  channelByName(name: string): Channel | undefined {
    const n = name.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === n || c.id === n) return c;
    return undefined;
  }

  findMessage(channel: string, ts: string): Message | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  }

  describeUser(id: string | undefined): string {
    if (!id) return '?';
    const u = this.users.get(id);
    return u ? `@${u.name}` : id;
  }

  describeChannel(id: string): string {
    const c = this.channels.get(id);
    if (!c) return id;
    if (c.is_im) return `DM ${id} (@${this.users.get(c.user ?? '')?.name ?? c.user})`;
    return `#${c.name} (${id})`;
  }
}
