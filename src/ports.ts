/**
 * The interfaces the use cases need. app/ depends on these only; adapters
 * implement them; main.ts wires one to the other.
 */
import type { Identity, PermissionPreview } from './domain/privilege.js';
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
  { kind: 'submitted' } | { kind: 'delayed'; reason: string } | { kind: 'approved' } | { kind: 'denied' } | { kind: 'failed' } | { kind: 'deleted' };

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
  /** Answers a CSR (or anything else) sent in a DM. */
  replyInDm(channel: string, reply: IntakeReply): Promise<void>;
  /** Posts the approval card; returns where it is. */
  postCard(request: CertificateRequest): Promise<{ channel: string; ts: string }>;
  /** Re-renders the card from the request's current state (buttons gone once decided). */
  updateCard(request: CertificateRequest): Promise<void>;
  notifyRequester(request: CertificateRequest, notice: RequesterNotice): Promise<void>;
  deliver(request: CertificateRequest, files: DeliveredFiles): Promise<void>;
  /** Ephemeral answer to one user in a channel. */
  tellUser(channel: string, userId: string, text: string): Promise<void>;
  /** A message for the admins in the admin channel (e.g. a missing permission). */
  tellAdmins(text: string): Promise<void>;
}

export interface Directory {
  person(userId: string): Promise<SlackPerson>;
  /** Members of a Slack user group. */
  groupMembers(groupId: string): Promise<string[]>;
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
  /** This Slack user's requests: created at or after `since`, and pending now (for the per-user limits). */
  byRequester(userId: string, since: Date): Promise<{ submitted: number; pending: number }>;
  /** Requests waiting for a decision (pending) or for the signer (approved): how many, and since when the longest has waited. */
  openRequests(): Promise<Record<OpenState, OpenRequests>>;
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

export interface DraftStore {
  /** Stores unless present (a redelivered upload must not answer twice); true if stored now. */
  put(id: string, draft: Draft): Promise<boolean>;
  get(id: string): Promise<Draft | undefined>;
}

// ---- Jobs ---------------------------------------------------------------

export type JobKind = 'submit' | 'approve' | 'deny' | 'issue';

export interface Jobs {
  /** Enqueues at most once per (kind, request id): the job id is deterministic. */
  enqueue(kind: JobKind, requestId: string): Promise<void>;
  /** Runs a job parked by NotYet now instead of at the end of its delay; nothing if it is not parked. */
  wake(kind: JobKind, requestId: string): Promise<void>;
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
  requestEvent(event: 'submitted' | 'approved' | 'denied' | 'failed' | 'deleted' | 'issued'): void;
  intakeRefused(code: string): void;
  /** From the decision to the certificate in the requester's DM. */
  issuanceSeconds(seconds: number): void;
  /** From submission to the decision, in Slack or with kubectl. */
  decisionSeconds(decision: 'approved' | 'denied', seconds: number): void;
}
