import type { Content, Conversations } from './conversations.js';
import type { AppIdentity } from './identity.js';
import type { Message, SlackFile, Workspace } from './workspace.js';

/**
 * Files: created by an upload (the bot's two-step upload or a user's), shared
 * into conversations, and visible to the bot only where Slack would let it see them.
 */
export class Files {
  constructor(
    private readonly ws: Workspace,
    private readonly id: AppIdentity,
    private readonly conversations: Conversations,
    /** Where the emulator listens; file URLs point there. */
    private readonly baseUrl: () => string,
  ) {}

  get(id: string): SlackFile | undefined {
    return this.ws.files.get(id);
  }

  createFile(o: { name: string; user: string; size: number; content?: Buffer; title?: string }): SlackFile {
    const id = this.ws.newId('F');
    const now = Math.floor(Date.now() / 1000);
    const { mimetype, filetype, pretty } = fileTypeOf(o.name);
    const safeName = encodeURIComponent(o.name);
    const base = this.baseUrl();
    const team = this.id.teamId;
    const file: SlackFile = {
      id,
      created: now,
      timestamp: now,
      name: o.name,
      title: o.title ?? o.name,
      mimetype,
      filetype,
      pretty_type: pretty,
      user: o.user,
      user_team: team,
      editable: false,
      size: o.size,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: false,
      public_url_shared: false,
      display_as_bot: false,
      username: '',
      url_private: `${base}/files-pri/${team}-${id}/${safeName}`,
      url_private_download: `${base}/files-pri/${team}-${id}/download/${safeName}`,
      permalink: `https://${this.ws.team.domain}.slack.com/files/${o.user}/${id}/${safeName}`,
      channels: [],
      groups: [],
      ims: [],
      completed: false,
    };
    if (o.content) file.content = o.content;
    this.ws.files.set(id, file);
    return file;
  }

  /** Shares files into a channel with one message (file_share), as completeUploadExternal or a user's upload does. */
  shareFiles(channelId: string, userId: string, files: SlackFile[], c: Content): Message {
    const channel = this.ws.channels.get(channelId)!;
    for (const f of files) {
      const list = channel.is_im ? f.ims : channel.is_private ? f.groups : f.channels;
      if (!list.includes(channelId)) list.push(channelId);
      f.completed = true;
      this.ws.log(
        `files: ${f.id} "${f.name}" (${f.size} bytes, ${f.mimetype}) by ${this.ws.describeUser(f.user)} shared in ${this.ws.describeChannel(channelId)}`,
      );
    }
    return userId === this.id.botUserId
      ? this.conversations.postBotMessage(channelId, { ...c, files, via: 'files.completeUploadExternal' })
      : this.conversations.postUserMessage(channelId, userId, { ...c, files });
  }

  /** Slack shows the bot a file it uploaded or one shared in a conversation it is in. */
  botCanSee(f: SlackFile): boolean {
    if (f.user === this.id.botUserId) return true;
    return [...f.channels, ...f.groups, ...f.ims].some((c) => this.ws.channels.get(c)?.members.includes(this.id.botUserId));
  }

  /** Whether a file's upload URL still takes its bytes (known, not yet uploaded or completed). */
  awaitsUpload(fileId: string): boolean {
    const file = this.ws.files.get(fileId);
    return file !== undefined && !file.completed && file.content === undefined;
  }

  /** The bytes sent to a file's upload URL (check awaitsUpload first). */
  receiveUpload(fileId: string, content: Buffer): void {
    const file = this.ws.files.get(fileId);
    if (!file) throw new Error(`no file ${fileId}`);
    file.content = content;
    file.size = content.length;
    this.ws.log(`files: ${file.id} ${file.name} received ${content.length} bytes at the upload URL`);
  }

  /** A completed file the bot may download, by id. */
  downloadable(fileId: string): (SlackFile & { content: Buffer }) | undefined {
    const file = this.ws.files.get(fileId);
    if (!file || !file.completed || file.content === undefined || !this.botCanSee(file)) return undefined;
    return file as SlackFile & { content: Buffer };
  }
}

function fileTypeOf(name: string): { mimetype: string; filetype: string; pretty: string } {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (['csr', 'crt', 'pem', 'cer', 'key', 'txt', 'log'].includes(ext)) return { mimetype: 'text/plain', filetype: 'text', pretty: 'Plain Text' };
  if (ext === 'json') return { mimetype: 'application/json', filetype: 'json', pretty: 'JSON' };
  if (ext === 'csv') return { mimetype: 'text/csv', filetype: 'csv', pretty: 'CSV' };
  if (ext === 'png') return { mimetype: 'image/png', filetype: 'png', pretty: 'PNG' };
  if (ext === 'der') return { mimetype: 'application/x-x509-ca-cert', filetype: 'binary', pretty: 'Binary' };
  return { mimetype: 'application/octet-stream', filetype: 'binary', pretty: 'Binary' };
}
