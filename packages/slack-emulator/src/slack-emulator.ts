import { WebApiEndpoint, type CallRecord } from './api-endpoint.js';
import { Conversations, type AddUserOptions, type Content } from './conversations.js';
import { Delivery, type DeliveryRecord } from './delivery.js';
import { UserDriver, type DriverDeps } from './driver.js';
import { EventFeed } from './events.js';
import { Faults, RateLimiter, type RateLimit } from './faults.js';
import { Files } from './files.js';
import { EmulatorHttpServer } from './http-server.js';
import { createIdentity, type AppIdentity, type BotRef } from './identity.js';
import { InputStates } from './input-state.js';
import { Lifetime } from './lifetime.js';
import { ResponseUrls } from './response-urls.js';
import type { SignedPostResult } from './signing.js';
import { SocketModeHub, type EnvelopeType } from './socket-mode.js';
import { renderTranscript } from './transcript.js';
import { HttpTransport, SocketTransport, type DeliveryOutcome, type PostToBotOptions } from './transports.js';
import { Views } from './views.js';
import { waitFor, type WaitOptions } from './waits.js';
import { ALL_BOT_SCOPES, type ApiDeps } from './web-api.js';
import { Workspace, type Channel, type Ephemeral, type Message, type SlackFile } from './workspace.js';

export type { AddUserOptions } from './conversations.js';
export type { CallRecord } from './api-endpoint.js';
export type { DeliveryRecord } from './delivery.js';
export type { DeliveryOutcome } from './transports.js';
export type { BotRef } from './identity.js';
export type { WaitOptions } from './waits.js';

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

type ResolvedOptions = Required<Omit<SlackEmulatorOptions, 'users' | 'rateLimits' | 'botName' | 'adminChannel' | 'scopes'>>;

/**
 * A local Slack for one test file: an HTTP + WebSocket server an unmodified
 * Bolt App / WebClient talks to through `slackApiUrl`, a workspace model,
 * delivery to the bot (Socket Mode or signed HTTP), and a driver that acts
 * like the humans in the workspace. See the package README.
 *
 * This class only assembles the parts and is the tests' one handle on them:
 * the workspace state (conversations, files, views, response_urls), the Web
 * API (web-api.ts behind api-endpoint.ts), delivery (delivery.ts over the
 * Socket Mode or HTTP transport), faults and rate limits, and waits and the
 * transcript. Each part sees only the parts it needs.
 */
export class SlackEmulator {
  readonly workspace = new Workspace();
  readonly faults = new Faults();
  readonly rateLimits: RateLimiter;
  readonly socketMode: SocketModeHub;

  private readonly id: AppIdentity;
  private readonly opts: ResolvedOptions;
  private readonly life = new Lifetime();
  private readonly conversations: Conversations;
  private readonly views: Views;
  private readonly files: Files;
  private readonly responseUrls: ResponseUrls;
  private readonly http: HttpTransport;
  private readonly delivery: Delivery;
  private readonly events: EventFeed;
  private readonly api: WebApiEndpoint;
  private readonly server: EmulatorHttpServer;
  private readonly drivers = new Map<string, UserDriver>();
  private readonly driverDeps: DriverDeps;
  readonly adminChannelId: string;

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
    const log = (line: string): void => ws.log(line);
    const stage = { log, sleep: (ms: number) => this.life.sleep(ms) };
    const baseUrl = (): string => this.server.baseUrl;
    this.id = createIdentity(ws, options.botName ?? 'csrbot');
    this.rateLimits = new RateLimiter(options.rateLimits);
    this.socketMode = new SocketModeHub(this.id.appId, log, this.opts.pingIntervalMs, (key) => this.faults.take(key));

    this.http = new HttpTransport(this.id.signingSecret, this.opts.ackTimeoutMs);
    this.delivery = new Delivery(ws, new SocketTransport(this.socketMode, this.opts.ackTimeoutMs), this.http, this.opts.eventRetryDelaysMs, this.life);
    this.events = new EventFeed(ws, this.id, this.opts.events, this.delivery);
    this.conversations = new Conversations(ws, this.id, (msg) => this.events.messagePosted(msg));
    this.views = new Views(ws, this.id, this.opts.triggerTtlMs);
    this.files = new Files(ws, this.id, this.conversations, baseUrl);
    this.responseUrls = new ResponseUrls(ws, this.id, this.conversations, baseUrl);

    const apiDeps: ApiDeps = {
      workspace: ws,
      id: this.id,
      conversations: this.conversations,
      views: this.views,
      files: this.files,
      baseUrl,
      socketUrl: () => this.socketMode.issueUrl(this.server.wsBase),
    };
    this.api = new WebApiEndpoint(apiDeps, this.id, this.faults, this.rateLimits, stage, options.scopes ?? ALL_BOT_SCOPES);
    this.server = new EmulatorHttpServer({
      api: this.api,
      files: this.files,
      responseUrls: this.responseUrls,
      socketMode: this.socketMode,
      faults: this.faults,
      id: this.id,
      stage,
    });
    this.driverDeps = {
      workspace: ws,
      id: this.id,
      conversations: this.conversations,
      views: this.views,
      files: this.files,
      responseUrls: this.responseUrls,
      delivery: this.delivery,
      events: this.events,
      inputStates: new InputStates(),
      commands: this.opts.commands,
      waitFor: (probe, description, o) => this.waitFor(probe, description, o),
      transcript: () => this.transcript(),
    };

