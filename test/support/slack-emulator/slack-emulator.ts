import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleepAbortable } from 'node:timers/promises';
import { validateMessage } from './block-kit.js';
import { Faults, RateLimiter, type RateLimit } from './faults.js';
import { mediaType, parseForm, parseMultipart, readBody, sendJson, sendText } from './http-util.js';
import { postSigned, type SignedPostResult } from './signing.js';
import { SocketModeHub, type Envelope, type EnvelopeType } from './socket-mode.js';
import { renderTranscript } from './transcript.js';
import { summarizeBlocks, summarizeMessage } from './summary.js';
import { UserDriver } from './driver.js';
import { ALL_BOT_SCOPES, ApiError, METHODS, scopesFor, type TokenKind } from './web-api.js';
import { Workspace, type Channel, type Ephemeral, type Message, type SlackFile, type SlackUser, type View } from './workspace.js';

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

export interface SlackEmulatorOptions {
  /** Default "csrbot". */
  botName?: string;
  /** Name of the admin channel, created with the bot in it. Default "csr-admins". */
  adminChannel?: string;
  /** Users created at start. */
  users?: AddUserOptions[];
  /** Slash commands the app declares; others get Slack's "not a valid command". Default ["/cert"]. */
  commands?: string[];
  /** Event types the app subscribes to. Default ["message.im", "app_home_opened"]. */
  events?: string[];
  /** Ack budget for every delivery. Default 3000 ms, as Slack. */
  ackTimeoutMs?: number;
  /** Delays before events retries 1, 2, 3 (Slack: immediately, 1 min, 5 min). Default [0, 1000, 5000]. */
  eventRetryDelaysMs?: number[];
  /** How long a trigger_id stays valid. Default 3000 ms, as Slack. */
  triggerTtlMs?: number;
  /** Per-method budgets, e.g. { "chat.postMessage": { limit: 1, windowMs: 1000 } }. Default none. */
  rateLimits?: Record<string, RateLimit>;
  /** Interval of server pings on Socket Mode connections. Default 5000 ms; 0 disables. */
  pingIntervalMs?: number;
  /** Default timeout of waits (waitForDm, waitForMessage...). Default 5000 ms. */
  waitTimeoutMs?: number;
  /** Bot token scopes (x-oauth-scopes; a method needing another answers missing_scope). Default every scope the emulated methods use. */
  scopes?: string[];
}

/** One Web API call as the emulator saw it. */
export interface CallRecord {
  method: string;
  args: Record<string, unknown>;
  token?: TokenKind;
  status: number;
  ok: boolean;
  error?: string;
  response?: unknown;
  at: number;
}

/** The outcome of delivering one envelope/request to the bot. */
export interface DeliveryOutcome {
  acked: boolean;
  via: 'socket' | 'http' | 'none';
  /** The ack's payload (Socket Mode) or the parsed response body (HTTP); absent when empty. */
  payload?: Record<string, unknown>;
  /** HTTP mode: the bot's status code. */
  status?: number;
  /** Why it was not acked: timeout, no_connection, http_error, http_timeout, connection_failed. */
  reason?: string;
  ms: number;
}

export interface DeliveryRecord extends DeliveryOutcome {
  type: EnvelopeType;
  label: string;
  attempt: number;
  at: number;
  /** The payload as delivered (event_callback body, command fields, interaction payload). */
  body: Record<string, unknown>;
}

export interface BotRef {
  readonly kind: 'bot';
  readonly userId: string;
  readonly name: string;
}

export interface WaitOptions {
  timeoutMs?: number;
}

interface ResponseUrlContext {
  kind: 'command' | 'action';
  user: string;
  channel: string;
  messageTs?: string;
  ephemeral?: Ephemeral;
  createdAt: number;
  uses: number;
}

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

type Content = { text: string; blocks?: unknown[]; attachments?: unknown[]; threadTs?: string | undefined; metadata?: unknown };

/**
 * A local Slack for one test file: an HTTP + WebSocket server an unmodified
 * Bolt App / WebClient talks to through `slackApiUrl`, a workspace model,
 * delivery to the bot (Socket Mode or signed HTTP), and a driver that acts
 * like the humans in the workspace. See README.md next to this file.
 */
export class SlackEmulator {
  readonly workspace = new Workspace();
  readonly faults = new Faults();
  readonly rateLimits: RateLimiter;
  readonly socketMode: SocketModeHub;
  readonly deliveries: DeliveryRecord[] = [];
  readonly callLog: CallRecord[] = [];

  readonly botName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret = randomBytes(16).toString('hex');
  /** The deprecated verification token Slack still puts in payloads' `token`. */
  readonly verificationToken = randomBytes(12).toString('base64url');
  readonly adminChannelId: string;

  private readonly opts: Required<Omit<SlackEmulatorOptions, 'users' | 'rateLimits' | 'botName' | 'adminChannel' | 'scopes'>>;
  /** The bot token's scopes; change with setScopes (a reinstall with other scopes). */
  private botScopes: string[];
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly abort = new AbortController();
  private readonly background = new Set<Promise<unknown>>();
  /** HTTP requests to the emulator (Web API, uploads, downloads, response_url) not yet answered. */
  private requestsInFlight = 0;
  /** Deliveries to the bot sent and not yet acked, answered or timed out. */
  private deliveriesInFlight = 0;
  private readonly triggers = new Map<string, { user: string; at: number; used: boolean }>();
  private readonly responseUrls = new Map<string, ResponseUrlContext>();
  private readonly modalStacks = new Map<string, string[]>();
  private readonly dms = new Map<string, string>();
  private readonly drivers = new Map<string, UserDriver>();
  private httpTarget: string | undefined;
  private stopped = false;

