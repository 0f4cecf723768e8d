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

export function checkApprover(c: ApproverCheck): ApproverVerdict {
  const admin = c.adminUsers.includes(c.approverId) || c.adminGroupMembers.includes(c.approverId);
  if (!admin) return { ok: false, why: 'not-admin' };
  if (!c.allowSelfApproval && c.approverId === c.requesterId) return { ok: false, why: 'self-approval' };
  return { ok: true };
}
