import type { UsernameRule } from '../domain/policy/index.js';
import type { Logger } from '../log/logger.js';
import type { Chat, Clock, CsrApi, Directory, FlowMetrics, Jobs, PermissionsReview, RequestStore } from '../ports.js';

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
}

export interface Deps {
  csrApi: CsrApi;
  chat: Chat;
  directory: Directory;
  store: RequestStore;
  jobs: Jobs;
  clock: Clock;
  log: Logger;
  settings: FlowSettings;
  /** Default: nothing recorded. */
  metrics?: FlowMetrics;
  /** The permission preview, checked by the submit job when intake could not (the cluster was down). */
  permissions?: PermissionsReview;
}

/** Annotations csrbot puts on every CSR it creates (the adapter adds its label). */
export const Annotations = {
  requestId: 'csrbot.io/request-id',
  slackUser: 'csrbot.io/slack-user-id',
  slackTeam: 'csrbot.io/slack-team-id',
  reason: 'csrbot.io/reason',
} as const;

/** The key usages of every CSR csrbot creates (client certificates). */
export const CLIENT_USAGES = ['client auth'];

/** The approval reason csrbot writes, so the watch can tell our approvals from kubectl's. */
export const APPROVAL_REASON = 'CsrbotApproved';
export const DENIAL_REASON = 'CsrbotDenied';
