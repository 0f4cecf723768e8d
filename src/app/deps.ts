import type { UsernameRule } from '../domain/policy/index.js';
import type { Logger } from '../log/logger.js';
import type { ReminderLadder } from '../domain/reminders.js';
import type { RenewalPolicy } from '../domain/renewal-policy.js';
import type {
  AuditLog,
  CertificateInventory,
  Chat,
  Clock,
  CsrApi,
  Directory,
  FlowMetrics,
  Jobs,
  PermissionsReview,
  ReminderSchedule,
  RequestStore,
} from '../ports.js';

/** Settings the use cases read; main.ts derives them from Config. */
export interface FlowSettings {
  adminUsers: string[];
  adminGroup?: string;
  quorum: number;
  /** Approvals needed when the identity would be cluster-admin level (CLUSTER_ADMIN_QUORUM); default 2. */
  clusterAdminQuorum?: number;
  allowSelfApproval: boolean;
  /**
   * How Slack accounts map to Kubernetes usernames (USERNAME_RULE). With it,
   * self-approval and the quorum compare Kubernetes identities, not just Slack
   * ids: a second account of the requester's identity neither approves nor
   * counts twice.
   */
  usernameRule?: UsernameRule;
  issuanceTimeoutSeconds: number;
  /** ALLOW_CSRBOT_POWERS (default false), as the submit job applies it. */
  allowCsrbotPowers?: boolean;
  /** Per Slack user: open (pending) requests at once, and new requests per hour. Default 3 and 10 (MAX_PENDING_PER_USER, MAX_REQUESTS_PER_HOUR). */
  limits?: { maxPendingPerUser: number; requestsPerHour: number };
  /** How long one run of the issue job watches for the signer before asking to run again later. Default WATCH_WINDOW_MS (3 s). */
  signerWatchMs?: number;
  delivery: {
    clusterName: string;
    serverUrl: string;
    /** The cluster CA to embed, read at each delivery so a rotated CA reaches new kubeconfigs; undefined for a publicly trusted server. */
    caPem: () => string | undefined;
    keyPathTemplate: string;
  };
  /** Expiry reminders. Default: DEFAULT_LADDER, a 60 s lease per reminder being sent. */
  reminders?: { ladder?: ReminderLadder; leaseMs?: number };
  /** Automatic approval of renewals. Default DEFAULT_RENEWAL_POLICY (off). */
  renewal?: RenewalPolicy;
}

export interface Deps {
  csrApi: CsrApi;
  chat: Chat;
  directory: Directory;
  store: RequestStore;
  /** Issued certificates, kept after their CSR objects are gone. */
  inventory: CertificateInventory;
  /** Expiry reminders waiting to be sent. */
  reminders: ReminderSchedule;
  /** The audit trail. */
  audit: AuditLog;
  jobs: Jobs;
  clock: Clock;
  log: Logger;
  settings: FlowSettings;
  /** Default: nothing recorded. */
  metrics?: FlowMetrics;
  /**
   * What an identity could do in the cluster: the card's permission preview (checked by the submit job
   * when intake could not) and the renewal policy. Absent: every identity counts as privileged.
   */
  permissions?: PermissionsReview;
  /**
   * Told after every change to a request or certificate that people can see
   * (App Home refresh). Called through changed() in announce.ts, which keeps
   * its failures from failing the step. Default: nothing.
   */
  onChange?: (change: ViewChange) => Promise<void>;
}

/** Whose views a change touches: the holder's, and with `queue` the admins' pending queue too. */
export interface ViewChange {
  userId: string;
  queue: boolean;
  requestId?: string;
}

/** Annotations csrbot puts on every CSR it creates (the adapter adds its label). */
export const Annotations = {
  requestId: 'csrbot.io/request-id',
  slackUser: 'csrbot.io/slack-user-id',
  slackTeam: 'csrbot.io/slack-team-id',
  reason: 'csrbot.io/reason',
  /** `renewal of <serial>` on a renewal's CSR. */
  renewalOf: 'csrbot.io/renewal-of',
} as const;

/** The key usages of every CSR csrbot creates (client certificates). */
export const CLIENT_USAGES = ['client auth'];

/** The approval reason csrbot writes, so the watch can tell our approvals from kubectl's. */
export const APPROVAL_REASON = 'CsrbotApproved';
export const DENIAL_REASON = 'CsrbotDenied';
/** The approval reason of a renewal csrbot approved itself under the renewal policy. */
export const AUTO_RENEWAL_REASON = 'CsrbotAutoRenewal';
