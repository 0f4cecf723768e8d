import { randomBytes } from 'node:crypto';
import type { Workspace } from './workspace.js';

/** Who the app is in the emulated workspace: its ids, tokens and secrets. Fixed for the emulator's life. */
export interface AppIdentity {
  readonly teamId: string;
  readonly botName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  /** The deprecated verification token Slack still puts in payloads' `token`. */
  readonly verificationToken: string;
}

/** A fresh identity for the app, with Slack-shaped ids from the workspace and random tokens. */
export function createIdentity(ws: Workspace, botName: string): AppIdentity {
  const appId = ws.newId('A');
  return {
    teamId: ws.team.id,
    botName,
    botUserId: ws.newId('U'),
    botId: ws.newId('B'),
    appId,
    botToken: `xoxb-${Date.now() % 1e12}-${Math.floor(Math.random() * 1e12)}-${randomBytes(12).toString('base64url')}`,
    appToken: `xapp-1-${appId}-${Date.now() % 1e12}-${randomBytes(32).toString('hex')}`,
    signingSecret: randomBytes(16).toString('hex'),
    verificationToken: randomBytes(12).toString('base64url'),
  };
}

/** The bot as something users talk to: `jane.dm(emu.bot)`. */
export interface BotRef {
  readonly kind: 'bot';
  readonly userId: string;
  readonly name: string;
}
