/**
 * The interfaces the use cases need. app/ depends on these only; adapters
 * implement them; main.ts wires one to the other.
 */
import type { Identity, PermissionPreview } from './domain/privilege.js';
import type { CertificateRecord, CertificateStatus } from './domain/inventory.js';
import type { Approval, CertificateRequest, CsrSummary, IssuedCertificate, OpenState, RequestState, SlackPerson } from './domain/lifecycle.js';

// ---- Kubernetes ---------------------------------------------------------

export type CsrObjectState = 'pending' | 'approved' | 'denied' | 'failed' | 'issued';

/** A CertificateSigningRequest as the use cases see it. */
export interface CsrObject {
  name: string;
  /** metadata.uid: a deleted and re-created CSR of the same name has another. */
  uid: string;
  /** Denied wins, then Failed, then a certificate (issued), then Approved; else pending. */
  state: CsrObjectState;
  certificatePem?: string;
  /** The signer's or the denier's message. */
  failureMessage?: string;
  /** The decisive Approved or Denied condition: the first one whose status is True. `at` is its lastUpdateTime (ISO 8601). */
  decision?: { type: 'Approved' | 'Denied'; reason?: string; message?: string; at?: string };
  annotations: Record<string, string>;
  /** ISO 8601. */
  createdAt?: string;
}

/** The CSR csrbot created and the admins saw: its uid and everything the certificate depends on. */
export interface CsrExpectation {
  uid: string;
  csrPem: string;
  signerName: string;
  usages: string[];
  expirationSeconds: number;
}

/** What csrbot asks the cluster for. The adapter marks it as csrbot's, so listManaged() and watch() find it. */
export interface CreateCsr {
  name: string;
  csrPem: string;
  signerName: string;
  usages: string[];
  expirationSeconds: number;
  annotations: Record<string, string>;
}

/** Which of csrbot's CSRs a watch reports. */
export interface WatchFilter {
  /** Only this CSR (a field selector on the server, not a filter here). */
  name?: string;
  /** Resume after listManaged(): without it the watch first replays every current CSR as ADDED. */
  resourceVersion?: string;
}

export type CsrEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CsrApi {
  /** Idempotent: the same name and request again returns the existing object; another request under that name is CSR_NAME_TAKEN. */
  create(spec: CreateCsr): Promise<CsrObject>;
  /** undefined when there is no such CSR. */
  get(name: string): Promise<CsrObject | undefined>;
  /**
   * Already approved: no-op (changed false). Already denied: CSR_ALREADY_DECIDED. Missing: CSR_NOT_FOUND.
   * With `expected` (csrbot's flow always passes it), every attempt first checks that the object is the one
   * csrbot created and the admins saw, and throws CSR_CONTENT_CHANGED otherwise: a CSR swapped under the
   * name between the card and the click is never approved.
   */
  approve(name: string, condition: { reason: string; message: string }, expected?: CsrExpectation): Promise<{ changed: boolean }>;
  deny(name: string, condition: { reason: string; message: string }): Promise<{ changed: boolean }>;
  /** The CSRs csrbot created, and the version to watch from so nothing is missed or seen twice. */
  listManaged(): Promise<{ items: CsrObject[]; resourceVersion: string }>;
  /** Changes to the CSRs csrbot created, until stopped; reconnects by itself. */
  watch(filter: WatchFilter, onEvent: (type: CsrEventType, csr: CsrObject) => void): { stop(): void };
}

/**
 * What an identity could do in the cluster (SubjectAccessReview for the
 * user, its groups and system:authenticated). The adapter answers for the
 * sensitive abilities in domain/privilege.ts; `isPrivileged` classifies.
 */
export interface PermissionsReview {
  preview(identity: Identity): Promise<PermissionPreview>;
}

// ---- Slack --------------------------------------------------------------

/** Something the requester is told in their DM. */
export type RequesterNotice =
  | { kind: 'submitted' }
  | { kind: 'delayed'; reason: string }
  | { kind: 'approved' }
  | { kind: 'denied' }
  | { kind: 'failed' }
  | { kind: 'deleted' }
  | { kind: 'expired' };

