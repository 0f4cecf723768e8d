import type { CallRecord } from './api-endpoint.js';
import { summarizeBlocks, summarizeMessage } from './summary.js';
import type { Workspace } from './workspace.js';

/**
 * Renders the workspace for a failing test: who is in it, what happened in
 * order (messages, ephemerals, views, files, deliveries, API errors), then
 * the current state of every conversation.
 */
export function renderTranscript(ws: Workspace, bot: { botName: string; botUserId: string }, calls: readonly CallRecord[]): string {
  const t0 = ws.startedAt;
  const lines: string[] = [];
  lines.push(`=== Slack emulator transcript: team ${ws.team.id} "${ws.team.name}", bot @${bot.botName} (${bot.botUserId}) ===`);
  lines.push('users:');
  for (const u of ws.users.values()) {
    lines.push(`  @${u.name} ${u.id}${u.is_bot ? ' (bot)' : ''}${u.profile.email ? ` <${u.profile.email}>` : ''} "${u.real_name}"`);
  }
  for (const g of ws.usergroups.values()) lines.push(`  group @${g.handle} ${g.id}: ${g.users.map((id) => ws.describeUser(id)).join(', ')}`);
  lines.push('--- timeline ---');
  for (const e of ws.transcript) lines.push(`  +${((e.at - t0) / 1000).toFixed(3)}s ${e.line}`);
  lines.push('--- conversations now ---');
  for (const c of ws.channels.values()) {
    lines.push(`  ${ws.describeChannel(c.id)} members: ${c.members.map((m) => ws.describeUser(m)).join(', ')}`);
    for (const m of ws.messages.filter((x) => x.channel === c.id)) {
      lines.push(
        `    ${m.deleted ? '(deleted) ' : ''}${m.ts}${m.thread_ts && m.thread_ts !== m.ts ? ` ↳${m.thread_ts}` : ''} ${ws.describeUser(m.user)}: ${summarizeMessage(m)}${m.edited ? ' (edited)' : ''}`,
      );
    }
    for (const e of ws.ephemerals.filter((x) => x.channel === c.id)) {
      lines.push(`    ${e.deleted ? '(deleted) ' : ''}ephemeral ${e.ts} to ${ws.describeUser(e.user)}: ${summarizeMessage(e)}`);
    }
  }
  if (ws.views.size > 0) {
    lines.push('--- views ---');
    for (const v of ws.views.values()) {
      const title = typeof v.title === 'object' && v.title !== null ? `"${String((v.title as { text?: unknown }).text)}" ` : '';
      lines.push(
        `  ${v.id} ${v.type} ${v.open ? 'OPEN' : 'closed'} for ${ws.describeUser(v.user)} callback_id=${v.callback_id} ${title}[${summarizeBlocks(v.blocks)}]`,
      );
    }
  }
  if (ws.files.size > 0) {
    lines.push('--- files ---');
    for (const f of ws.files.values()) {
      lines.push(
        `  ${f.id} "${f.name}" ${f.size} bytes ${f.mimetype} by ${ws.describeUser(f.user)}${f.completed ? '' : ' (upload not completed)'} shared in: ${[...f.channels, ...f.groups, ...f.ims].join(', ') || '-'}`,
      );
    }
  }
  lines.push(`--- web api: ${calls.length} calls (${calls.filter((c) => !c.ok).length} failed) ---`);
  return lines.join('\n');
}
