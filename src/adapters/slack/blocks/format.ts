import type { Decision } from '../../../domain/lifecycle.js';
import { visible } from '../../../domain/visible.js';
/** Small text helpers shared by the builders. Slack mrkdwn needs &, <, > escaped; control and bidi characters are shown, never obeyed. */
export function esc(s: string): string {
  return visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to Slack's limit with an ellipsis, counting characters as Slack does. */
export function clip(s: string, max: number): string {
  // Never end inside an escape (&amp; cut to "&am…" would show as text).
  return s.length <= max ? s : `${s.slice(0, max - 1).replace(/&[a-z]{0,3}$/, '')}…`;
}

export function humanDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} s`;
}

/** Colon-separated pairs, the way `openssl x509 -fingerprint` prints: easier to compare by eye. */
export function fingerprintText(hex: string): string {
  return (hex.match(/.{1,2}/g) ?? []).join(':').toUpperCase();
}

/** Lifetimes offered in selects: common choices up to the maximum, plus the default. */
export function lifetimeChoices(defaultSeconds: number, maxSeconds: number): number[] {
  const common = [3600, 8 * 3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400, 365 * 86400];
  return [...new Set([...common.filter((s) => s <= maxSeconds), defaultSeconds])].sort((a, b) => a - b);
}

export function lifetimeOption(seconds: number) {
  return { text: { type: 'plain_text' as const, text: humanDuration(seconds) }, value: String(seconds) };
}

/** Who decided, for display: the Slack deciders' names (escaped), or the cluster's own account when decided outside Slack. */
export function decidedBy(d: Decision | undefined): string {
  if (!d) return 'an admin';
  if (d.outside) return esc(d.outside);
  if (d.auto) return `csrbot (automatic renewal: ${esc(d.auto)})`;
  return d.by.length ? d.by.map((p) => esc(p.name)).join(', ') : 'an admin';
}
