/**
 * Chat and Directory in memory, for unit tests of use cases. Records every
 * call with a snapshot of what was passed (a later change to the request does
 * not rewrite history), answers Directory look-ups from configured people and
 * groups, and can be told to fail the next N calls of a method.
 */
import type { CertificateRequest, SlackPerson } from '../../../src/domain/lifecycle.js';
import type { Chat, DeliveredFiles, Directory, HomeContent, IntakeReply, ReminderNotice, RequesterNotice, Upload } from '../../../src/ports.js';

export type ChatMethod =
  | 'readUpload'
  | 'readDmMessage'
  | 'replyInDm'
  | 'postCard'
  | 'findCard'
  | 'updateCard'
  | 'retractCard'
  | 'notifyRequester'
  | 'deliver'
  | 'tellUser'
  | 'tellAdmins'
  | 'replyOnCard'
  | 'permalink'
  | 'publishHome'
  | 'person'
  | 'isDeactivated'
  | 'groupMembers'
  | 'remindHolder'
  | 'timeZone';

export interface PostedCard {
  channel: string;
  ts: string;
  request: CertificateRequest;
}

export interface SentNotice {
  request: CertificateRequest;
  notice: RequesterNotice;
}

export interface Delivery {
  request: CertificateRequest;
  files: DeliveredFiles;
}

export interface Ephemeral {
  channel: string;
  userId: string;
  text: string;
}

const snapshot = <T>(v: T): T => structuredClone(v);

export class FakeChat implements Chat, Directory {
  readonly cards: PostedCard[] = [];
  readonly cardUpdates: CertificateRequest[] = [];
  /** Cards deleted with retractCard, in order. */
  readonly retracted: Array<{ channel: string; ts: string }> = [];
  readonly notices: SentNotice[] = [];
  readonly deliveries: Delivery[] = [];
  /** Replies in DMs during intake, in order. */
  readonly dmReplies: Array<{ channel: string; reply: IntakeReply }> = [];
  /** Uploaded files by id, as readUpload will return them. */
  readonly uploads = new Map<string, Uint8Array>();
  /** DM messages by `channel/ts`, as readDmMessage will return them. */
  readonly dmMessages = new Map<string, { text?: string }>();
  readonly ephemerals: Ephemeral[] = [];
  readonly adminMessages: string[] = [];
  /** Threaded replies under cards, in order. */
  readonly cardReplies: Array<{ request: CertificateRequest; text: string }> = [];
  /** Every App Home published, in order. */
  readonly homes: Array<{ userId: string; home: HomeContent }> = [];
  /** Deactivated Slack accounts (users.info deleted: true). */
  readonly deactivated = new Set<string>();
  /** Expiry reminders sent, in order. */
  readonly reminders: ReminderNotice[] = [];
  /** users.info tz by user id; unset means Slack has none. */
  readonly timeZones = new Map<string, string>();
  /** Every call in order, by method name (failed calls included). */
  readonly calls: ChatMethod[] = [];

  private readonly people = new Map<string, SlackPerson>();
  private readonly groups = new Map<string, string[]>();
  private readonly failures = new Map<ChatMethod, { error: Error; times: number }>();
  private nextTs = 1;

  static create(opts: { people?: SlackPerson[]; groups?: Record<string, string[]> } = {}): FakeChat {
    const chat = new FakeChat();
    for (const p of opts.people ?? []) chat.addPerson(p);
    for (const [g, members] of Object.entries(opts.groups ?? {})) chat.setGroup(g, members);
    return chat;
  }

  addPerson(p: SlackPerson): this {
    this.people.set(p.userId, p);
    return this;
  }

  setGroup(groupId: string, members: string[]): this {
    this.groups.set(groupId, [...members]);
    return this;
  }

  /** The next `times` calls of `method` throw `error` (default: once). */
  failNext(method: ChatMethod, error: Error = new Error(`${method} failed (injected)`), times = 1): this {
    this.failures.set(method, { error, times });
    return this;
  }

  /** Notices of one kind, in order. */
  noticesOf(kind: RequesterNotice['kind']): SentNotice[] {
    return this.notices.filter((n) => n.notice.kind === kind);
  }

