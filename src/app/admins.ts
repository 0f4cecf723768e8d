import { isAdmin } from '../domain/approvers.js';
import type { Deps } from './deps.js';

/** The admin group's members, looked up only when the user is not already an admin by SLACK_ADMIN_USERS. */
export async function adminGroupMembersFor(deps: Pick<Deps, 'settings' | 'directory'>, userId: string): Promise<string[]> {
  const { adminGroup, adminUsers } = deps.settings;
  return adminGroup && !adminUsers.includes(userId) ? deps.directory.groupMembers(adminGroup) : [];
}

/** The same admin rule that decides who may approve (domain/approvers.ts). */
export async function isAdminUser(deps: Pick<Deps, 'settings' | 'directory'>, userId: string): Promise<boolean> {
  return isAdmin(userId, deps.settings.adminUsers, await adminGroupMembersFor(deps, userId));
}

/** Every admin: SLACK_ADMIN_USERS and SLACK_ADMIN_GROUP's members. */
export async function allAdmins(deps: Pick<Deps, 'settings' | 'directory'>): Promise<string[]> {
  const { adminGroup, adminUsers } = deps.settings;
  const members = adminGroup ? await deps.directory.groupMembers(adminGroup) : [];
  return [...new Set([...adminUsers, ...members])];
}
