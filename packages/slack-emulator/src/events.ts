import type { Delivery } from './delivery.js';
import type { AppIdentity } from './identity.js';
import { eventCallback } from './payloads.js';
import type { Message, Workspace } from './workspace.js';

/** The Events API side: which events the app subscribes to, and sending them wrapped as Slack does. */
export class EventFeed {
  constructor(
    private readonly ws: Workspace,
    private readonly id: AppIdentity,
    private readonly subscriptions: readonly string[],
    private readonly delivery: Delivery,
  ) {}

  subscribes(type: string): boolean {
    return this.subscriptions.includes(type);
  }

  /** Sends an event (wrapped in event_callback) to the bot; retried when unacked. */
  send(event: Record<string, unknown>, label: string): void {
    this.delivery.deliverEvent(eventCallback(this.id, this.ws, event), label);
  }

  /** The message event Slack sends for a new message, if the bot is in the channel and subscribes to it. */
  messagePosted(msg: Message): void {
    const channel = this.ws.channels.get(msg.channel);
    if (!channel || !channel.members.includes(this.id.botUserId)) return;
    const channelType = channel.is_im ? 'im' : channel.is_private ? 'group' : 'channel';
    const subscription = channel.is_im ? 'message.im' : channel.is_private ? 'message.groups' : 'message.channels';
    if (!this.subscribes(subscription)) return;
    const { deleted: _d, ...event } = msg;
    this.send({ ...event, event_ts: msg.ts, channel_type: channelType }, `message.${channelType} ${msg.ts} from ${this.ws.describeUser(msg.user)}`);
  }
}
