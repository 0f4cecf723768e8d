import { holders, myCertificates, pendingQueue, publishHome, statusOf, type ViewsDeps } from '../../../app/views.js';
import { holdersMessage, listMessage, pendingMessage, statusMessage } from '../blocks/certificate-views.js';
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

/**
 * The App Home. Its Renew buttons (Actions.renew, value = serial) are the
 * same as the reminder DM's, handled by one listener that checks the holder.
 */
export function registerAppHome(app: BoltApp, deps: ViewsDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, event.user);
  });
}
