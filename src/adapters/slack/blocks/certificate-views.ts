/**
 * Block Kit for the views: `/cert list`, `/cert status`, `/cert pending`,
 * `/cert holders` and the App Home. Pure: data in, blocks out. Slack's limits
 * are kept here: 50 blocks in a message, 100 in a home tab, 3000 characters in
 * a section, 150 in a header; whatever does not fit is counted ("and N more").
 */
import type { CertificateRequest } from '../../../domain/lifecycle.js';
import type { CertificateRecord } from '../../../domain/inventory.js';
import type { HomeContent, Page, QueuedRequest } from '../../../ports.js';
import { Actions, COMMAND } from '../ids.js';
import { clip, esc } from './format.js';
import type { Button, KnownBlock, View } from './types.js';

/** A group list is clipped to this many characters, so one request cannot fill a section (3000). */
const GROUPS_MAX_CHARS = 600;

/** How many certificates and requests each surface lists before "and N more". */
export const SHOWN = {
  message: { certificates: 20, requests: 10, queue: 20, holders: 40 },
  home: { certificates: 40, requests: 15, queue: 20 },
} as const;

const section = (text: string, accessory?: Button): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text, 3000) },
  ...(accessory ? { accessory } : {}),
});
const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: clip(text, 150) } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, 3000) }] });

/** A time Slack renders in the reader's own time zone, with the UTC ISO time as the fallback. */
export function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** "in 5 h", "3 d ago": coarse, for scanning a list. */
export function relative(iso: string, now: Date): string {
  const s = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  if (Number.isNaN(s)) return '';
  const a = Math.abs(s);
  const amount = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 129600 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return s >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** The one word a certificate's state is: renewed, dismissed, ... or valid / expired. */
export function certificateStatus(c: CertificateRecord, now: Date): string {
  if (c.status !== 'active') return c.status;
  return Date.parse(c.notAfter) <= now.getTime() ? 'expired' : 'valid';
}

const STATUS_ICON: Record<string, string> = {
  valid: ':large_green_circle:',
  expired: ':red_circle:',
  renewed: ':arrows_counterclockwise:',
  superseded: ':arrows_counterclockwise:',
  dismissed: ':white_circle:',
  offboarded: ':no_entry:',
};

/** Short, for a list line: the first 16 hex digits. The full serial is in /cert status. */
const shortSerial = (serial: string) => (serial.length > 16 ? `${serial.slice(0, 16)}…` : serial);

/** One certificate as a list line; with a Renew button when its holder is looking and it still counts. */
function certificateBlock(c: CertificateRecord, now: Date, opts: { renew: boolean; holder?: boolean }): KnownBlock {
  const status = certificateStatus(c, now);
  const lines = [
    `${STATUS_ICON[status] ?? ''} *${clip(esc(c.username), 200)}* · ${status} · expires ${slackTime(c.notAfter)} (${relative(c.notAfter, now)})`,
    `${opts.holder && c.requesterId ? `<@${c.requesterId}> · ` : ''}serial \`${esc(shortSerial(c.serial))}\`${
      c.groups.length ? ` · groups ${clip(c.groups.map((g) => `\`${esc(g)}\``).join(', '), GROUPS_MAX_CHARS)}` : ''
    }`,
  ];
  const renewable = opts.renew && c.status === 'active';
  return section(
    lines.join('\n'),
    renewable ? { type: 'button', action_id: Actions.renew, text: { type: 'plain_text', text: 'Renew' }, value: c.serial.slice(0, 2000) } : undefined,
  );
}

const REQUEST_STATE: Record<CertificateRequest['state'], string> = {
  pending: 'waiting for an admin',
  approving: 'approved, being written to the cluster',
  denying: 'denied, being written to the cluster',
  approved: 'approved, waiting for the signer',
  issued: 'issued',
  denied: 'denied',
  failed: 'failed',
  deleted: 'deleted in the cluster',
  expired: 'expired undecided',
};

function requestLine(r: CertificateRequest, now: Date): string {
  return `:hourglass_flowing_sand: *${clip(esc(r.kubernetesUsername), 200)}* · ${REQUEST_STATE[r.state]} · asked ${relative(r.createdAt, now)} · request \`${r.id}\``;
}

function queueBlock(q: QueuedRequest, now: Date): KnownBlock {
  const r = q.request;
  const who = `<@${r.requester.userId}>`;
  const card = q.cardLink ? ` · <${q.cardLink}|open the card>` : '';
  const groups = r.csr.groups.length ? ` · groups ${clip(r.csr.groups.map((g) => `\`${esc(g)}\``).join(', '), GROUPS_MAX_CHARS)}` : '';
  return section(
    `*${clip(esc(r.kubernetesUsername), 200)}* for ${who}${groups}\nwaiting since ${slackTime(r.createdAt)} (${relative(r.createdAt, now)})${card}`,
  );
}

/** Up to `max` items rendered one block each, then "and N more" (counting the page's total, not just what was loaded). */
function listed<T>(p: Page<T>, max: number, render: (item: T) => KnownBlock, more: string): KnownBlock[] {
  const shown = p.items.slice(0, max);
  const blocks = shown.map(render);
  const rest = Math.max(p.total, p.items.length) - shown.length;
  if (rest > 0) blocks.push(context(`…and ${p.atLeast ? 'at least ' : ''}${rest} more. ${more}`.trim()));
  return blocks;
}

function myBlocks(
  now: Date,
  certificates: Page<CertificateRecord>,
  requests: Page<CertificateRequest>,
  limits: { certificates: number; requests: number },
): KnownBlock[] {
  const blocks: KnownBlock[] = [section('*Your certificates*')];
  if (certificates.total === 0) blocks.push(context(`You hold no certificates from csrbot. \`${COMMAND} request\` asks for one.`));
  else
    blocks.push(
      ...listed(certificates, limits.certificates, (c) => certificateBlock(c, now, { renew: true }), `\`${COMMAND} status <serial>\` shows any one of them.`),
    );
  blocks.push(section('*Your pending requests*'));
  if (requests.total === 0) blocks.push(context('None waiting.'));
  else blocks.push(...listed(requests, limits.requests, (r) => section(requestLine(r, now)), `\`${COMMAND} status <request id>\` shows any one of them.`));
  return blocks;
}

