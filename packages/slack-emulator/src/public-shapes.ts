import { randomBytes } from 'node:crypto';
import type { Message, SlackFile, View } from './workspace.js';

/**
 * The shapes Slack shows to apps, cut from the emulator's model: the model
 * carries bookkeeping (deleted, open, content…) that real payloads never do.
 */

export function publicMessage(m: Message): Record<string, unknown> {
  const { deleted: _deleted, channel: _channel, ...rest } = m;
  return rest;
}

export function publicView(v: View): Record<string, unknown> {
  const { user: _u, open: _o, ...rest } = v;
  return structuredClone(rest) as Record<string, unknown>;
}

export function publicFile(f: SlackFile): Record<string, unknown> {
  const { content: _c, completed: _d, ...rest } = f;
  return { ...rest, channels: [...f.channels], groups: [...f.groups], ims: [...f.ims] };
}

export function randomBlockId(): string {
  return randomBytes(3).toString('base64url').slice(0, 4);
}

/** Slack fills in block_id and action_id when the app leaves them out. */
export function normalizeBlocks(blocks: unknown[]): unknown[] {
  const copy = structuredClone(blocks) as Record<string, unknown>[];
  const fillAction = (el: unknown): void => {
    if (typeof el === 'object' && el !== null && !('action_id' in el) && typeof (el as { type?: unknown }).type === 'string') {
      const t = (el as { type: string }).type;
      if (t !== 'image' && t !== 'plain_text' && t !== 'mrkdwn') (el as Record<string, unknown>).action_id = randomBytes(3).toString('base64url');
    }
  };
  for (const b of copy) {
    if (typeof b !== 'object' || b === null) continue;
    if (b.block_id === undefined) b.block_id = randomBlockId();
    if (b.type === 'actions' && Array.isArray(b.elements)) b.elements.forEach(fillAction);
    if (b.type === 'section' && b.accessory) fillAction(b.accessory);
    if (b.type === 'input' && b.element) fillAction(b.element);
  }
  return copy;
}
