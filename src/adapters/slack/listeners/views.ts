import type { BlockAction, ButtonAction } from '@slack/bolt';
import { holders, myCertificates, pendingQueue, publishHome, renewClicked, statusOf, type ViewsDeps } from '../../../app/views.js';
import { holdersMessage, listMessage, pendingMessage, statusMessage } from '../blocks/certificate-views.js';
import { Actions } from '../ids.js';
import type { BoltApp } from '../create-bolt-app.js';
import type { SubcommandHandler } from './cert-command.js';

/** `/cert list`, `/cert status`, and for admins `/cert pending` and `/cert holders`: parse, call the use case, render. */
export function viewSubcommands(deps: ViewsDeps): Record<string, SubcommandHandler> {
  return {
    list: async ({ command, respond }) => {
      await respond({ response_type: 'ephemeral', ...listMessage(await myCertificates(deps, command.user_id)) });
    },
    status: async ({ command, args, respond }) => {
      const o = await statusOf(deps, command.user_id, args.join(' '));
      if (o.kind === 'refused') return void (await respond({ response_type: 'ephemeral', text: o.error.userMessage }));
      await respond({ response_type: 'ephemeral', ...statusMessage({ ...o, viewer: command.user_id }) });
    },
    pending: async ({ command, respond }) => {
      const o = await pendingQueue(deps, command.user_id);
      await respond({ response_type: 'ephemeral', ...(o.kind === 'refused' ? { text: o.error.userMessage } : pendingMessage(o)) });
    },
    holders: async ({ command, respond }) => {
      const o = await holders(deps, command.user_id);
      await respond({ response_type: 'ephemeral', ...(o.kind === 'refused' ? { text: o.error.userMessage } : holdersMessage(o)) });
    },
  };
}

/** The App Home and the Renew button. */
export function registerViews(app: BoltApp, deps: ViewsDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, event.user);
  });

  app.action<BlockAction<ButtonAction>>(Actions.renew, async ({ ack, body }) => {
    await ack();
    // From the App Home there is no channel: the answer goes to the user's DM with the bot (a user id as channel).
    await renewClicked(deps, body.actions[0]?.value ?? '', { userId: body.user.id, channel: body.channel?.id ?? body.user.id });
  });
}
