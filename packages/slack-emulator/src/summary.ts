/** One line per message: text, then a sketch of its blocks (headers, sections, buttons). */
export function summarizeMessage(m: { text: string; blocks?: unknown[]; files?: unknown[] }): string {
  const parts: string[] = [];
  if (m.text) parts.push(JSON.stringify(m.text.length > 300 ? `${m.text.slice(0, 300)}…` : m.text));
  if (m.blocks && !(m.blocks.length === 1 && (m.blocks[0] as { type?: string }).type === 'rich_text')) parts.push(`[${summarizeBlocks(m.blocks)}]`);
  if (m.files?.length) parts.push(`files: ${(m.files as { id: string; name: string }[]).map((f) => `${f.id} ${f.name}`).join(', ')}`);
  return parts.join(' ') || '(empty)';
}

export function summarizeBlocks(blocks: unknown[]): string {
  const textOf = (t: unknown): string => (typeof t === 'object' && t !== null ? String((t as { text?: unknown }).text ?? '') : '');
  const short = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return blocks
    .map((raw) => {
      const b = raw as Record<string, unknown>;
      const elementDesc = (e: Record<string, unknown>): string =>
        e.type === 'button'
          ? `button ${String(e.action_id)} "${textOf(e.text)}"${e.confirm ? ' (confirm)' : ''}`
          : `${String(e.type)} ${String(e.action_id ?? '')}`;
      switch (b.type) {
        case 'header':
          return `header "${short(textOf(b.text))}"`;
        case 'section':
          return `section "${short(textOf(b.text) || (Array.isArray(b.fields) ? b.fields.map(textOf).join(' | ') : ''))}"${b.accessory ? ` + ${elementDesc(b.accessory as Record<string, unknown>)}` : ''}`;
        case 'actions':
          return `actions: ${((b.elements as Record<string, unknown>[]) ?? []).map(elementDesc).join(', ')}`;
        case 'context':
          return `context "${short(((b.elements as unknown[]) ?? []).map(textOf).join(' '))}"`;
        case 'input':
          return `input ${String(b.block_id)} "${textOf(b.label)}" (${elementDesc((b.element as Record<string, unknown>) ?? {})})`;
        default:
          return String(b.type);
      }
    })
    .join(' | ');
}
