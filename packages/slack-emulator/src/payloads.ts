import { randomBytes } from 'node:crypto';
import type { AppIdentity } from './identity.js';
import type { SlackUser, Workspace } from './workspace.js';

/**
 * The envelopes of what Slack sends the app, in one place so that
 * test/slack/emulator/recorded-payloads.test.ts can hold them against
 * Slack's documented examples.
 */

/** The Events API wrapper (`type: event_callback`) around one event. */
export function eventCallback(id: AppIdentity, ws: Workspace, event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: id.verificationToken,
    team_id: id.teamId,
    context_team_id: id.teamId,
    context_enterprise_id: null,
    api_app_id: id.appId,
    event,
    type: 'event_callback',
    event_id: `Ev${ws.newId('').slice(1)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: id.teamId, user_id: id.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(24).toString('base64url')}`,
  };
}

/** Fields every interaction payload (block_actions, view_submission, view_closed) starts with. */
export function interactionBase(id: AppIdentity, ws: Workspace, user: SlackUser): Record<string, unknown> {
  return {
    user: { id: user.id, username: user.name, name: user.name, team_id: id.teamId },
    api_app_id: id.appId,
    token: id.verificationToken,
    team: { id: id.teamId, domain: ws.team.domain },
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** A slash command's form fields, as Slack POSTs them (all strings). */
export function slashCommandBody(
  id: AppIdentity,
  ws: Workspace,
  o: { channelId: string; channelName: string; user: SlackUser; command: string; text: string; responseUrl: string; triggerId: string },
): Record<string, string> {
  return {
    token: id.verificationToken,
    team_id: id.teamId,
    team_domain: ws.team.domain,
    channel_id: o.channelId,
    channel_name: o.channelName,
    user_id: o.user.id,
    user_name: o.user.name,
    command: o.command,
    text: o.text,
    api_app_id: id.appId,
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  };
}