export interface DeliveredFiles {
  certificatePem: string;
  kubeconfig: string;
  certificateFilename: string;
  kubeconfigFilename: string;
  instructions: string;
}

/** A file someone sent the bot (a CSR upload): enough to fetch it. */
export interface Upload {
  id: string;
  name?: string;
  size?: number;
  /** Where the chat service serves it (Slack's url_private_download). */
  url?: string;
}

/** What csrbot answers in a DM before a request exists. */
export type IntakeReply =
  | { kind: 'how-to' }
  | { kind: 'problems'; problems: string[]; warnings: string[] }
  | { kind: 'draft'; draftId: string; username: string; csr: CsrSummary; lifetime: { defaultSeconds: number; maxSeconds: number } };

export interface Chat {
  /** The bytes of an uploaded file (at most MAX_INPUT_BYTES + 1 of them: the parser names the limit). */
  readUpload(file: Upload): Promise<Uint8Array>;
  /** The text of a message someone sent the bot in a DM; undefined when it is gone (deleted). */
  readDmMessage(channel: string, ts: string): Promise<{ text?: string } | undefined>;
  /** Answers a CSR (or anything else) sent in a DM. */
  replyInDm(channel: string, reply: IntakeReply): Promise<void>;
  /** Posts the approval card; returns where it is. */
  postCard(request: CertificateRequest): Promise<{ channel: string; ts: string }>;
  /** A card for this request already in the admin channel's recent history (e.g. posted by an attempt that died before recording it). */
  findCard(request: CertificateRequest): Promise<{ channel: string; ts: string } | undefined>;
  /** Re-renders the card from the request's current state (buttons gone once decided). */
  updateCard(request: CertificateRequest): Promise<void>;
  /** Deletes a card csrbot posted but could not record, so it never shows live buttons no one updates. */
  retractCard(card: { channel: string; ts: string }): Promise<void>;
  notifyRequester(request: CertificateRequest, notice: RequesterNotice): Promise<void>;
  deliver(request: CertificateRequest, files: DeliveredFiles): Promise<void>;
  /** Ephemeral answer to one user in a channel. */
  tellUser(channel: string, userId: string, text: string): Promise<void>;
  /** A message for the admins in the admin channel (e.g. a missing permission). */
  tellAdmins(text: string): Promise<void>;
  /** A threaded reply under the request's card (e.g. the pending nudge); nothing when it has no card. */
  replyOnCard(request: CertificateRequest, text: string): Promise<void>;
  /** A link to the message (the request's card); undefined when the chat service has none. */
  permalink(at: { channel: string; ts: string }): Promise<string | undefined>;
  /** Replaces the user's App Home with this content. */
  publishHome(userId: string, home: HomeContent): Promise<void>;
  /** The expiry reminder DM, with Renew / Snooze 1 day / I no longer need it. */
  remindHolder(notice: ReminderNotice): Promise<void>;
}

/** A pending request in the admins' queue, with a link to its card. */
export interface QueuedRequest {
  request: CertificateRequest;
  cardLink?: string;
}

/** Part of a list that views show, with how many more there are. */
export interface Page<T> {
  items: T[];
  /** How many there are in all (items may be fewer). */
  total: number;
  /** Set when `total` is only what was read: there may be more. */
  atLeast?: boolean;
}

/** What one user's App Home shows; `admin` only for admins. */
export interface HomeContent {
  now: Date;
  certificates: Page<CertificateRecord>;
  requests: Page<CertificateRequest>;
  admin?: { queue: Page<QueuedRequest> };
}

/** One expiry reminder, as the holder reads it. */
export interface ReminderNotice {
  certificate: CertificateRecord;
  /** The rung of the ladder (`at-67pct`, `1d-before`, `expiry`, `snooze`). */
  step: string;
  clusterName: string;
  /** The holder's IANA time zone (users.info tz); UTC when unknown. */
  timeZone?: string;
  /** Already expired when sent. */
  expired: boolean;
}

