import type { SlashCommand, RespondFn } from '@slack/bolt';
import type { Logger } from '../../../log/logger.js';
import { helpBlocks } from '../blocks/help.js';
import { COMMAND } from '../ids.js';
import { textForRequester } from '../text-for-requester.js';
import type { BoltApp } from '../create-bolt-app.js';

/** What a subcommand handler gets: the parsed command and ways to answer. */
export interface SubcommandContext {
  command: SlashCommand;
  args: string[];
  respond: RespondFn;
  log: Logger;
}

export type SubcommandHandler = (ctx: SubcommandContext) => Promise<void>;

/**
 * `/cert <subcommand>`. The ack always happens first and immediately (Slack
 * allows 3 s); help is answered in the ack itself, so it works even when
 * Redis and the cluster are down.
 */
export function registerCertCommand(app: BoltApp, log: Logger, handlers: Record<string, SubcommandHandler> = {}): void {
  app.command(COMMAND, async ({ command, ack, respond }) => {
    const [sub = 'help', ...args] = command.text.trim().split(/\s+/).filter(Boolean);
    const name = sub.toLowerCase();
    const handler = handlers[name];
    const clog = log.child({ event: 'slash_command', user: command.user_id, subcommand: name });
    if (name === 'help' || !handler) {
      await ack({ response_type: 'ephemeral', ...helpBlocks(name === 'help' ? {} : { unknown: sub }) });
      return;
    }
    await ack();
    try {
      await handler({ command, args, respond, log: clog });
    } catch (err) {
      clog.error({ err }, 'subcommand failed');
      await respond({ response_type: 'ephemeral', text: `Sorry, \`${COMMAND} ${name}\` failed: ${textForRequester(err)}` });
    }
  });
}