  private constructor(options: SlackEmulatorOptions) {
    this.opts = {
      commands: options.commands ?? ['/cert'],
      events: options.events ?? ['message.im', 'app_home_opened'],
      ackTimeoutMs: options.ackTimeoutMs ?? 3000,
      eventRetryDelaysMs: options.eventRetryDelaysMs ?? [0, 1000, 5000],
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      pingIntervalMs: options.pingIntervalMs ?? 5000,
      waitTimeoutMs: options.waitTimeoutMs ?? 5000,
    };
    const ws = this.workspace;
    this.botScopes = [...(options.scopes ?? ALL_BOT_SCOPES)];
    this.rateLimits = new RateLimiter(options.rateLimits);
    this.botName = options.botName ?? 'csrbot';
    this.botUserId = ws.newId('U');
    this.botId = ws.newId('B');
    this.appId = ws.newId('A');
    this.botToken = `xoxb-${Date.now() % 1e12}-${Math.floor(Math.random() * 1e12)}-${randomBytes(12).toString('base64url')}`;
    this.appToken = `xapp-1-${this.appId}-${Date.now() % 1e12}-${randomBytes(32).toString('hex')}`;
    this.socketMode = new SocketModeHub(
      this.appId,
      (l) => ws.log(l),
      this.opts.pingIntervalMs,
      (key) => this.faults.take(key),
    );
    ws.users.set(this.botUserId, {
      id: this.botUserId,
      team_id: ws.team.id,
      name: this.botName,
      real_name: this.botName,
      deleted: false,
      is_bot: true,
      is_admin: false,
      is_app_user: false,
      tz: 'Etc/UTC',
      tz_offset: 0,
      updated: Math.floor(Date.now() / 1000),
      profile: { real_name: this.botName, display_name: '', bot_id: this.botId, api_app_id: this.appId, team: ws.team.id },
    });
    this.adminChannelId = this.addChannel({ name: options.adminChannel ?? 'csr-admins', private: true }).id;
    for (const u of options.users ?? []) this.addUser(u);
  }

