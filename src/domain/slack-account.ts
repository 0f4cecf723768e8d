/**
 * Which Slack accounts may ask for a Kubernetes identity. A certificate is a
 * long-lived credential: a guest, someone from another organisation's team
 * (Slack Connect), a bot or a deactivated account must not obtain one because
 * a username rule happens to yield a name.
 */
import type { ErrorCode } from './errors.js';
import type { SlackPerson } from './lifecycle.js';

export type AccountProblem = { code: Extract<ErrorCode, `SLACK_ACCOUNT_${string}`>; details: Record<string, string> };

/** Why this account may not request, or undefined. `homeTeamId` is the bot's workspace (auth.test); unknown skips that check. */
export function accountProblem(p: SlackPerson, homeTeamId?: string): AccountProblem | undefined {
  const who = p.userId;
  if (p.deleted) return { code: 'SLACK_ACCOUNT_DELETED', details: { slackUser: who } };
  if (p.isBot) return { code: 'SLACK_ACCOUNT_BOT', details: { slackUser: who } };
  if (p.guest) return { code: 'SLACK_ACCOUNT_GUEST', details: { slackUser: who, guest: p.guest } };
  if (homeTeamId && p.teamId && p.teamId !== homeTeamId) return { code: 'SLACK_ACCOUNT_OTHER_TEAM', details: { slackUser: who, team: p.teamId } };
  if (homeTeamId && !p.teamId) return { code: 'SLACK_ACCOUNT_OTHER_TEAM', details: { slackUser: who, team: 'unknown' } };
  return undefined;
}