  /** The last rendering of the card (post or update), as the admins now see it. */
  get lastCard(): CertificateRequest | undefined {
    return this.cardUpdates.at(-1) ?? this.cards.at(-1)?.request;
  }

  private enter(method: ChatMethod): void {
    this.calls.push(method);
    const f = this.failures.get(method);
    if (f && f.times > 0) {
      f.times -= 1;
      throw f.error;
    }
  }

  async readUpload(file: Upload): Promise<Uint8Array> {
    this.enter('readUpload');
    const bytes = this.uploads.get(file.id);
    if (!bytes) throw new Error(`FakeChat: no upload ${file.id}`);
    return bytes;
  }

  async readDmMessage(channel: string, ts: string): Promise<{ text?: string } | undefined> {
    this.enter('readDmMessage');
    return this.dmMessages.get(`${channel}/${ts}`);
  }

  async replyInDm(channel: string, reply: IntakeReply): Promise<void> {
    this.enter('replyInDm');
    this.dmReplies.push(snapshot({ channel, reply }));
  }

  async postCard(request: CertificateRequest): Promise<{ channel: string; ts: string }> {
    this.enter('postCard');
    const where = { channel: 'CADMINS', ts: `1700000000.${String(this.nextTs++).padStart(6, '0')}` };
    this.cards.push({ ...where, request: snapshot(request) });
    return where;
  }

  async findCard(request: CertificateRequest): Promise<{ channel: string; ts: string } | undefined> {
    this.enter('findCard');
    const live = this.cards.filter((c) => c.request.id === request.id && !this.retracted.some((x) => x.ts === c.ts));
    const newest = live.at(-1);
    return newest && { channel: newest.channel, ts: newest.ts };
  }

  async updateCard(request: CertificateRequest): Promise<void> {
    this.enter('updateCard');
    this.cardUpdates.push(snapshot(request));
  }

  async retractCard(card: { channel: string; ts: string }): Promise<void> {
    this.enter('retractCard');
    this.retracted.push({ ...card });
  }

  async notifyRequester(request: CertificateRequest, notice: RequesterNotice): Promise<void> {
    this.enter('notifyRequester');
    this.notices.push({ request: snapshot(request), notice: snapshot(notice) });
  }

  async deliver(request: CertificateRequest, files: DeliveredFiles): Promise<void> {
    this.enter('deliver');
    this.deliveries.push({ request: snapshot(request), files: snapshot(files) });
  }

  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    this.enter('tellUser');
    this.ephemerals.push({ channel, userId, text });
  }

  async tellAdmins(text: string): Promise<void> {
    this.enter('tellAdmins');
    this.adminMessages.push(text);
  }

  async replyOnCard(request: CertificateRequest, text: string): Promise<void> {
    this.enter('replyOnCard');
    if (request.card) this.cardReplies.push({ request: snapshot(request), text });
  }

  async permalink(at: { channel: string; ts: string }): Promise<string | undefined> {
    this.enter('permalink');
    return `https://example.slack.com/archives/${at.channel}/p${at.ts.replace('.', '')}`;
  }

  async publishHome(userId: string, home: HomeContent): Promise<void> {
    this.enter('publishHome');
    this.homes.push(snapshot({ userId, home }));
  }

  /** The last App Home published for this user. */
  homeOf(userId: string): HomeContent | undefined {
    return this.homes.filter((h) => h.userId === userId).at(-1)?.home;
  }

  async isDeactivated(userId: string): Promise<boolean> {
    this.enter('isDeactivated');
    return this.deactivated.has(userId);
  }

  async remindHolder(notice: ReminderNotice): Promise<void> {
    this.enter('remindHolder');
    this.reminders.push(snapshot(notice));
  }

  async timeZone(userId: string): Promise<string | undefined> {
    this.enter('timeZone');
    return this.timeZones.get(userId);
  }

  async person(userId: string): Promise<SlackPerson> {
    this.enter('person');
    // Like users.info for someone without a profile: the id stands in for the name.
    return snapshot(this.people.get(userId) ?? { userId, teamId: 'T1', name: userId });
  }

  async groupMembers(groupId: string): Promise<string[]> {
    this.enter('groupMembers');
    return [...(this.groups.get(groupId) ?? [])];
  }
}