export interface Directory {
  person(userId: string): Promise<SlackPerson>;
  /** True when the account is deactivated (Slack's users.info `deleted`), or no longer exists. */
  isDeactivated(userId: string): Promise<boolean>;
  /** Members of a Slack user group. */
  groupMembers(groupId: string): Promise<string[]>;
  /** The user's IANA time zone (users.info tz), undefined when Slack has none. */
  timeZone(userId: string): Promise<string | undefined>;
}

// ---- Redis --------------------------------------------------------------

export interface RequestStore {
  /** Creates the record unless one with this id exists; returns the stored one either way. */
  create(request: CertificateRequest): Promise<{ created: boolean; request: CertificateRequest }>;
  get(id: string): Promise<CertificateRequest | undefined>;
  /** Sets fields that are not part of the state machine (card location, flags). */
  update(id: string, patch: Partial<CertificateRequest>): Promise<CertificateRequest>;
  /** Atomically moves `from` one of the states to `to`, with the patch; undefined if the state was not one of `from`. */
  transition(id: string, from: readonly RequestState[], to: RequestState, patch?: Partial<CertificateRequest>): Promise<CertificateRequest | undefined>;
  /** Adds an approval once per approver; returns all approvals. */
  addApproval(id: string, approval: Approval): Promise<Approval[]>;
  /** Sets a one-time flag; true for the first caller only (announcements, deliveries). */
  once(id: string, what: string): Promise<boolean>;
  /** Clears a once() flag, so a step whose side effect failed can be retried. */
  forget(id: string, what: string): Promise<void>;
  saveIssued(id: string, cert: IssuedCertificate): Promise<void>;
  /**
   * Open requests that entered their state before `before`, oldest first, at most `limit`. The index is written by the same
   * atomic write as the state, so a decision is never without this record of the work it still needs.
   */
  openSince(bucket: OpenState, before: Date, limit: number): Promise<Array<{ id: string; since: Date }>>;
  /**
   * Requests that reached a final state before `before` and whose announcement (the card showing it, the requester
   * told) is not known to be done, oldest first, at most `limit`. Written by the same atomic write as the final state.
   */
  unannounced(before: Date, limit: number): Promise<Array<{ id: string; since: Date }>>;
  /** The final state of `id` is announced: it leaves unannounced(). */
  announced(id: string): Promise<void>;
  /** This Slack user's requests: created at or after `since`, and pending now (for the per-user limits). */
  byRequester(userId: string, since: Date): Promise<{ submitted: number; pending: number }>;
  /** Requests waiting for a decision (pending) or for the signer (approved): how many, and since when the longest has waited. */
  openRequests(): Promise<Record<OpenState, OpenRequests>>;
  /** The open requests themselves (both buckets), longest-waiting first. Open requests are few: admins decide them within a day. */
  listOpen(): Promise<CertificateRequest[]>;
}

// ---- Kubernetes RBAC ------------------------------------------------------

/** A RoleBinding or ClusterRoleBinding that names a user as a subject. */
export interface BindingRef {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  /** RoleBindings only. */
  namespace?: string;
  name: string;
  /** e.g. ClusterRole/edit. */
  role: string;
}

export interface RbacBindings {
  /** Every RoleBinding and ClusterRoleBinding with a subject of kind User and this name. */
  namingUser(username: string): Promise<BindingRef[]>;
}

export interface OpenRequests {
  count: number;
  /** When the longest-waiting one entered the state: created (pending), decided (approved). Absent when there is none. */
  oldestSince?: Date;
}

/** A checked CSR waiting for its requester to press Submit (DM flow). Public material only. */
export interface Draft {
  requester: SlackPerson;
  kubernetesUsername: string;
  csr: CsrSummary;
  dmChannel: string;
  signerName: string;
}

/**
 * A DM event the bot received, recorded before it is acked. Ids only: never
 * the message text or a file's content (either may hold a private key).
 */
export interface InboxEntry {
  eventId?: string;
  teamId?: string;
  channel: string;
  userId: string;
  ts: string;
  fileIds: string[];
  receivedAtMs: number;
}

/**
 * DM events between their ack and their answer. An entry stays open until the
 * answer is posted; once done it is remembered a day, so a redelivery of the
 * same message is not recorded again.
 */
