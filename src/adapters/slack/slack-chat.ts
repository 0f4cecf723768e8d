import type { WebClient } from '@slack/web-api';
import type { CertificateRequest, SlackPerson } from '../../domain/lifecycle.js';
import type { Chat, DeliveredFiles, Directory, RequesterNotice } from '../../ports.js';
import { approvalCard } from './blocks/approval-card.js';
import { requesterNotice } from './blocks/notices.js';

/**
 * Chat and Directory over Slack's Web API. WebClient already retries 429s
 * (honouring Retry-After) and 5xx; what it gives up on fails the job, which
 * BullMQ retries, so a message is delayed rather than lost.
 */
export class SlackChat implements Chat, Directory {
  private constructor(
    private readonly client: WebClient,
    private readonly adminChannel: string,
  ) {}

  static create(deps: { client: WebClient; adminChannel: string }): SlackChat {
    return new SlackChat(deps.client, deps.adminChannel);
  }

  async postCard(r: CertificateRequest): Promise<{ channel: string; ts: string }> {
    const res = await this.client.chat.postMessage({ channel: this.adminChannel, ...approvalCard(r), unfurl_links: false });
    return { channel: res.channel ?? this.adminChannel, ts: res.ts! };
  }

  async updateCard(r: CertificateRequest): Promise<void> {
    if (!r.card) return;
    await this.client.chat.update({ channel: r.card.channel, ts: r.card.ts, ...approvalCard(r) });
  }

  async notifyRequester(r: CertificateRequest, n: RequesterNotice): Promise<void> {
    await this.client.chat.postMessage({ channel: await this.dm(r), ...requesterNotice(r, n) });
  }

  async deliver(r: CertificateRequest, f: DeliveredFiles): Promise<void> {
    await this.client.filesUploadV2({
      channel_id: await this.dm(r),
      initial_comment: f.instructions,
      file_uploads: [
        { content: f.certificatePem, filename: f.certificateFilename, title: f.certificateFilename },
        { content: f.kubeconfig, filename: f.kubeconfigFilename, title: f.kubeconfigFilename },
      ],
    });
  }

  async tellUser(channel: string, userId: string, text: string): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user: userId, text });
  }

  async tellAdmins(text: string): Promise<void> {
    await this.client.chat.postMessage({ channel: this.adminChannel, text });
  }

  async person(userId: string): Promise<SlackPerson> {
    const res = await this.client.users.info({ user: userId });
    const u = res.user;
    return {
      userId,
      teamId: u?.team_id ?? '',
      name: u?.name ?? userId,
      realName: u?.real_name || u?.profile?.real_name || undefined,
      email: u?.profile?.email || undefined,
    };
  }

  async groupMembers(groupId: string): Promise<string[]> {
    const res = await this.client.usergroups.users.list({ usergroup: groupId });
    return res.users ?? [];
  }

  /** The requester's DM with the bot; conversations.open is idempotent on Slack's side. */
  private async dm(r: CertificateRequest): Promise<string> {
    if (r.dmChannel) return r.dmChannel;
    const res = await this.client.conversations.open({ users: r.requester.userId });
    return res.channel!.id!;
  }
}