    this.adminChannelId = this.addChannel({ name: options.adminChannel ?? 'csr-admins', private: true }).id;
    for (const u of options.users ?? []) this.addUser(u);
  }

  /** Starts an emulator on 127.0.0.1 and a free port. */
  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const emu = new SlackEmulator(options);
    await emu.server.listen();
    return emu;
  }

  /** Closes every server, socket, timer and pending wait. */
  async stop(): Promise<void> {
    if (this.life.stopped) return;
    this.life.stop();
    this.workspace.emit('stop');
    await this.socketMode.close();
    await this.delivery.idle();
    await this.server.close();
  }

  // --- addresses and identities ----------------------------------------------

  get baseUrl(): string {
    return this.server.baseUrl;
  }

  /** Give this to `clientOptions.slackApiUrl` (it ends with /api/). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  get wsBase(): string {
    return this.server.wsBase;
  }

  get teamId(): string {
    return this.id.teamId;
  }

  get botName(): string {
    return this.id.botName;
  }

  get botUserId(): string {
    return this.id.botUserId;
  }

  get botId(): string {
    return this.id.botId;
  }

  get appId(): string {
    return this.id.appId;
  }

  get botToken(): string {
    return this.id.botToken;
  }

  get appToken(): string {
    return this.id.appToken;
  }

  get signingSecret(): string {
    return this.id.signingSecret;
  }

  /** The deprecated verification token Slack still puts in payloads' `token`. */
  get verificationToken(): string {
    return this.id.verificationToken;
  }

  get bot(): BotRef {
    return { kind: 'bot', userId: this.id.botUserId, name: this.id.botName };
  }

  get options(): Readonly<ResolvedOptions> {
    return this.opts;
  }

  // --- workspace setup -------------------------------------------------------

  /** Adds a human; returns the driver that acts as them. */
  addUser(o: AddUserOptions): UserDriver {
    return this.user(this.conversations.addUser(o).id);
  }

  /**
   * Deactivates a user as a workspace admin would: users.info answers
   * `deleted: true` from now on, and a `user_change` event carrying the user
   * is delivered if the app subscribes to it.
   */
  deactivateUser(nameOrId: string): void {
    const u = this.workspace.userByName(nameOrId);
    if (!u || u.is_bot) throw new Error(`no user ${nameOrId} in the emulated workspace (add it with emu.addUser)`);
    u.deleted = true;
    u.updated = Math.floor(Date.now() / 1000);
    this.workspace.log(`user @${u.name} (${u.id}) deactivated`);
    if (this.events.subscribes('user_change')) {
      this.events.send(
        { type: 'user_change', user: structuredClone(u), cache_ts: u.updated, event_ts: this.workspace.nextTs() },
        `user_change @${u.name} deleted`,
      );
    }
  }

  /** The driver for a user, by name ("jane", "@jane") or id. */
  user(nameOrId: string): UserDriver {
    const u = this.workspace.userByName(nameOrId);
    if (!u || u.is_bot) throw new Error(`no user ${nameOrId} in the emulated workspace (add it with emu.addUser)`);
    let d = this.drivers.get(u.id);
    if (!d) {
      d = new UserDriver(this.driverDeps, u);
      this.drivers.set(u.id, d);
    }
    return d;
  }

  /** Adds a public (or private) channel; members by name or id. The bot is a member unless botMember is false. */
  addChannel(o: { name: string; members?: string[]; private?: boolean; botMember?: boolean }): Channel {
    return this.conversations.addChannel(o);
  }

  /** Adds users (names or ids) to a channel (default: the admin channel). */
  join(users: string[], channel: string = this.adminChannelId): void {
    this.conversations.join(users, channel);
  }

  /** Removes users (names or ids; the bot too, by emu.botUserId or its name) from a channel (default: the admin channel). */
  leave(users: string[], channel: string = this.adminChannelId): void {
    this.conversations.leave(users, channel);
  }

  /**
   * Deletes a message as a workspace admin would (e.g. an approval card): the
   * bot's chat.update on it then answers message_not_found. Returns false if there is no such message.
   */
  deleteMessage(channel: string, ts: string): boolean {
    const msg = this.workspace.findMessage(channel, ts);
    if (!msg || msg.deleted) return false;
    this.conversations.deleteMessage(msg, 'deleted by a workspace admin');
    this.workspace.changed();
    return true;
  }

  /** The bot token's scopes from now on, as after reinstalling the app with other scopes. */
  setScopes(scopes: string[]): void {
    this.api.scopes = scopes;
    this.workspace.log(`bot token scopes: ${scopes.join(', ') || 'none'}`);
  }

  get scopes(): readonly string[] {
    return this.api.scopes;
  }

  /** Adds a user group (subteam S…) with members by name or id; returns its id. */
  addUsergroup(o: { handle: string; name?: string; users: string[] }): string {
    return this.conversations.addUsergroup(o);
  }

  /**
   * HTTP mode: deliver events, commands and interactions to this request URL
   * (e.g. `http://127.0.0.1:3000/slack/events`) instead of Socket Mode. `null` switches back.
   */
  deliverTo(url: string | null): void {
    this.http.target = url ?? undefined;
    this.workspace.log(url ? `app request URL set to ${url} (HTTP mode)` : 'app switched to Socket Mode');
  }

  // --- acting as Slack itself, for tests that go around the users --------------

  /** The bot's DM with a user (D…), created on first use. */
  openDm(userId: string): { channel: Channel; alreadyOpen: boolean } {
    return this.conversations.openDm(userId);
  }

  /** Posts as the bot without a Web API call (a card to click in a test of the driver). */
  postBotMessage(channelId: string, c: Content & { files?: SlackFile[]; via?: string }): Message {
    return this.conversations.postBotMessage(channelId, c);
  }

  /** A trigger_id for the user, as an interaction would carry. */
  issueTrigger(userId: string): string {
    return this.views.issueTrigger(userId);
  }

  /** Delivers a payload to the bot (a redelivery in a test), with Slack's ack budget and event retries. */
  deliver(type: EnvelopeType, body: Record<string, unknown>, label: string): Promise<DeliveryOutcome> {
    return this.delivery.deliver(type, body, label);
  }

  /**
   * POSTs a delivery to the HTTP-mode bot, signed. Tests use the overrides
   * to forge: `{ signature: 'v0=bad' }`, `{ timestampSec: now - 301 }`, `{ unsigned: true }`.
   */
  postToBot(type: EnvelopeType, body: Record<string, unknown>, o: PostToBotOptions = {}): Promise<SignedPostResult> {
    return this.http.post(type, body, o);
  }

  // --- inspection ------------------------------------------------------------

  /** Every Web API call seen, in order. */
  get callLog(): readonly CallRecord[] {
    return this.api.calls;
  }

  /** Every delivery attempt to the bot, in order. */
  get deliveries(): readonly DeliveryRecord[] {
    return this.delivery.records;
  }

  /** Web API calls seen, optionally only one method's. */
  calls(method?: string): CallRecord[] {
    return method ? this.api.calls.filter((c) => c.method === method) : [...this.api.calls];
  }

  /** Current (not deleted) messages of a channel, by id or name, oldest first, thread replies included. */
  messagesIn(channel: string): Message[] {
    return this.conversations.messagesIn(channel);
  }

  /** Every ephemeral shown in a channel (to anyone). */
  ephemeralsIn(channel: string): Ephemeral[] {
    return this.conversations.ephemeralsIn(channel);
  }

  /** The DM channel id between the bot and a user, opening it if needed. */
  dmWith(user: string): string {
    return this.conversations.openDm(this.conversations.userId(user)).channel.id;
  }

  file(id: string): SlackFile | undefined {
    return this.files.get(id);
  }

  /** A readable account of everything that happened, for failure messages. */
  transcript(): string {
    return renderTranscript(this.workspace, this.id, this.api.calls);
  }

  /**
   * Resolves when `probe` returns something truthy; re-probes on every workspace change.
   * On timeout rejects with `description` and the transcript.
   */
  waitFor<T>(probe: () => T | undefined | null | false, description: string, o: WaitOptions = {}): Promise<T> {
    return waitFor(this.workspace, probe, description, o.timeoutMs ?? this.opts.waitTimeoutMs, () => this.transcript());
  }

  /** Waits for a (current) message in a channel that matches. */
  waitForMessage(channel: string, pred: (m: Message) => boolean, o: WaitOptions = {}): Promise<Message> {
    return this.waitFor(
      () => this.messagesIn(channel).find(pred),
      `a message in ${this.workspace.describeChannel(this.conversations.resolveChannelLoose(channel))} matching ${pred.toString()}`,
      o,
    );
  }

  /** Resolves once no delivery or retry is in flight. */
  idle(): Promise<void> {
    return this.delivery.idle();
  }

  /**
   * What the emulator is busy with at this moment; all zero when nothing is
   * under way. `requests`: calls to the emulator (Web API, upload, download,
   * response_url) not yet answered. `deliveries`: envelopes or HTTP deliveries
   * to the bot waiting for their ack. `events`: event deliveries not
   * finished, a retry still scheduled included.
   */
  inFlight(): { requests: number; deliveries: number; events: number } {
    return { requests: this.server.inFlight, deliveries: this.delivery.inFlight, events: this.delivery.pendingEvents };
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
}
