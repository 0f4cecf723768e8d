/**
 * Who may decide a request. Pure: the caller resolves group membership.
 */
export interface ApproverCheck {
  approverId: string;
  requesterId: string;
  adminUsers: readonly string[];
  /** Members of SLACK_ADMIN_GROUP, when one is configured. */
  adminGroupMembers: readonly string[];
  allowSelfApproval: boolean;
}

export type ApproverVerdict = { ok: true } | { ok: false; why: 'not-admin' | 'self-approval' };

/** An admin is listed in SLACK_ADMIN_USERS or is a member of SLACK_ADMIN_GROUP. */
export function isAdmin(userId: string, adminUsers: readonly string[], adminGroupMembers: readonly string[]): boolean {
  return adminUsers.includes(userId) || adminGroupMembers.includes(userId);
}

export function checkApprover(c: ApproverCheck): ApproverVerdict {
  if (!isAdmin(c.approverId, c.adminUsers, c.adminGroupMembers)) return { ok: false, why: 'not-admin' };
  if (!c.allowSelfApproval && c.approverId === c.requesterId) return { ok: false, why: 'self-approval' };
  return { ok: true };
}