export interface EventInbox {
  /** Records an event unless its message was recorded before; true if recorded now. */
  record(entry: InboxEntry): Promise<boolean>;
  /** The message was answered. */
  done(channel: string, ts: string): Promise<void>;
  /** Open entries received before `beforeMs`, oldest first, at most `limit`. */
  openBefore(beforeMs: number, limit: number): Promise<InboxEntry[]>;
}

export interface DraftStore {
  /** Stores unless present (a redelivered upload must not answer twice); true if stored now. */
  put(id: string, draft: Draft): Promise<boolean>;
  get(id: string): Promise<Draft | undefined>;
}

/**
 * Every certificate csrbot issued, kept after the CSR object is gone. The
 * read side (get, byRequester, expiringBefore, validAt) is what /cert list,
 * App Home and /cert holders build on.
 */
export interface CertificateInventory {
  /** Records a certificate the first time it is seen; later calls for the same serial keep the first record. */
  record(cert: CertificateRecord): Promise<{ created: boolean; record: CertificateRecord }>;
  get(serial: string): Promise<CertificateRecord | undefined>;
  /** The holder's certificates (every status), soonest expiry first. */
  byRequester(slackUserId: string): Promise<CertificateRecord[]>;
  /** Certificates whose notAfter is before `until` (expired ones included), soonest first. */
  expiringBefore(until: Date, limit?: number): Promise<CertificateRecord[]>;
  /** Certificates still valid at `at` (notAfter after it), soonest expiry first: who holds access, until when. */
  validAt(at: Date, limit?: number): Promise<CertificateRecord[]>;
  /** Compare-and-set of the status; the record as it is now, or undefined when its status was not one of `from` (or it is unknown). */
  setStatus(serial: string, from: readonly CertificateStatus[], to: CertificateStatus, replacedBy?: string): Promise<CertificateRecord | undefined>;
  /** Records that the reminder due at `dueMs` was sent; false when one due at or after it already was (a duplicate). */
  markReminded(serial: string, dueMs: number): Promise<boolean>;
  /** Serials by notAfter, for sweeps: up to `count` with notAfter >= `fromMs`, after `cursor` (the last serial of the previous page). */
  page(fromMs: number, count: number, cursor?: { notAfterMs: number; serial: string }): Promise<Array<{ serial: string; notAfterMs: number }>>;
  /** Several records at once (sweeps); undefined where a record is gone. */
  getMany(serials: readonly string[]): Promise<Array<CertificateRecord | undefined>>;
  /** Forgets certificates that expired before `before` (retention): returns how many. */
  forgetExpiredBefore(before: Date, limit?: number): Promise<number>;
}

/** A certificate's next reminder in the due-set. */
export interface DueReminder {
  serial: string;
  /** When it is due, epoch ms. */
  dueMs: number;
}

/**
 * Expiry reminders as one sorted set drained by a scheduler job, holding only
 * each certificate's *next* reminder (member = serial): ~145 bytes per
 * certificate, where one delayed BullMQ job is ~860.
 */
export interface ReminderSchedule {
  /** Sets each certificate's next reminder unless it has one (idempotent); returns how many were added. */
  schedule(reminders: readonly DueReminder[]): Promise<number>;
  /** Moves a certificate's next reminder (a snooze), whether or not it has one. */
  reschedule(reminder: DueReminder): Promise<void>;
  /** Removes a certificate's reminder, due or being sent. */
  cancel(serial: string): Promise<void>;
  /**
   * Atomically takes up to `limit` reminders due at `now` and leases them for
   * `leaseMs`: with any number of replicas each is taken by one. A lease that
   * runs out (its replica died) makes the reminder due again.
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<DueReminder[]>;
  /**
   * Done with a claimed reminder: the certificate's next one becomes `nextDueMs`
   * (none when undefined), unless its reminder was moved meanwhile (a snooze), which stands.
   */
  complete(reminder: DueReminder, nextDueMs: number | undefined): Promise<void>;
  /** Reminders due or leased, in all. */
  size(): Promise<number>;
}