  /** Starts an emulator on 127.0.0.1 and a free port. */
  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const emu = new SlackEmulator(options);
    await emu.listen();
    return emu;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.requestsInFlight += 1;
      res.once('close', () => (this.requestsInFlight -= 1));
      this.route(req, res).catch((err: unknown) => {
        this.workspace.log(`emulator bug: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
        else res.destroy();
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req, socket, head) => this.socketMode.handleUpgrade(req, socket, head));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Closes every server, socket, timer and pending wait. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.workspace.emit('stop');
    await this.socketMode.close();
    await Promise.allSettled([...this.background]);
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      server.closeAllConnections();
      await closed;
    }
  }

  // --- addresses and identities ----------------------------------------------

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Give this to `clientOptions.slackApiUrl` (it ends with /api/). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get teamId(): string {
    return this.workspace.team.id;
  }

  get bot(): BotRef {
    return { kind: 'bot', userId: this.botUserId, name: this.botName };
  }

  get options(): Readonly<typeof this.opts> {
    return this.opts;
  }

  // --- workspace setup -------------------------------------------------------

  /** Adds a human; returns the driver that acts as them. */
  addUser(o: AddUserOptions): UserDriver {
    if (this.workspace.userByName(o.name)) throw new Error(`user ${o.name} already exists`);
    const id = this.workspace.newId('U');
    const realName = o.realName ?? o.name;
    const user: SlackUser = {
      id,
      team_id: o.teamId ?? this.teamId,
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
      profile: { real_name: realName, display_name: o.name, team: this.teamId, ...(o.email ? { email: o.email } : {}) },
    };
    this.workspace.users.set(id, user);
    this.workspace.log(`user @${o.name} (${id}${o.email ? `, ${o.email}` : ''}) joined`);
    return this.user(id);
  }

  /** The driver for a user, by name ("jane", "@jane") or id. */
  user(nameOrId: string): UserDriver {
    const u = this.workspace.userByName(nameOrId);
    if (!u || u.is_bot) throw new Error(`no user ${nameOrId} in the emulated workspace (add it with emu.addUser)`);
    let d = this.drivers.get(u.id);
    if (!d) {
      d = new UserDriver(this, u);
      this.drivers.set(u.id, d);
    }
    return d;
  }

  /** Adds a public (or private) channel; members by name or id. The bot is a member unless botMember is false. */
  addChannel(o: { name: string; members?: string[]; private?: boolean; botMember?: boolean }): Channel {
    // New private channels get C ids too on today's Slack.
    const id = this.workspace.newId('C');
    const members = (o.members ?? []).map((m) => this.userId(m));
    if (o.botMember !== false) members.unshift(this.botUserId);
    const channel: Channel = {
      id,
      name: o.name,
      created: Math.floor(Date.now() / 1000),
      is_channel: true,
      is_im: false,
      is_private: o.private ?? false,
      members,
    };
    this.workspace.channels.set(id, channel);
    this.workspace.log(`channel #${o.name} (${id}) created`);
    return channel;
  }

  /** Adds users (names or ids) to a channel (default: the admin channel). */
  join(users: string[], channel: string = this.adminChannelId): void {
    const c = this.resolveChannel(channel);
    for (const u of users) {
      const id = this.userId(u);
      if (!c.members.includes(id)) c.members.push(id);
      this.workspace.log(`${this.workspace.describeUser(id)} joined ${this.workspace.describeChannel(c.id)}`);
    }
  }

  /** Removes users (names or ids; the bot too, by emu.botUserId or its name) from a channel (default: the admin channel). */
  leave(users: string[], channel: string = this.adminChannelId): void {
    const c = this.resolveChannel(channel);
    for (const u of users) {
      const id = u === this.botUserId || u === this.botName ? this.botUserId : this.userId(u);
      c.members = c.members.filter((m) => m !== id);
      this.workspace.log(`${this.workspace.describeUser(id)} left ${this.workspace.describeChannel(c.id)}`);
    }
  }

  /** The bot token's scopes from now on, as after reinstalling the app with other scopes. */
  setScopes(scopes: string[]): void {
    this.botScopes = [...scopes];
    this.workspace.log(`bot token scopes: ${scopes.join(', ') || 'none'}`);
  }

  get scopes(): readonly string[] {
    return this.botScopes;
  }

  /** Adds a user group (subteam S…) with members by name or id; returns its id. */
  addUsergroup(o: { handle: string; name?: string; users: string[] }): string {
    const id = this.workspace.newId('S');
    this.workspace.usergroups.set(id, { id, team_id: this.teamId, handle: o.handle, name: o.name ?? o.handle, users: o.users.map((u) => this.userId(u)) });
    this.workspace.log(`user group @${o.handle} (${id}) = ${o.users.join(', ')}`);
    return id;
  }

  private userId(nameOrId: string): string {
    const u = this.workspace.userByName(nameOrId);
    if (!u) throw new Error(`no user ${nameOrId}`);
    return u.id;
  }

  /**
   * HTTP mode: deliver events, commands and interactions to this request URL
   * (e.g. `http://127.0.0.1:3000/slack/events`) instead of Socket Mode. `null` switches back.
   */
  deliverTo(url: string | null): void {
    this.httpTarget = url ?? undefined;
    this.workspace.log(url ? `app request URL set to ${url} (HTTP mode)` : 'app switched to Socket Mode');
  }

  // --- inspection ------------------------------------------------------------

  /** Web API calls seen, optionally only one method's. */
  calls(method?: string): CallRecord[] {
    return method ? this.callLog.filter((c) => c.method === method) : [...this.callLog];
  }

  /** Current (not deleted) messages of a channel, by id or name, oldest first, thread replies included. */
  messagesIn(channel: string): Message[] {
    const c = this.resolveChannelLoose(channel);
    return this.workspace.messages.filter((m) => m.channel === c && !m.deleted);
  }

  /** Every ephemeral shown in a channel (to anyone). */
  ephemeralsIn(channel: string): Ephemeral[] {
    const c = this.resolveChannelLoose(channel);
    return this.workspace.ephemerals.filter((e) => e.channel === c && !e.deleted);
  }

  /** The DM channel id between the bot and a user, opening it if needed. */
  dmWith(user: string): string {
    return this.openDm(this.userId(user)).channel.id;
  }

  file(id: string): SlackFile | undefined {
    return this.workspace.files.get(id);
  }

  /** A readable account of everything that happened, for failure messages. */
  transcript(): string {
    return renderTranscript(this);
  }

  /**
   * Resolves when `probe` returns something truthy; re-probes on every workspace change.
   * On timeout rejects with `description` and the transcript.
   */
  waitFor<T>(probe: () => T | undefined | null | false, description: string, o: WaitOptions = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? this.opts.waitTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v) {
          done();
          resolve(v);
          return true;
        }
        return false;
      };
      const onStop = (): void => {
        done();
        reject(new Error(`Slack emulator stopped while waiting for ${description}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}\n\n${this.transcript()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.workspace.off('change', check);
        this.workspace.off('stop', onStop);
      };
      this.workspace.on('change', check);
      this.workspace.on('stop', onStop);
      check();
    });
  }

  /** Waits for a (current) message in a channel that matches. */
  waitForMessage(channel: string, pred: (m: Message) => boolean, o: WaitOptions = {}): Promise<Message> {
    return this.waitFor(
      () => this.messagesIn(channel).find(pred),
      `a message in ${this.workspace.describeChannel(this.resolveChannelLoose(channel))} matching ${pred.toString()}`,
      o,
    );
  }

  /** Resolves once no delivery or retry is in flight. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * What the emulator is busy with at this moment; all zero when nothing is
   * under way. `requests`: calls to the emulator (Web API, upload, download,
   * response_url) not yet answered. `deliveries`: envelopes or HTTP deliveries
   * to the bot waiting for their ack. `events`: event deliveries not
   * finished, a retry still scheduled included.
   */
  inFlight(): { requests: number; deliveries: number; events: number } {
    return { requests: this.requestsInFlight, deliveries: this.deliveriesInFlight, events: this.background.size };
  }

  // --- Socket Mode controls --------------------------------------------------

  /** Sends Slack's `disconnect` (reason refresh_requested, warning, link_disabled…) to one connection or all. */
  disconnectSockets(reason = 'refresh_requested', connection?: number): void {
    this.socketMode.disconnect(reason, connection);
  }

  /** Cuts Socket Mode connections without a close frame. */
  dropSockets(connection?: number): void {
    this.socketMode.drop(connection);
  }

  // --- HTTP server -------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const path = url.pathname;
    if (path.startsWith('/api/')) return this.handleApi(path.slice('/api/'.length), url, req, res);
    if (path.startsWith('/upload/v1/') && req.method === 'POST') return this.handleUpload(path.slice('/upload/v1/'.length), req, res);
    if (path.startsWith('/files-pri/') && (req.method === 'GET' || req.method === 'HEAD')) return this.handleDownload(path, req, res);
    if ((path.startsWith('/commands/') || path.startsWith('/actions/')) && req.method === 'POST') return this.handleResponseUrl(path, req, res);
    sendText(res, 404, 'not found');
  }

  /** Applies an injected fault; true when the fault fully answered (or dropped) the request. */
  private async applyFault(key: string, res: ServerResponse, record?: CallRecord): Promise<boolean> {
    const fault = this.faults.take(key);
    if (!fault) return false;
    if (fault.delayMs) {
      this.workspace.log(`fault: ${key} answers after ${fault.delayMs} ms`);
      await this.sleep(fault.delayMs);
    }
    if (fault.drop) {
      this.workspace.log(`fault: ${key} connection dropped`);
      if (record) Object.assign(record, { status: 0, ok: false, error: 'dropped' });
      res.socket?.destroy();
      return true;
    }
    if (fault.error) {
      this.workspace.log(`fault: ${key} answers error ${fault.error}`);
      if (record) Object.assign(record, { status: 200, ok: false, error: fault.error });
      sendJson(res, 200, { ok: false, error: fault.error });
      return true;
    }
    if (fault.status !== undefined) {
      const status = fault.status;
      this.workspace.log(`fault: ${key} answers HTTP ${status}`);
      const headers: Record<string, string> = status === 429 ? { 'retry-after': String(fault.retryAfterSec ?? 1) } : {};
      const body = fault.body ?? (status === 429 ? { ok: false, error: 'ratelimited' } : { ok: false, error: status >= 500 ? 'internal_error' : 'fault' });
      if (record) Object.assign(record, { status, ok: false, error: (body as { error?: string }).error ?? `http_${status}` });
      sendJson(res, status, body, headers);
      return true;
    }
    return false;
  }

  private async handleApi(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const type = mediaType(req.headers['content-type']);
    let args: Record<string, unknown> = Object.fromEntries(url.searchParams.entries());
    let tokenFromBodyAllowed = true;
    try {
      if (raw.length > 0) {
        if (type === 'application/json') {
          // Slack refuses a token inside a JSON body: it must come as a Bearer header.
          tokenFromBodyAllowed = false;
          Object.assign(args, JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
        } else if (type === 'multipart/form-data') {
          for (const p of parseMultipart(raw, req.headers['content-type'] ?? '')) args[p.name] = p.filename !== undefined ? p.data : p.data.toString('utf8');
        } else {
          Object.assign(args, parseForm(raw.toString('utf8')));
        }
      }
    } catch {
      sendJson(res, 200, { ok: false, error: 'invalid_json' });
      return;
    }
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const token = bearer || (tokenFromBodyAllowed && typeof args.token === 'string' ? args.token : undefined);
    const { token: _dropped, ...loggedArgs } = args;
    args = loggedArgs;
    const record: CallRecord = { method, args, status: 200, ok: false, at: Date.now() };
    this.callLog.push(record);
    if (await this.applyFault(method, res, record)) return;

    let granted: string | undefined;
    let accepted: string | undefined;
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      // Slack names the token's scopes (and the method's) on every authenticated answer.
      if (granted !== undefined)
        headers = { 'x-oauth-scopes': granted, ...(accepted !== undefined ? { 'x-accepted-oauth-scopes': accepted } : {}), ...headers };
      record.status = status;
      record.ok = body.ok === true;
      if (typeof body.error === 'string') record.error = body.error;
      record.response = body;
      if (!record.ok)
        this.workspace.log(`api: ${method} → ${body.error as string}${Array.isArray(body.errors) ? ` ${(body.errors as string[]).join('; ')}` : ''}`);
      sendJson(res, status, body, headers);
      this.workspace.changed();
    };

    const handler = METHODS[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });
    let kind: TokenKind | undefined;
    if (method !== 'api.test') {
      if (!token) return answer(200, { ok: false, error: 'not_authed' });
      if (token === this.botToken) kind = 'bot';
      else if (token === this.appToken) kind = 'app';
      else return answer(200, { ok: false, error: 'invalid_auth' });
      record.token = kind;
      granted = kind === 'bot' ? this.botScopes.join(',') : 'connections:write';
      const needs: TokenKind = method === 'apps.connections.open' ? 'app' : 'bot';
      if (kind !== needs) return answer(200, { ok: false, error: 'not_allowed_token_type' });
      const scopes = kind === 'bot' ? scopesFor(method, args, this) : undefined;
      if (scopes) {
        accepted = scopes.join(',');
        if (!scopes.some((sc) => this.botScopes.includes(sc))) return answer(200, { ok: false, error: 'missing_scope', needed: scopes[0], provided: granted });
      }
    }
    const limited = this.rateLimits.check(method);
    if (limited.limited) {
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited.retryAfterSec) });
    }
    try {
      const result = await handler({ method, args, token: kind ?? 'bot', emu: this });
      answer(200, { ok: true, ...result });
    } catch (err) {
      if (err instanceof ApiError) answer(200, { ok: false, error: err.error, ...err.extra });
      else throw err;
    }
  }

  private async handleUpload(fileId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (await this.applyFault('upload', res)) return;
    const file = this.workspace.files.get(fileId);
    if (!file || file.completed || file.content !== undefined) return sendText(res, 404, 'upload url expired or unknown');
    let content = raw;
    if (mediaType(req.headers['content-type']) === 'multipart/form-data') {
      const parts = parseMultipart(raw, req.headers['content-type'] ?? '');
      const part = parts.find((p) => p.name === 'body') ?? parts.find((p) => p.name === 'file') ?? parts.find((p) => p.filename !== undefined);
      if (!part) return sendText(res, 400, 'no file part named body');
      content = part.data;
    }
    file.content = content;
    file.size = content.length;
    this.workspace.log(`files: ${file.id} ${file.name} received ${content.length} bytes at the upload URL`);
    sendText(res, 200, `OK - ${content.length}`);
  }

  private async handleDownload(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.applyFault('download', res)) return;
    const m = /^\/files-pri\/([A-Z0-9]+)-([A-Z0-9]+)\//.exec(path);
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (bearer !== this.botToken) {
      // Slack sends an unauthenticated browser-less client to the sign-in page.
      this.workspace.log(`files: download of ${path} without a valid bot token → 302 to sign-in`);
      res.writeHead(302, { location: `${this.baseUrl}/signin?redir=${encodeURIComponent(path)}`, 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Sign in to Emulated Workspace</body></html>');
      return;
    }
    const file = m ? this.workspace.files.get(m[2]!) : undefined;
    if (!file || !file.completed || file.content === undefined || !this.botCanSee(file)) return sendText(res, 404, 'file not found');
    const headers: Record<string, string | number> = { 'content-type': file.mimetype, 'content-length': file.content.length };
    if (path.includes('/download/')) headers['content-disposition'] = `attachment; filename="${file.name}"`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.content);
  }

  // --- workspace operations used by the Web API and the driver -----------------

  /** A channel by id (C/G/D), by user id (the bot's DM with them) or by #name; else channel_not_found. */
  resolveChannel(ref: string): Channel {
    const direct = this.workspace.channels.get(ref);
    if (direct) return direct;
    const user = ref.startsWith('U') || ref.startsWith('W') ? this.workspace.users.get(ref) : undefined;
    if (user && !user.is_bot) return this.openDm(user.id).channel;
    const byName = ref.startsWith('#') ? this.workspace.channelByName(ref) : undefined;
    if (byName) return byName;
    throw new ApiError('channel_not_found');
  }

  private resolveChannelLoose(ref: string): string {
    try {
      return this.resolveChannel(ref).id;
    } catch {
      const c = this.workspace.channelByName(ref);
      if (c) return c.id;
      throw new Error(`no channel ${ref} in the emulated workspace`);
    }
  }

  /** The bot's DM with a user (D…), created on first use. */
  openDm(userId: string): { channel: Channel; alreadyOpen: boolean } {
    const existing = this.dms.get(userId);
    if (existing) return { channel: this.workspace.channels.get(existing)!, alreadyOpen: true };
    const id = this.workspace.newId('D');
    const channel: Channel = {
      id,
      name: id,
      created: Math.floor(Date.now() / 1000),
      is_channel: false,
      is_im: true,
      is_private: true,
      user: userId,
      members: [userId, this.botUserId],
    };
    this.workspace.channels.set(id, channel);
    this.dms.set(userId, id);
    this.workspace.log(`DM ${id} opened between @${this.botName} and ${this.workspace.describeUser(userId)}`);
    return { channel, alreadyOpen: false };
  }

  private botProfile(): Record<string, unknown> {
    return {
      id: this.botId,
      app_id: this.appId,
      name: this.botName,
      icons: {},
      deleted: false,
      updated: Math.floor(this.workspace.startedAt / 1000),
      team_id: this.teamId,
    };
  }

  /** Posts as the bot (chat.postMessage, in_channel responses, file shares). */
  postBotMessage(channelId: string, c: Content & { files?: SlackFile[]; via?: string }): Message {
    const msg: Message = {
      type: 'message',
      ts: this.workspace.nextTs(),
      channel: channelId,
      team: this.teamId,
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      text: c.text,
    };
    if (c.blocks) msg.blocks = normalizeBlocks(c.blocks);
    if (c.attachments) msg.attachments = c.attachments;
    if (c.metadata !== undefined) msg.metadata = c.metadata;
    if (c.files) {
      msg.subtype = 'file_share';
      msg.files = c.files.map((f) => this.publicFile(f));
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
      ts: this.workspace.nextTs(),
      channel: channelId,
      team: this.teamId,
      user: userId,
      text: c.text,
      client_msg_id: randomUUID(),
    };
    if (c.text) {
      msg.blocks = [{ type: 'rich_text', block_id: randomBlockId(), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: c.text }] }] }];
    }
    if (c.files) {
      msg.subtype = 'file_share';
      msg.files = c.files.map((f) => this.publicFile(f));
      msg.upload = true;
      (msg as Message & { display_as_bot: boolean }).display_as_bot = false;
      delete msg.client_msg_id;
    }
    this.addMessage(msg, c.threadTs, 'user');
    return msg;
  }

  private addMessage(msg: Message, threadTs: string | undefined, via: string): void {
    if (threadTs) {
      msg.thread_ts = threadTs;
      const parent = this.workspace.findMessage(msg.channel, threadTs);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.latest_reply = msg.ts;
      }
    }
    this.workspace.messages.push(msg);
    this.workspace.log(
      `${this.workspace.describeChannel(msg.channel)}: ${this.workspace.describeUser(msg.user)} posted ts=${msg.ts}${msg.thread_ts ? ` in thread ${msg.thread_ts}` : ''} (${via}): ${summarizeMessage(msg)}`,
    );
    this.messageEvent(msg);
  }

  /** Delivers the message event Slack would send for a new message, if the app subscribes to it. */
  private messageEvent(msg: Message): void {
    const channel = this.workspace.channels.get(msg.channel);
    if (!channel || !channel.members.includes(this.botUserId)) return;
    const channelType = channel.is_im ? 'im' : channel.is_private ? 'group' : 'channel';
    const subscription = channel.is_im ? 'message.im' : channel.is_private ? 'message.groups' : 'message.channels';
    if (!this.opts.events.includes(subscription)) return;
    const { deleted: _d, ...event } = msg;
    this.deliverEvent(
      { ...event, event_ts: msg.ts, channel_type: channelType },
      `message.${channelType} ${msg.ts} from ${this.workspace.describeUser(msg.user)}`,
    );
  }

  updateMessage(msg: Message, c: Content, via: string): void {
    msg.text = c.text;
    if (c.blocks) msg.blocks = normalizeBlocks(c.blocks);
    else delete msg.blocks;
    if (c.attachments) msg.attachments = c.attachments;
    else delete msg.attachments;
    msg.edited = { user: this.botUserId, ts: this.workspace.nextTs() };
    this.workspace.log(`${this.workspace.describeChannel(msg.channel)}: message ts=${msg.ts} updated (${via}): ${summarizeMessage(msg)}`);
  }

  deleteMessage(msg: Message, via: string): void {
    msg.deleted = true;
    this.workspace.log(`${this.workspace.describeChannel(msg.channel)}: message ts=${msg.ts} deleted (${via})`);
  }

  postEphemeral(channelId: string, userId: string, c: Content, via: string, from: string = this.botUserId): Ephemeral {
    const eph: Ephemeral = { ts: this.workspace.nextTs(), channel: channelId, user: userId, from, text: c.text, via };
    if (c.blocks) eph.blocks = normalizeBlocks(c.blocks);
    if (c.attachments) eph.attachments = c.attachments;
    if (c.threadTs) eph.thread_ts = c.threadTs;
    this.workspace.ephemerals.push(eph);
    this.workspace.log(
      `${this.workspace.describeChannel(channelId)}: ephemeral to ${this.workspace.describeUser(userId)} from ${from === 'USLACKBOT' ? 'Slackbot' : this.workspace.describeUser(from)} (${via}): ${summarizeMessage(eph)}`,
    );
    return eph;
  }

  // --- files -------------------------------------------------------------------

  createFile(o: { name: string; user: string; size: number; content?: Buffer; title?: string }): SlackFile {
    const id = this.workspace.newId('F');
    const now = Math.floor(Date.now() / 1000);
    const { mimetype, filetype, pretty } = fileTypeOf(o.name);
    const safeName = encodeURIComponent(o.name);
    const file: SlackFile = {
      id,
      created: now,
      timestamp: now,
      name: o.name,
      title: o.title ?? o.name,
      mimetype,
      filetype,
      pretty_type: pretty,
      user: o.user,
      user_team: this.teamId,
      size: o.size,
      mode: 'hosted',
      is_external: false,
      is_public: false,
      url_private: `${this.baseUrl}/files-pri/${this.teamId}-${id}/${safeName}`,
      url_private_download: `${this.baseUrl}/files-pri/${this.teamId}-${id}/download/${safeName}`,
      permalink: `https://${this.workspace.team.domain}.slack.com/files/${o.user}/${id}/${safeName}`,
      channels: [],
      groups: [],
      ims: [],
      completed: false,
    };
    if (o.content) file.content = o.content;
    this.workspace.files.set(id, file);
    return file;
  }

  /** Shares files into a channel with one message (file_share), as completeUploadExternal or a user's upload does. */
  shareFiles(channelId: string, userId: string, files: SlackFile[], c: Content): Message {
    const channel = this.workspace.channels.get(channelId)!;
    for (const f of files) {
      const list = channel.is_im ? f.ims : channel.is_private ? f.groups : f.channels;
      if (!list.includes(channelId)) list.push(channelId);
      f.completed = true;
      this.workspace.log(
        `files: ${f.id} "${f.name}" (${f.size} bytes, ${f.mimetype}) by ${this.workspace.describeUser(f.user)} shared in ${this.workspace.describeChannel(channelId)}`,
      );
    }
    return userId === this.botUserId
      ? this.postBotMessage(channelId, { ...c, files, via: 'files.completeUploadExternal' })
      : this.postUserMessage(channelId, userId, { ...c, files });
  }

  publicFile(f: SlackFile): Record<string, unknown> {
    const { content: _c, completed: _d, ...rest } = f;
    return { ...rest, channels: [...f.channels], groups: [...f.groups], ims: [...f.ims] };
  }

  /** Slack shows the bot a file it uploaded or one shared in a conversation it is in. */
  botCanSee(f: SlackFile): boolean {
    if (f.user === this.botUserId) return true;
    return [...f.channels, ...f.groups, ...f.ims].some((c) => this.workspace.channels.get(c)?.members.includes(this.botUserId));
  }

  // --- triggers and views -------------------------------------------------------

  issueTrigger(userId: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user: userId, at: Date.now(), used: false });
    return id;
  }

