import type { WebClient } from '@slack/web-api';
import { checkClient } from '../adapters/slack/check-client.js';
import { slackFailure, type SlackFailure } from '../adapters/slack/slack-failure.js';
import { CsrbotError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { fromError, pass, skip, warn, type CheckResult } from './check-result.js';

export interface SlackCheckOptions {
  botToken: string;
  /** Socket Mode: checked with apps.connections.open. */
  appToken?: string;
  apiUrl: string;
  adminChannel: string;
  adminGroup?: string;
  adminUsers: readonly string[];
  /** The scopes manifest.yml asks for, or why they could not be read. */
  requiredScopes: string[] | Error;
  log: Logger;
  /** Per call. Default 10 s. */
  timeoutMs?: number;
}

/** Who the bot token belongs to, from auth.test. */
export interface SlackIdentity {
  botUserId: string;
  botName: string;
  team: string;
  /** The workspace's id (T...): requesters from any other team are refused. */
  teamId?: string;
}

const NAMES = ['slack-token', 'slack-scopes', 'slack-app-token', 'slack-admin-channel', 'slack-admin-group'] as const;

/**
 * The Slack half of the start-up checks: the bot token (auth.test), its
 * scopes against manifest.yml (Slack sends the granted ones in every
 * answer's x-oauth-scopes header), the app token in Socket Mode, the bot's
 * membership of the admin channel, and the admin user group.
 */
export async function checkSlack(o: SlackCheckOptions): Promise<{ results: CheckResult[]; identity?: SlackIdentity }> {
  const bot = checkClient(o.botToken, o);
  const fail = (method: string, token: 'bot' | 'app', e: unknown): SlackFailure => slackFailure(e, { method, token, apiUrl: o.apiUrl });

  let auth: Awaited<ReturnType<WebClient['auth']['test']>>;
  try {
    auth = await bot.auth.test();
  } catch (e) {
    const f = fail('auth.test', 'bot', e);
    const why = f.transient ? 'not checked: Slack did not answer' : 'not checked: SLACK_BOT_TOKEN was refused';
    const rest = NAMES.slice(1)
      .filter((n) => (n !== 'slack-app-token' || o.appToken) && (n !== 'slack-admin-group' || o.adminGroup))
      .map((n) => skip(n, why));
    return { results: [fromError('slack-token', f.error, f.transient), ...rest] };
  }
  const identity: SlackIdentity = {
    botUserId: auth.user_id ?? '',
    botName: auth.user ?? 'csrbot',
    team: auth.team ?? '',
    ...(auth.team_id ? { teamId: auth.team_id } : {}),
  };
  const results: CheckResult[] = [
    pass('slack-token', `bot @${identity.botName} (${identity.botUserId}) in workspace ${identity.team} (${auth.team_id ?? '?'})`),
  ];

  // Scopes: what the token has (x-oauth-scopes, as WebClient exposes it) against what manifest.yml asks for.
  const granted = auth.response_metadata?.scopes;
  let missingScopes: string[] = [];
  if (o.requiredScopes instanceof Error) {
    results.push({ name: 'slack-scopes', status: 'warn', detail: `not compared: manifest.yml could not be read (${o.requiredScopes.message})` });
  } else if (!granted) {
    results.push({ name: 'slack-scopes', status: 'warn', detail: 'not compared: Slack did not send the x-oauth-scopes header' });
  } else {
    missingScopes = o.requiredScopes.filter((s) => !granted.includes(s));
    results.push(
      missingScopes.length > 0
        ? fromError('slack-scopes', new CsrbotError('SLACK_SCOPES_MISSING', { missing: missingScopes }))
        : pass('slack-scopes', `all ${o.requiredScopes.length} scopes manifest.yml asks for are granted`),
    );
  }
  // A call refused for a scope the scopes check already names adds nothing but noise.
  const scopeFailure = (name: string, f: SlackFailure): CheckResult => {
    const needed = f.error.code === 'SLACK_SCOPES_MISSING' ? ((f.error.details.missing as string[] | undefined) ?? []) : [];
    if (needed.length > 0 && needed.every((s) => missingScopes.includes(s))) return skip(name, `not checked: needs ${needed.join(', ')} (see slack-scopes)`);
    return fromError(name, f.error, f.transient);
  };

  const checks: Array<Promise<CheckResult>> = [];
  if (o.appToken) {
    const app = checkClient(o.appToken, o);
    checks.push(
      // Issues a WebSocket URL that is never used; it expires unused.
      app.apps.connections.open({}).then(
        () => pass('slack-app-token', 'SLACK_APP_TOKEN may open Socket Mode connections'),
        (e: unknown) => {
          const f = fail('apps.connections.open', 'app', e);
          return fromError('slack-app-token', f.error, f.transient);
        },
      ),
    );
  }
  checks.push(
    bot.conversations.info({ channel: o.adminChannel }).then(
      (r) => {
        const c = r.channel ?? {};
        const details = { channel: o.adminChannel, name: c.name ?? o.adminChannel, bot: identity.botName };
        if (c.is_archived) return fromError('slack-admin-channel', new CsrbotError('SLACK_ADMIN_CHANNEL_ARCHIVED', details));
        if (c.is_member === false) return fromError('slack-admin-channel', new CsrbotError('SLACK_NOT_IN_ADMIN_CHANNEL', details));
        return pass('slack-admin-channel', `the bot is a member of #${details.name} (${o.adminChannel})`);
      },
      (e: unknown) => {
        const f = fail('conversations.info', 'bot', e);
        if (f.platformError === 'channel_not_found' || f.platformError === 'invalid_channel' || f.platformError === 'channel_is_limited_access') {
          return fromError(
            'slack-admin-channel',
            new CsrbotError('SLACK_ADMIN_CHANNEL_NOT_FOUND', { channel: o.adminChannel, error: f.platformError, bot: identity.botName }),
          );
        }
        return scopeFailure('slack-admin-channel', f);
      },
    ),
  );
  if (o.adminGroup) {
    const group = o.adminGroup;
    checks.push(
      bot.usergroups.users.list({ usergroup: group }).then(
        (r) => {
          const users = r.users ?? [];
          if (users.length === 0) return warn('slack-admin-group', new CsrbotError('SLACK_ADMIN_GROUP_EMPTY', { group, users: o.adminUsers.length > 0 }));
          return pass('slack-admin-group', `user group ${group} exists, ${users.length} member${users.length === 1 ? '' : 's'}`);
        },
        (e: unknown) => {
          const f = fail('usergroups.users.list', 'bot', e);
          if (f.platformError === 'no_such_subteam' || f.platformError === 'subteam_not_found' || f.platformError === 'invalid_usergroup') {
            return fromError('slack-admin-group', new CsrbotError('SLACK_ADMIN_GROUP_NOT_FOUND', { group, error: f.platformError }));
          }
          return scopeFailure('slack-admin-group', f);
        },
      ),
    );
  }
  results.push(...(await Promise.all(checks)));
  return { results, identity };
}