/** What happened, for the audit trail. */
export type AuditEventType =
  | 'requested'
  | 'approved'
  | 'denied'
  | 'issued'
  | 'failed'
  | 'deleted'
  | 'reminded'
  | 'snoozed'
  | 'dismissed'
  | 'superseded'
  | 'renewal-requested'
  | 'auto-approved'
  | 'auto-approval-refused'
  | 'expired'
  | 'offboarded';

export interface AuditEvent {
  type: AuditEventType;
  at: string;
  requestId?: string;
  serial?: string;
  /** Slack user id of whoever acted; absent when csrbot or the cluster did. */
  actor?: string;
  /** Where the act happened: a Slack click, the cluster (kubectl, another controller), or csrbot itself. */
  via: 'slack' | 'kubernetes' | 'csrbot';
  /** Public detail: the rule that applied, a reason, a reminder step. */
  detail?: string;
}

/** An append-only trail, bounded in length and age. */
export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Events at or after `since`, oldest first. */
  read(since: Date): AsyncIterable<AuditEvent>;
  /** Drops events older than `before` (the sweep's retention pass). */
  trim(before: Date): Promise<void>;
}

// ---- Jobs ---------------------------------------------------------------

/**
 * `card` only re-renders a card: cosmetic, so it is never kept once done and can be queued again for the next change.
 * `decide` authorises and counts one recorded click (DecisionClick): the click is made durable before Slack is acked.
 */
export type JobKind = 'submit' | 'approve' | 'deny' | 'issue' | 'card' | 'decide';

/**
 * An Approve click or a submitted Deny, recorded before the ack. Who clicked is
 * checked in the decide job, not before the ack: that needs Slack (users.info,
 * usergroups.users.list), which may be slow or rate-limited.
 */
export interface DecisionClick {
  kind: 'approve' | 'deny';
  requestId: string;
  userId: string;
  /** Where the clicker is answered privately (the card's channel). */
  channel: string;
  /** Unique per click (Slack's action_ts, or the Deny modal's view id): a redelivered click is recorded once. */
  clickId: string;
  /** Deny: the admin's reason, already checked to hold no private key. */
  reason?: string;
}

export interface Jobs {
  /** Enqueues at most once per (kind, request id): the job id is deterministic. */
  enqueue(kind: JobKind, requestId: string): Promise<void>;
  /** Records a decision click as a `decide` job (one per clickId). */
  enqueueDecision(click: DecisionClick): Promise<void>;
  /** Runs a job parked by NotYet now instead of at the end of its delay; nothing if it is not parked. */
  wake(kind: JobKind, requestId: string): Promise<void>;
  /**
   * Makes sure the job exists and can run: queues it if missing (or finished while its request still needs it), runs it
   * again if it failed for good. Says what it found, and the last error of a job that has failed.
   */
  ensure(kind: JobKind, requestId: string): Promise<JobCheck>;
}

export interface JobCheck {
  /** live: waiting, running or delayed (nothing done); missing, failed or finished: queued again now. */
  found: 'live' | 'missing' | 'failed' | 'finished';
  /** The last failure of the job, if an attempt failed. */
  lastError?: string;
}

/**
 * Thrown by a job handler that has nothing to do yet (the signer has not
 * answered): run the same job again after `retryInMs`. Not a failure, so it
 * uses no retry attempt and frees the worker slot meanwhile.
 */
export class NotYet extends Error {
  constructor(
    readonly retryInMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'NotYet';
  }
}

export interface Clock {
  now(): Date;
}

/** What the flow reports for dashboards and alerts; counted once per event, in the replica that did it. */
export interface FlowMetrics {
  requestEvent(event: 'submitted' | 'approved' | 'denied' | 'failed' | 'deleted' | 'expired' | 'issued'): void;
  intakeRefused(code: string): void;
  /** From the decision to the certificate in the requester's DM. */
  issuanceSeconds(seconds: number): void;
  /** From submission to the decision, in Slack or with kubectl. */
  decisionSeconds(decision: 'approved' | 'denied', seconds: number): void;
}
