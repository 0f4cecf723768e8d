import { clip, esc } from './format.js';
import type { KnownBlock } from './types.js';

/** Why a CSR was not accepted, every finding at once, each with its fix. */
export function intakeProblems(problems: string[], warnings: string[] = []): { text: string; blocks: KnownBlock[] } {
  const text = problems.length === 1 ? `I can't use that CSR: ${esc(problems[0]!)}` : `I can't use that CSR (${problems.length} problems).`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: ":x: *I can't use that CSR.*" } },
    ...problems.slice(0, 20).map((p): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(esc(p), 3000) } })),
  ];
  if (warnings.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`Also: ${warnings.map(esc).join(' · ')}`, 2000) }] });
  return { text: clip(text, 3000), blocks };
}