/** `/cert list`. */
export function listMessage(v: { now: Date; certificates: CertificateRecord[]; requests: CertificateRequest[] }): { text: string; blocks: KnownBlock[] } {
  const mine = SHOWN.message;
  const text = `You hold ${v.certificates.length} certificate${v.certificates.length === 1 ? '' : 's'} and have ${v.requests.length} pending request${v.requests.length === 1 ? '' : 's'}.`;
  return {
    text,
    blocks: [
      header('Your Kubernetes certificates'),
      ...myBlocks(v.now, { items: v.certificates, total: v.certificates.length }, { items: v.requests, total: v.requests.length }, mine),
    ],
  };
}

/** `/cert status <id|serial>`. `holder`: show the holder (an admin is looking at someone else's). */
export function statusMessage(v: { now: Date; request?: CertificateRequest; certificate?: CertificateRecord; viewer: string }): {
  text: string;
  blocks: KnownBlock[];
} {
  const { request: r, certificate: c, now } = v;
  const facts: string[] = [];
  const owner = c?.requesterId ?? r?.requester.userId;
  if (owner) facts.push(`*Holder:* <@${owner}>`);
  if (r) {
    facts.push(`*Request:* \`${r.id}\` · ${REQUEST_STATE[r.state]} · asked ${slackTime(r.createdAt)}`);
    facts.push(`*Kubernetes username:* \`${clip(esc(r.kubernetesUsername), 300)}\``);
    if (r.decision?.at) facts.push(`*Decided:* ${slackTime(r.decision.at)}${r.decision.reason ? ` · ${clip(esc(r.decision.reason), 500)}` : ''}`);
  }
  if (c) {
    facts.push(`*Certificate:* ${certificateStatus(c, now)} · expires ${slackTime(c.notAfter)} (${relative(c.notAfter, now)})`);
    facts.push(`*Serial:* \`${esc(c.serial)}\``);
    facts.push(`*Subject:* \`${clip(esc(c.subject), 400)}\``);
    if (c.groups.length) facts.push(`*Groups:* ${clip(c.groups.map((g) => `\`${esc(g)}\``).join(', '), GROUPS_MAX_CHARS)}`);
  }
  const name = r?.kubernetesUsername ?? c?.username ?? '';
  const blocks: KnownBlock[] = [header(`Certificate ${c ? 'for' : 'request for'} ${name}`), section(facts.join('\n'))];
  if (c && c.requesterId === v.viewer && c.status === 'active') {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', action_id: Actions.renew, text: { type: 'plain_text', text: 'Renew' }, value: c.serial.slice(0, 2000) }],
    });
  }
  return { text: clip(`${c ? 'Certificate' : 'Request'} for ${esc(name)}`, 3000), blocks };
}

/** `/cert pending` (admins). */
export function pendingMessage(v: { now: Date; queue: Page<QueuedRequest> }): { text: string; blocks: KnownBlock[] } {
  const text = `${v.queue.total} request${v.queue.total === 1 ? '' : 's'} waiting for an admin.`;
  const blocks: KnownBlock[] = [header('Requests waiting for an admin'), section(text)];
  blocks.push(...listed(v.queue, SHOWN.message.queue, (q) => queueBlock(q, v.now), 'The oldest are shown first; decide them on their cards.'));
  return { text, blocks };
}

/** `/cert holders` (admins). */
export function holdersMessage(v: { now: Date; holders: Page<CertificateRecord> }): { text: string; blocks: KnownBlock[] } {
  const text = `${v.holders.total} valid certificate${v.holders.total === 1 ? '' : 's'}.`;
  const blocks: KnownBlock[] = [header('Who holds a valid certificate'), section(`${text} Soonest expiry first.`)];
  blocks.push(...listed(v.holders, SHOWN.message.holders, (c) => certificateBlock(c, v.now, { renew: false, holder: true }), ''));
  return { text, blocks };
}

/** The App Home tab. */
export function homeView(h: HomeContent): View {
  const blocks: KnownBlock[] = [header('csrbot: your Kubernetes certificates'), ...myBlocks(h.now, h.certificates, h.requests, SHOWN.home)];
  if (h.admin) {
    blocks.push({ type: 'divider' }, header('Admin: requests waiting for a decision'));
    if (h.admin.queue.total === 0) blocks.push(context('Nothing is waiting.'));
    else blocks.push(...listed(h.admin.queue, SHOWN.home.queue, (q) => queueBlock(q, h.now), `\`${COMMAND} pending\` lists them too.`));
  }
  blocks.push(context(`Updated ${slackTime(h.now.toISOString())}. \`${COMMAND} help\` lists the commands.`));
  return { type: 'home', blocks };
}
