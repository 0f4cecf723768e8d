/**
 * What the Slack client remembers about stateful elements (text inputs,
 * selects, pickers, checkboxes) in a message, an ephemeral or a view, and how
 * it reports them in `state.values` (block_id → action_id → value).
 */

type El = Record<string, unknown>;

/** `state.values` as Slack sends it: block_id → action_id → `{ type, value | selected_option | ... }`. */
export type StateValues = Record<string, Record<string, El>>;

const TEXT_INPUTS = new Set(['plain_text_input', 'email_text_input', 'url_text_input', 'number_text_input']);

const STATEFUL = new Set([
  ...TEXT_INPUTS,
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
]);

export const isStateful = (el: El): boolean => STATEFUL.has(String(el.type));
export const isTextInput = (el: El): boolean => TEXT_INPUTS.has(String(el.type));

export interface Located {
  block: El;
  element: El;
}

/** Interactive elements where the client shows them: input blocks, actions blocks, section accessories. */
export function elementsOf(blocks: unknown[]): Located[] {
  const out: Located[] = [];
  for (const raw of blocks) {
    const block = raw as El;
    if (block.type === 'actions' && Array.isArray(block.elements)) for (const e of block.elements) out.push({ block, element: e as El });
    if (block.type === 'section' && block.accessory) out.push({ block, element: block.accessory as El });
    if (block.type === 'input' && block.element) out.push({ block, element: block.element as El });
  }
  return out;
}

export function findElement(blocks: unknown[], actionId: string, blockId?: string): Located | undefined {
  return elementsOf(blocks).find((l) => l.element.action_id === actionId && (blockId === undefined || l.block.block_id === blockId));
}

/**
 * Whether changing the element sends a block_actions payload. Outside input
 * blocks every stateful element dispatches on change; inside one, only when
 * the block has `dispatch_action: true`.
 */
export function dispatchesOnChange(l: Located): boolean {
  if (l.block.type === 'input') return l.block.dispatch_action === true;
  return isStateful(l.element) && !isTextInput(l.element);
}

export function allOptions(el: El): El[] {
  const opts = Array.isArray(el.options) ? (el.options as El[]) : [];
  const groups = Array.isArray(el.option_groups) ? (el.option_groups as El[]).flatMap((g) => (Array.isArray(g.options) ? (g.options as El[]) : [])) : [];
  return [...opts, ...groups];
}

export function pickOption(el: El, value: string): El {
  const opt = allOptions(el).find((o) => o.value === value);
  if (!opt) {
    const offered = allOptions(el)
      .map((o) => JSON.stringify(o.value))
      .join(', ');
    throw new Error(`no option with value "${value}" in ${String(el.type)} ${String(el.action_id)} (it offers ${offered || 'nothing'})`);
  }
  return { text: opt.text, value: opt.value };
}

/**
 * The state entry for an element: `given` (a string, an array for multi
 * selects, or a ready-made entry object) or, when undefined, its initial value.
 */
export function encodeInput(el: El, given: unknown): El {
  const type = el.type;
  if (typeof given === 'object' && given !== null && !Array.isArray(given)) return { type, ...(given as El) };
  const s = given === undefined || given === null ? undefined : String(given);
  const list = Array.isArray(given) ? given.map(String) : undefined;
  const initialOption = el.initial_option as El | undefined;
  const initialOptions = el.initial_options as El[] | undefined;
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_text_input':
      // An empty input reports null, as Slack does.
      if (given !== undefined) return { type, value: s === undefined || s === '' ? null : s };
      return { type, value: typeof el.initial_value === 'string' && el.initial_value !== '' ? el.initial_value : null };
    case 'static_select':
    case 'radio_buttons':
      if (given === null) return { type, selected_option: null };
      return { type, selected_option: s !== undefined ? pickOption(el, s) : initialOption ? { text: initialOption.text, value: initialOption.value } : null };
    case 'external_select':
      return { type, selected_option: s !== undefined ? { text: { type: 'plain_text', text: s }, value: s } : (initialOption ?? null) };
    case 'multi_static_select':
    case 'checkboxes':
      return { type, selected_options: list ? list.map((v) => pickOption(el, v)) : (initialOptions ?? []).map((o) => ({ text: o.text, value: o.value })) };
    case 'multi_external_select':
      return { type, selected_options: list ? list.map((v) => ({ text: { type: 'plain_text', text: v }, value: v })) : (initialOptions ?? []) };
    case 'users_select':
      return { type, selected_user: s ?? (el.initial_user as string | undefined) ?? null };
    case 'multi_users_select':
      return { type, selected_users: list ?? (el.initial_users as string[] | undefined) ?? [] };
    case 'conversations_select':
      return { type, selected_conversation: s ?? (el.initial_conversation as string | undefined) ?? null };
    case 'multi_conversations_select':
      return { type, selected_conversations: list ?? (el.initial_conversations as string[] | undefined) ?? [] };
    case 'channels_select':
      return { type, selected_channel: s ?? (el.initial_channel as string | undefined) ?? null };
    case 'multi_channels_select':
      return { type, selected_channels: list ?? (el.initial_channels as string[] | undefined) ?? [] };
    case 'datepicker':
      return { type, selected_date: s ?? (el.initial_date as string | undefined) ?? null };
    case 'timepicker':
      return { type, selected_time: s ?? (el.initial_time as string | undefined) ?? null };
    case 'datetimepicker':
      return { type, selected_date_time: s !== undefined ? Number(s) : ((el.initial_date_time as number | undefined) ?? null) };
    default:
      return { type, value: s ?? null };
  }
}

/** A remembered entry still applies if the element kept its type and (for static options) the option still exists. */
function stillValid(el: El, entry: El): boolean {
  if (entry.type !== el.type) return false;
  const values = new Set(allOptions(el).map((o) => o.value));
  if (el.type === 'static_select' || el.type === 'radio_buttons') {
    const picked = entry.selected_option as El | null;
    return picked === null || values.has(picked.value);
  }
  if (el.type === 'multi_static_select' || el.type === 'checkboxes') return (entry.selected_options as El[]).every((o) => values.has(o.value));
  return true;
}

/**
 * Per-user, per-surface memory of what was typed or picked. Surfaces are
 * keyed by the caller (message channel+ts, ephemeral ts); entries by
 * block_id/action_id, so a chat.update that keeps a block_id keeps what the
 * user typed there (Slack's advice: a new block_id to reset an input).
 */
export class InputStates {
  private readonly edits = new Map<string, StateValues>();

  private key(user: string, surface: string): string {
    return `${user} ${surface}`;
  }

  remember(user: string, surface: string, blockId: string, actionId: string, entry: El): void {
    const k = this.key(user, surface);
    const s = this.edits.get(k) ?? {};
    (s[blockId] ??= {})[actionId] = structuredClone(entry);
    this.edits.set(k, s);
  }

  /** `state.values` the client would send now: every stateful element of `blocks`, edited or initial. */
  values(user: string, surface: string, blocks: unknown[]): StateValues {
    const edits = this.edits.get(this.key(user, surface)) ?? {};
    const out: StateValues = {};
    for (const { block, element } of elementsOf(blocks)) {
      if (!isStateful(element)) continue;
      const blockId = String(block.block_id);
      const actionId = String(element.action_id);
      const edited = edits[blockId]?.[actionId];
      (out[blockId] ??= {})[actionId] = edited && stillValid(element, edited) ? structuredClone(edited) : encodeInput(element, undefined);
    }
    return out;
  }
}
