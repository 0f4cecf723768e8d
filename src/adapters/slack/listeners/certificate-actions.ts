import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { actOnCertificate, type HolderAction } from '../../../app/certificate-actions.js';
import { Actions } from '../ids.js';
import type { FlowContext } from './flow-context.js';

const ACTIONS: Array<[actionId: string, action: HolderAction]> = [
  [Actions.renew, 'renew'],
  [Actions.snooze, 'snooze'],
  [Actions.dismiss, 'dismiss'],
];

/** Renew / Snooze 1 day / I no longer need it, wherever they are shown (reminder DM, /cert list, App Home). The use case checks the clicker holds the certificate. */
export function registerCertificateActions(app: App, ctx: FlowContext): void {
  for (const [actionId, action] of ACTIONS) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body }) => {
      await ack();
      await actOnCertificate(ctx, action, body.actions[0]?.value ?? '', { userId: body.user.id, channel: body.channel?.id ?? body.user.id });
    });
  }
}