  consumeTrigger(id: string): { user: string } {
    const t = this.triggers.get(id);
    if (!t) throw new ApiError('invalid_trigger_id');
    if (Date.now() - t.at > this.opts.triggerTtlMs) throw new ApiError('expired_trigger_id');
    if (t.used) throw new ApiError('exchanged_trigger_id');
    t.used = true;
    return { user: t.user };
  }

  createView(userId: string, input: Record<string, unknown>, previous: string | null, root?: string): View {
    const id = this.workspace.newId('V');
    const view: View = {
      id,
      team_id: this.teamId,
      type: input.type as 'modal' | 'home',
      blocks: normalizeBlocks((input.blocks as unknown[]) ?? []),
      private_metadata: (input.private_metadata as string | undefined) ?? '',
      callback_id: (input.callback_id as string | undefined) ?? '',
      external_id: (input.external_id as string | undefined) ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      clear_on_close: input.clear_on_close === true,
      notify_on_close: input.notify_on_close === true,
      submit_disabled: input.submit_disabled === true,
      root_view_id: input.type === 'modal' ? (root ?? id) : null,
      previous_view_id: previous,
      app_id: this.appId,
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
      user: userId,
      open: true,
    };
    if (input.title !== undefined) view.title = input.title;
    if (input.close !== undefined) view.close = input.close;
    if (input.submit !== undefined) view.submit = input.submit;
    this.workspace.views.set(id, view);
    this.workspace.log(
      `view ${id} (${view.type}${view.callback_id ? ` ${view.callback_id}` : ''}) opened for ${this.workspace.describeUser(userId)}: ${summarizeView(view)}`,
    );
    return view;
  }

  /** views.open (replaces whatever modal the user had) or views.push (on top, at most 3). */
  openModal(userId: string, input: Record<string, unknown>, mode: 'open' | 'push'): View {
    const stack = this.modalStacks.get(userId) ?? [];
    if (mode === 'push') {
      if (stack.length === 0) throw new ApiError('not_found');
      if (stack.length >= 3) throw new ApiError('push_limit_reached');
      const view = this.createView(userId, input, stack[stack.length - 1]!, stack[0]);
      stack.push(view.id);
      return view;
    }
    for (const id of stack) this.closeViewState(id, 'replaced by views.open');
    const view = this.createView(userId, input, null);
    this.modalStacks.set(userId, [view.id]);
    return view;
  }

  replaceView(existing: View, input: Record<string, unknown>, via: string): View {
    existing.blocks = normalizeBlocks((input.blocks as unknown[]) ?? []);
    existing.private_metadata = (input.private_metadata as string | undefined) ?? '';
    existing.callback_id = (input.callback_id as string | undefined) ?? '';
    existing.external_id = (input.external_id as string | undefined) ?? '';
    existing.clear_on_close = input.clear_on_close === true;
    existing.notify_on_close = input.notify_on_close === true;
    existing.submit_disabled = input.submit_disabled === true;
    if (input.title !== undefined) existing.title = input.title;
    if (input.close !== undefined) existing.close = input.close;
    else delete existing.close;
    if (input.submit !== undefined) existing.submit = input.submit;
    else delete existing.submit;
    existing.hash = `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
    this.workspace.log(`view ${existing.id} updated (${via}): ${summarizeView(existing)}`);
    return existing;
  }

  private closeViewState(id: string, why: string): void {
    const v = this.workspace.views.get(id);
    if (v && v.open) {
      v.open = false;
      this.workspace.log(`view ${id} closed (${why})`);
    }
  }

  /** Closes the user's top modal (or all, when `all`), as the client does. */
  closeModal(userId: string, all: boolean, why: string): void {
    const stack = this.modalStacks.get(userId) ?? [];
    if (all) {
      for (const id of stack) this.closeViewState(id, why);
      this.modalStacks.set(userId, []);
      return;
    }
    const top = stack.pop();
    if (top) this.closeViewState(top, why);
  }

  modalStack(userId: string): View[] {
    return (this.modalStacks.get(userId) ?? []).map((id) => this.workspace.views.get(id)!).filter((v) => v.open);
  }

  publicView(v: View): Record<string, unknown> {
    const { user: _u, open: _o, ...rest } = v;
    return structuredClone(rest) as Record<string, unknown>;
  }

  // --- response_url ---------------------------------------------------------------

  issueResponseUrl(ctx: Omit<ResponseUrlContext, 'createdAt' | 'uses'>): string {
    const id = `${ctx.kind === 'command' ? 'commands' : 'actions'}/${this.teamId}/${Date.now()}${Math.floor(Math.random() * 1000)}/${randomBytes(12).toString('base64url')}`;
    this.responseUrls.set(id, { ...ctx, createdAt: Date.now(), uses: 0 });
    return `${this.baseUrl}/${id}`;
  }

  private async handleResponseUrl(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (await this.applyFault('response_url', res)) return;
    const ctx = this.responseUrls.get(path.slice(1));
    if (!ctx) return sendJson(res, 404, { ok: false, error: 'invalid_url' });
    if (Date.now() - ctx.createdAt > RESPONSE_URL_TTL_MS) return sendJson(res, 404, { ok: false, error: 'expired_url' });
    if (ctx.uses >= RESPONSE_URL_MAX_USES) return sendJson(res, 404, { ok: false, error: 'used_url' });
    let body: Record<string, unknown>;
    try {
      const text = raw.toString('utf8');
      body =
        mediaType(req.headers['content-type']) === 'application/x-www-form-urlencoded'
          ? (JSON.parse(parseForm(text).payload ?? '{}') as Record<string, unknown>)
          : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    }
    const result = this.applyResponse(ctx, body, 'response_url');
    ctx.uses += 1;
    this.workspace.changed();
    if (!result.ok) return sendJson(res, 400, result);
    sendJson(res, 200, { ok: true });
  }

  /**
   * What Slack does with a message response (response_url post, or a slash
   * command's ack body): replace/delete the source, or post ephemeral/in_channel.
   */
  applyResponse(
    ctx: ResponseUrlContext,
    body: Record<string, unknown>,
    via: string,
  ): { ok: true; message?: Message; ephemeral?: Ephemeral } | { ok: false; error: string; errors?: string[] } {
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? (body.blocks as unknown[]) : undefined;
    const attachments = Array.isArray(body.attachments) ? (body.attachments as unknown[]) : undefined;
    if (body.delete_original === true || body.delete_original === 'true') {
      if (ctx.ephemeral) {
        ctx.ephemeral.deleted = true;
        this.workspace.log(
          `${this.workspace.describeChannel(ctx.channel)}: ephemeral ${ctx.ephemeral.ts} to ${this.workspace.describeUser(ctx.user)} deleted (${via})`,
        );
      } else if (ctx.messageTs) {
        const msg = this.workspace.findMessage(ctx.channel, ctx.messageTs);
        if (msg) this.deleteMessage(msg, via);
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
        this.workspace.log(
          `${this.workspace.describeChannel(ctx.channel)}: ephemeral ${e.ts} to ${this.workspace.describeUser(ctx.user)} replaced (${via}): ${summarizeMessage(e)}`,
        );
        return { ok: true, ephemeral: e };
      }
      const msg = ctx.messageTs ? this.workspace.findMessage(ctx.channel, ctx.messageTs) : undefined;
      if (msg) {
        this.updateMessage(msg, content, via);
        return { ok: true, message: msg };
      }
    }
    if (body.response_type === 'in_channel') {
      const message = this.postBotMessage(ctx.channel, { ...content, via });
      return { ok: true, message };
    }
    const ephemeral = this.postEphemeral(ctx.channel, ctx.user, content, via);
    // A later replace_original on a command's response_url replaces this ephemeral.
    if (ctx.kind === 'command') ctx.ephemeral = ephemeral;
    return { ok: true, ephemeral };
  }

  // --- delivery to the bot ----------------------------------------------------------

  /** Sends an Events API event (wrapped in event_callback) to the bot; retried when unacked. */
  deliverEvent(event: Record<string, unknown>, label: string): void {
    const body = {
      token: this.verificationToken,
      team_id: this.teamId,
      context_team_id: this.teamId,
      context_enterprise_id: null,
      api_app_id: this.appId,
      event,
      type: 'event_callback',
      event_id: `Ev${this.workspace.newId('').slice(1)}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.teamId, user_id: this.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(24).toString('base64url')}`,
    };
    this.track(this.deliver('events_api', body, label));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    void p.finally(() => this.background.delete(p)).catch(() => undefined);
    return p;
  }

  /**
   * Delivers one envelope (Socket Mode) or request (HTTP mode) and waits for the
   * ack. Events are retried up to 3 times like Slack; commands and
   * interactions are not (the user sees an error instead).
   */
  async deliver(type: EnvelopeType, body: Record<string, unknown>, label: string): Promise<DeliveryOutcome> {
    const first = await this.attempt(type, body, label, 0, '');
    // With no app connected at all there is nobody to retry to; dropping the
    // event keeps tests that use a bare WebClient from waiting out the retry ladder.
    if (first.via === 'none') return first;
    if (type === 'events_api' && !first.acked && !this.stopped) {
      this.track(this.retryEvent(body, label, first.reason ?? 'timeout'));
    }
    return first;
  }

  private async retryEvent(body: Record<string, unknown>, label: string, firstReason: string): Promise<void> {
    let reason = firstReason;
    for (let n = 1; n <= 3; n += 1) {
      const delay = this.opts.eventRetryDelaysMs[n - 1] ?? 0;
      if (delay > 0 && !(await this.sleep(delay))) return;
      if (this.stopped) return;
      const r = await this.attempt('events_api', body, label, n, reason);
      if (r.acked) return;
      reason = r.reason ?? 'timeout';
    }
    this.workspace.log(`delivery: gave up on ${label} after 3 retries`);
  }

  private async attempt(type: EnvelopeType, body: Record<string, unknown>, label: string, attempt: number, retryReason: string): Promise<DeliveryOutcome> {
    this.deliveriesInFlight += 1;
    try {
      return await this.attemptOnce(type, body, label, attempt, retryReason);
    } finally {
      this.deliveriesInFlight -= 1;
    }
  }

  private async attemptOnce(type: EnvelopeType, body: Record<string, unknown>, label: string, attempt: number, retryReason: string): Promise<DeliveryOutcome> {
    const started = Date.now();
    let outcome: DeliveryOutcome;
    if (this.httpTarget) {
      const r = await this.postToBot(type, body, { retryNum: attempt > 0 ? attempt : undefined, retryReason });
      outcome = httpOutcome(r);
    } else {
      const envelope: Envelope = {
        envelope_id: randomUUID(),
        type,
        payload: body,
        accepts_response_payload: type !== 'events_api',
      };
      if (type === 'events_api') {
        envelope.retry_attempt = attempt;
        envelope.retry_reason = attempt > 0 ? retryReason : '';
      }
      const r = await this.socketMode.deliver(envelope, this.opts.ackTimeoutMs);
      outcome = r.acked
        ? { acked: true, via: 'socket', ms: r.ms, ...(Object.keys(r.payload).length > 0 ? { payload: r.payload } : {}) }
        : { acked: false, via: r.reason === 'no_connection' ? 'none' : 'socket', reason: r.reason, ms: r.ms };
    }
    this.deliveries.push({ ...outcome, type, label, attempt, at: started, body });
    const how = outcome.acked
      ? `acked in ${outcome.ms} ms${outcome.payload ? ` with ${JSON.stringify(outcome.payload).slice(0, 200)}` : ''}`
      : `NOT acked (${outcome.reason}${outcome.status ? ` ${outcome.status}` : ''})`;
    this.workspace.log(`delivery: ${type} ${label}${attempt > 0 ? ` retry ${attempt} (${retryReason})` : ''} via ${outcome.via}: ${how}`);
    return outcome;
  }

  /** Encodes a delivery the way Slack POSTs it to a request URL. */
  encodeForHttp(type: EnvelopeType, body: Record<string, unknown>): { body: string; contentType: 'application/json' | 'application/x-www-form-urlencoded' } {
    if (type === 'events_api') return { body: JSON.stringify(body), contentType: 'application/json' };
    if (type === 'slash_commands') {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) form.set(k, String(v));
      return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
    }
    return { body: new URLSearchParams({ payload: JSON.stringify(body) }).toString(), contentType: 'application/x-www-form-urlencoded' };
  }

  /**
   * POSTs a delivery to the HTTP-mode bot, signed. Tests use the overrides
   * to forge: `{ signature: 'v0=bad' }`, `{ timestampSec: now - 301 }`, `{ unsigned: true }`.
   */
  postToBot(
    type: EnvelopeType,
    body: Record<string, unknown>,
    o: {
      url?: string;
      signature?: string;
      timestampSec?: number;
      unsigned?: boolean;
      retryNum?: number | undefined;
      retryReason?: string;
      rawBody?: string;
    } = {},
  ): Promise<SignedPostResult> {
    const url = o.url ?? this.httpTarget;
    if (!url) throw new Error('no HTTP request URL: call emu.deliverTo(url) first');
    const enc = this.encodeForHttp(type, body);
    return postSigned(url, {
      body: o.rawBody ?? enc.body,
      contentType: enc.contentType,
      signingSecret: this.signingSecret,
      timeoutMs: this.opts.ackTimeoutMs,
      ...(o.signature !== undefined ? { signature: o.signature } : {}),
      ...(o.timestampSec !== undefined ? { timestampSec: o.timestampSec } : {}),
      ...(o.unsigned ? { unsigned: true } : {}),
      ...(o.retryNum !== undefined ? { retryNum: o.retryNum, retryReason: o.retryReason ?? 'http_timeout' } : {}),
    });
  }

  /** Sleeps unless the emulator stops first; false when it stopped. */
  async sleep(ms: number): Promise<boolean> {
    try {
      await sleepAbortable(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Common interaction payload fields. */
  interactionBase(user: SlackUser): Record<string, unknown> {
    return {
      user: { id: user.id, username: user.name, name: user.name, team_id: this.teamId },
      api_app_id: this.appId,
      token: this.verificationToken,
      team: { id: this.teamId, domain: this.workspace.team.domain },
      enterprise: null,
      is_enterprise_install: false,
    };
  }

  channelNameFor(channelId: string): string {
    const c = this.workspace.channels.get(channelId);
    if (!c) return channelId;
    return c.is_im ? 'directmessage' : c.is_private ? 'privategroup' : c.name;
  }
}

function httpOutcome(r: SignedPostResult): DeliveryOutcome {
  if (r.failure) return { acked: false, via: 'http', reason: r.failure, ms: r.ms };
  if (r.status !== 200) return { acked: false, via: 'http', reason: 'http_error', status: r.status, ms: r.ms };
  const out: DeliveryOutcome = { acked: true, via: 'http', status: 200, ms: r.ms };
  const text = r.body.trim();
  if (text) {
    try {
      const parsed = JSON.parse(text) as unknown;
      out.payload = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { text };
    } catch {
      // A plain-text body is shown as the response text, as Slack does for commands.
      out.payload = { text };
    }
  }
  return out;
}

function randomBlockId(): string {
  return randomBytes(3).toString('base64url').slice(0, 4);
}

/** Slack fills in block_id and action_id when the app leaves them out. */
function normalizeBlocks(blocks: unknown[]): unknown[] {
  const copy = structuredClone(blocks) as Record<string, unknown>[];
  const fillAction = (el: unknown): void => {
    if (typeof el === 'object' && el !== null && !('action_id' in el) && typeof (el as { type?: unknown }).type === 'string') {
      const t = (el as { type: string }).type;
      if (t !== 'image' && t !== 'plain_text' && t !== 'mrkdwn') (el as Record<string, unknown>).action_id = randomBytes(3).toString('base64url');
    }
  };
  for (const b of copy) {
    if (typeof b !== 'object' || b === null) continue;
    if (b.block_id === undefined) b.block_id = randomBlockId();
    if (b.type === 'actions' && Array.isArray(b.elements)) b.elements.forEach(fillAction);
    if (b.type === 'section' && b.accessory) fillAction(b.accessory);
    if (b.type === 'input' && b.element) fillAction(b.element);
  }
  return copy;
}

function summarizeView(v: View): string {
  const title = typeof v.title === 'object' && v.title !== null ? String((v.title as { text?: unknown }).text ?? '') : '';
  return `${title ? `"${title}" ` : ''}[${summarizeBlocks(v.blocks)}]`;
}

function fileTypeOf(name: string): { mimetype: string; filetype: string; pretty: string } {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (['csr', 'crt', 'pem', 'cer', 'key', 'txt', 'log'].includes(ext)) return { mimetype: 'text/plain', filetype: 'text', pretty: 'Plain Text' };
  if (ext === 'json') return { mimetype: 'application/json', filetype: 'json', pretty: 'JSON' };
  if (ext === 'csv') return { mimetype: 'text/csv', filetype: 'csv', pretty: 'CSV' };
  if (ext === 'png') return { mimetype: 'image/png', filetype: 'png', pretty: 'PNG' };
  if (ext === 'der') return { mimetype: 'application/x-x509-ca-cert', filetype: 'binary', pretty: 'Binary' };
  return { mimetype: 'application/octet-stream', filetype: 'binary', pretty: 'Binary' };
}
