/**
 * Block Kit validation the way slack.com does it: every violation becomes one
 * line `[ERROR] <what> [json-pointer:<where>]`, and a payload with any
 * violation is refused as a whole. Limits are the documented ones
 * (docs.slack.dev/reference/block-kit); unknown fields are refused as
 * "invalid additional property", which is what catches `imageUrl`-style typos.
 *
 * Exported so unit tests of pure Block Kit builders can call it directly.
 */

export type Surface = 'message' | 'modal' | 'home';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: string[] = [];

  err(message: string, pointer: string): void {
    this.errors.push(`[ERROR] ${message} [json-pointer:${pointer}]`);
  }

  /** Refuses fields the schema does not know. */
  keys(o: Obj, allowed: readonly string[], ptr: string): void {
    for (const k of Object.keys(o)) {
      if (k !== 'type' && !allowed.includes(k)) this.err(`invalid additional property: ${k}`, ptr);
    }
  }

  obj(o: Obj, key: string, ptr: string, required: boolean): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.err(`missing required field: ${key}`, ptr);
      return undefined;
    }
    if (!isObj(v)) {
      this.err('must provide an object', `${ptr}/${key}`);
      return undefined;
    }
    return v;
  }

  str(o: Obj, key: string, ptr: string, opts: { required?: boolean; max?: number; min?: number } = {}): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (opts.required) this.err(`missing required field: ${key}`, ptr);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.err('must provide a string', `${ptr}/${key}`);
      return undefined;
    }
    const min = opts.min ?? (opts.required ? 1 : 0);
    if (v.length < min) this.err(`must be more than ${min - 1} characters`, `${ptr}/${key}`);
    if (opts.max !== undefined && v.length > opts.max) this.err(`must be less than ${opts.max + 1} characters`, `${ptr}/${key}`);
    return v;
  }

  bool(o: Obj, key: string, ptr: string): void {
    const v = o[key];
    if (v !== undefined && typeof v !== 'boolean') this.err('must provide a boolean', `${ptr}/${key}`);
  }

  int(o: Obj, key: string, ptr: string, min: number, max: number): void {
    const v = o[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.err('must provide an integer', `${ptr}/${key}`);
    else if (v < min) this.err(`must be at least ${min}`, `${ptr}/${key}`);
    else if (v > max) this.err(`must be at most ${max}`, `${ptr}/${key}`);
  }

  oneOf(o: Obj, key: string, ptr: string, values: readonly string[]): void {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !values.includes(v))) this.err('must be one of the provided values', `${ptr}/${key}`);
  }

  arr(o: Obj, key: string, ptr: string, opts: { required?: boolean; max?: number; min?: number } = {}): unknown[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (opts.required) this.err(`missing required field: ${key}`, ptr);
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.err('must provide an array', `${ptr}/${key}`);
      return undefined;
    }
    const min = opts.min ?? (opts.required ? 1 : 0);
    if (v.length < min) this.err(`must provide at least ${min} items`, `${ptr}/${key}`);
    if (opts.max !== undefined && v.length > opts.max) this.err(`no more than ${opts.max} items allowed`, `${ptr}/${key}`);
    return v;
  }

  /** A composition text object: {type: plain_text|mrkdwn, text, emoji?, verbatim?}. */
  text(o: Obj, key: string, ptr: string, opts: { required?: boolean; max: number; plainOnly?: boolean }): void {
    const t = this.obj(o, key, ptr, opts.required ?? false);
    if (!t) return;
    this.textObject(t, `${ptr}/${key}`, opts);
  }

  textObject(t: Obj, ptr: string, opts: { max: number; plainOnly?: boolean }): void {
    const type = t.type;
    if (type === undefined) this.err('missing required field: type', ptr);
    else if (type !== 'plain_text' && type !== 'mrkdwn') this.err('must be one of the provided values', `${ptr}/type`);
    else if (opts.plainOnly && type !== 'plain_text') this.err('must be a plain_text object', `${ptr}/type`);
    this.keys(t, type === 'mrkdwn' ? ['text', 'verbatim'] : ['text', 'emoji'], ptr);
    this.str(t, 'text', ptr, { required: true, max: opts.max });
    this.bool(t, 'emoji', ptr);
    this.bool(t, 'verbatim', ptr);
  }

  confirm(o: Obj, ptr: string): void {
    const c = this.obj(o, 'confirm', ptr, false);
    if (!c) return;
    const p = `${ptr}/confirm`;
    this.keys(c, ['title', 'text', 'confirm', 'deny', 'style'], p);
    this.text(c, 'title', p, { required: true, max: 100, plainOnly: true });
    this.text(c, 'text', p, { required: true, max: 300 });
    this.text(c, 'confirm', p, { required: true, max: 30, plainOnly: true });
    this.text(c, 'deny', p, { required: true, max: 30, plainOnly: true });
    this.oneOf(c, 'style', p, ['primary', 'danger']);
  }

  option(v: unknown, ptr: string, opts: { mrkdwn: boolean; url: boolean }): void {
    if (!isObj(v)) {
      this.err('must provide an object', ptr);
      return;
    }
    this.keys(v, opts.url ? ['text', 'value', 'description', 'url'] : ['text', 'value', 'description'], ptr);
    this.text(v, 'text', ptr, { required: true, max: 75, plainOnly: !opts.mrkdwn });
    this.str(v, 'value', ptr, { required: true, max: 150 });
    this.text(v, 'description', ptr, { max: 75, plainOnly: !opts.mrkdwn });
    this.str(v, 'url', ptr, { max: 3000 });
  }

  options(o: Obj, key: string, ptr: string, opts: { required: boolean; max: number; min?: number; mrkdwn?: boolean; url?: boolean }): void {
    const list = this.arr(o, key, ptr, opts);
    list?.forEach((v, i) => this.option(v, `${ptr}/${key}/${i}`, { mrkdwn: opts.mrkdwn ?? false, url: opts.url ?? false }));
  }
}

const ACTION = ['action_id'];
const SELECT_COMMON = [...ACTION, 'placeholder', 'confirm', 'focus_on_load'];

/** Allowed keys per interactive element type (beyond `type`). */
const ELEMENT_KEYS: Record<string, readonly string[]> = {
  button: [...ACTION, 'text', 'url', 'value', 'style', 'confirm', 'accessibility_label'],
  static_select: [...SELECT_COMMON, 'options', 'option_groups', 'initial_option'],
  multi_static_select: [...SELECT_COMMON, 'options', 'option_groups', 'initial_options', 'max_selected_items'],
  external_select: [...SELECT_COMMON, 'initial_option', 'min_query_length'],
  multi_external_select: [...SELECT_COMMON, 'initial_options', 'min_query_length', 'max_selected_items'],
  users_select: [...SELECT_COMMON, 'initial_user'],
  multi_users_select: [...SELECT_COMMON, 'initial_users', 'max_selected_items'],
  conversations_select: [...SELECT_COMMON, 'initial_conversation', 'default_to_current_conversation', 'response_url_enabled', 'filter'],
  multi_conversations_select: [...SELECT_COMMON, 'initial_conversations', 'default_to_current_conversation', 'max_selected_items', 'filter'],
  channels_select: [...SELECT_COMMON, 'initial_channel', 'response_url_enabled'],
  multi_channels_select: [...SELECT_COMMON, 'initial_channels', 'max_selected_items'],
  overflow: [...ACTION, 'options', 'confirm'],
  datepicker: [...SELECT_COMMON, 'initial_date'],
  timepicker: [...SELECT_COMMON, 'initial_time', 'timezone'],
  datetimepicker: [...ACTION, 'initial_date_time', 'confirm', 'focus_on_load'],
  plain_text_input: [...ACTION, 'placeholder', 'initial_value', 'multiline', 'min_length', 'max_length', 'dispatch_action_config', 'focus_on_load'],
  email_text_input: [...ACTION, 'placeholder', 'initial_value', 'dispatch_action_config', 'focus_on_load'],
  url_text_input: [...ACTION, 'placeholder', 'initial_value', 'dispatch_action_config', 'focus_on_load'],
  number_text_input: [...ACTION, 'placeholder', 'initial_value', 'is_decimal_allowed', 'min_value', 'max_value', 'dispatch_action_config', 'focus_on_load'],
  checkboxes: [...ACTION, 'options', 'initial_options', 'confirm', 'focus_on_load'],
  radio_buttons: [...ACTION, 'options', 'initial_option', 'confirm', 'focus_on_load'],
  rich_text_input: [...ACTION, 'placeholder', 'initial_value', 'dispatch_action_config', 'focus_on_load'],
  file_input: [...ACTION, 'filetypes', 'max_files'],
  image: ['image_url', 'slack_file', 'alt_text'],
};

const SELECTS = [
  'static_select',
  'multi_static_select',
  'external_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
];
/** Which element types each container accepts (docs: "Compatible blocks"). */
const IN_ACTIONS = ['button', 'checkboxes', 'datepicker', 'datetimepicker', 'overflow', 'radio_buttons', 'timepicker', 'rich_text_input', ...SELECTS];
const IN_ACCESSORY = ['button', 'checkboxes', 'datepicker', 'image', 'overflow', 'radio_buttons', 'timepicker', ...SELECTS];
const IN_INPUT = [
  'checkboxes',
  'datepicker',
  'datetimepicker',
  'email_text_input',
  'file_input',
  'number_text_input',
  'plain_text_input',
  'radio_buttons',
  'rich_text_input',
  'timepicker',
  'url_text_input',
  ...SELECTS,
];

function checkElement(c: Checker, el: unknown, ptr: string, allowed: readonly string[], actionIds: Map<string, string>): void {
  if (!isObj(el)) {
    c.err('must provide an object', ptr);
    return;
  }
  const type = el.type;
  if (typeof type !== 'string') {
    c.err('missing required field: type', ptr);
    return;
  }
  const keys = ELEMENT_KEYS[type];
  if (!keys || !allowed.includes(type)) {
    c.err(`unsupported element type: ${type}`, `${ptr}/type`);
    return;
  }
  c.keys(el, keys, ptr);
  if (keys.includes('action_id')) {
    const id = c.str(el, 'action_id', ptr, { max: 255 });
    if (id !== undefined) {
      if (actionIds.has(id)) c.err(`action_id must be unique in the block, already used at ${actionIds.get(id)}`, `${ptr}/action_id`);
      else actionIds.set(id, ptr);
    }
  }
  if (keys.includes('confirm')) c.confirm(el, ptr);
  if (keys.includes('placeholder')) c.text(el, 'placeholder', ptr, { max: 150, plainOnly: true });
  c.bool(el, 'focus_on_load', ptr);
  switch (type) {
    case 'button':
      c.text(el, 'text', ptr, { required: true, max: 75, plainOnly: true });
      c.str(el, 'url', ptr, { max: 3000 });
      c.str(el, 'value', ptr, { max: 2000 });
      c.oneOf(el, 'style', ptr, ['primary', 'danger']);
      c.str(el, 'accessibility_label', ptr, { max: 75 });
      break;
    case 'static_select':
    case 'multi_static_select': {
      const hasOptions = el.options !== undefined;
      const hasGroups = el.option_groups !== undefined;
      if (hasOptions === hasGroups) c.err('must provide exactly one of options or option_groups', ptr);
      c.options(el, 'options', ptr, { required: false, max: 100 });
      const groups = c.arr(el, 'option_groups', ptr, { max: 100 });
      groups?.forEach((g, i) => {
        const gp = `${ptr}/option_groups/${i}`;
        if (!isObj(g)) return c.err('must provide an object', gp);
        c.keys(g, ['label', 'options'], gp);
        c.text(g, 'label', gp, { required: true, max: 75, plainOnly: true });
        c.options(g, 'options', gp, { required: true, max: 100 });
      });
      if (el.initial_option !== undefined) c.option(el.initial_option, `${ptr}/initial_option`, { mrkdwn: false, url: false });
      c.arr(el, 'initial_options', ptr, { max: 100 })?.forEach((o, i) => c.option(o, `${ptr}/initial_options/${i}`, { mrkdwn: false, url: false }));
      c.int(el, 'max_selected_items', ptr, 1, 100);
      break;
    }
    case 'overflow':
      c.options(el, 'options', ptr, { required: true, max: 5, min: 1, url: true });
      break;
    case 'checkboxes':
      c.options(el, 'options', ptr, { required: true, max: 10, mrkdwn: true });
      c.arr(el, 'initial_options', ptr, { max: 10 })?.forEach((o, i) => c.option(o, `${ptr}/initial_options/${i}`, { mrkdwn: true, url: false }));
      break;
    case 'radio_buttons':
      c.options(el, 'options', ptr, { required: true, max: 10, mrkdwn: true });
      if (el.initial_option !== undefined) c.option(el.initial_option, `${ptr}/initial_option`, { mrkdwn: true, url: false });
      break;
    case 'plain_text_input':
      c.str(el, 'initial_value', ptr, { max: 3000 });
      c.bool(el, 'multiline', ptr);
      c.int(el, 'min_length', ptr, 0, 3000);
      c.int(el, 'max_length', ptr, 1, 3000);
      if (typeof el.min_length === 'number' && typeof el.max_length === 'number' && el.min_length > el.max_length) {
        c.err('min_length must not be greater than max_length', `${ptr}/min_length`);
      }
      break;
    case 'datepicker': {
      const d = c.str(el, 'initial_date', ptr);
      if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d)) c.err('must be a date in YYYY-MM-DD format', `${ptr}/initial_date`);
      break;
    }
    case 'timepicker': {
      const t = c.str(el, 'initial_time', ptr);
      if (t !== undefined && !/^\d{2}:\d{2}$/.test(t)) c.err('must be a time in HH:mm format', `${ptr}/initial_time`);
      break;
    }
    case 'number_text_input':
      if (typeof el.is_decimal_allowed !== 'boolean') c.err('missing required field: is_decimal_allowed', ptr);
      break;
    case 'file_input':
      c.int(el, 'max_files', ptr, 1, 10);
      break;
    case 'image':
      if (el.image_url === undefined && el.slack_file === undefined) c.err('missing required field: image_url', ptr);
      c.str(el, 'image_url', ptr, { max: 3000 });
      c.str(el, 'alt_text', ptr, { required: true, max: 2000 });
      break;
    default:
      break;
  }
}

const BLOCK_KEYS: Record<string, readonly string[]> = {
  section: ['text', 'fields', 'accessory', 'block_id', 'expand'],
  divider: ['block_id'],
  header: ['text', 'block_id'],
  image: ['image_url', 'slack_file', 'alt_text', 'title', 'block_id'],
  actions: ['elements', 'block_id'],
  context: ['elements', 'block_id'],
  input: ['label', 'element', 'dispatch_action', 'block_id', 'hint', 'optional'],
  file: ['external_id', 'source', 'block_id'],
  rich_text: ['elements', 'block_id'],
  markdown: ['text', 'block_id'],
  video: ['alt_text', 'author_name', 'block_id', 'description', 'provider_icon_url', 'provider_name', 'title', 'title_url', 'thumbnail_url', 'video_url'],
};

function checkBlock(c: Checker, b: unknown, ptr: string, blockIds: Map<string, string>): void {
  if (!isObj(b)) {
    c.err('must provide an object', ptr);
    return;
  }
  const type = b.type;
  if (type === undefined) {
    c.err('missing required field: type', ptr);
    return;
  }
  const keys = typeof type === 'string' ? BLOCK_KEYS[type] : undefined;
  if (!keys) {
    c.err(`unsupported block type: ${String(type)}`, `${ptr}/type`);
    return;
  }
  c.keys(b, keys, ptr);
  const blockId = c.str(b, 'block_id', ptr, { max: 255 });
  if (blockId !== undefined) {
    if (blockIds.has(blockId)) c.err(`block_id must be unique, already used at ${blockIds.get(blockId)}`, `${ptr}/block_id`);
    else blockIds.set(blockId, ptr);
  }
  const actionIds = new Map<string, string>();
  switch (type) {
    case 'section': {
      if (b.text === undefined && b.fields === undefined) c.err('must provide either text or fields', ptr);
      c.text(b, 'text', ptr, { max: 3000 });
      const fields = c.arr(b, 'fields', ptr, { max: 10 });
      fields?.forEach((f, i) => (isObj(f) ? c.textObject(f, `${ptr}/fields/${i}`, { max: 2000 }) : c.err('must provide an object', `${ptr}/fields/${i}`)));
      if (b.accessory !== undefined) checkElement(c, b.accessory, `${ptr}/accessory`, IN_ACCESSORY, actionIds);
      c.bool(b, 'expand', ptr);
      break;
    }
    case 'header':
      c.text(b, 'text', ptr, { required: true, max: 150, plainOnly: true });
      break;
    case 'image':
      if (b.image_url === undefined && b.slack_file === undefined) c.err('missing required field: image_url', ptr);
      c.str(b, 'image_url', ptr, { max: 3000 });
      c.str(b, 'alt_text', ptr, { required: true, max: 2000 });
      c.text(b, 'title', ptr, { max: 2000, plainOnly: true });
      break;
    case 'actions':
      c.arr(b, 'elements', ptr, { required: true, max: 25 })?.forEach((e, i) => checkElement(c, e, `${ptr}/elements/${i}`, IN_ACTIONS, actionIds));
      break;
    case 'context':
      c.arr(b, 'elements', ptr, { required: true, max: 10 })?.forEach((e, i) => {
        const ep = `${ptr}/elements/${i}`;
        if (isObj(e) && (e.type === 'plain_text' || e.type === 'mrkdwn')) c.textObject(e, ep, { max: 3000 });
        else checkElement(c, e, ep, ['image'], actionIds);
      });
      break;
    case 'input':
      c.text(b, 'label', ptr, { required: true, max: 2000, plainOnly: true });
      c.text(b, 'hint', ptr, { max: 2000, plainOnly: true });
      c.bool(b, 'optional', ptr);
      c.bool(b, 'dispatch_action', ptr);
      if (b.element === undefined) c.err('missing required field: element', ptr);
      else checkElement(c, b.element, `${ptr}/element`, IN_INPUT, actionIds);
      break;
    case 'file':
      c.str(b, 'external_id', ptr, { required: true });
      c.str(b, 'source', ptr, { required: true });
      break;
    case 'rich_text':
      c.arr(b, 'elements', ptr, { required: true });
      break;
    case 'markdown':
      c.str(b, 'text', ptr, { required: true, max: 12000 });
      break;
    case 'video':
      c.str(b, 'alt_text', ptr, { required: true });
      c.text(b, 'title', ptr, { required: true, max: 200, plainOnly: true });
      c.str(b, 'video_url', ptr, { required: true });
      c.str(b, 'thumbnail_url', ptr, { required: true });
      break;
    default:
      break;
  }
}

const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

function checkBlockList(c: Checker, blocks: unknown, ptr: string, surface: Surface): void {
  if (!Array.isArray(blocks)) {
    c.err('must provide an array', ptr);
    return;
  }
  if (blocks.length > MAX_BLOCKS[surface]) c.err(`no more than ${MAX_BLOCKS[surface]} items allowed`, ptr);
  const blockIds = new Map<string, string>();
  blocks.forEach((b, i) => checkBlock(c, b, `${ptr}/${i}`, blockIds));
}

/**
 * Validates a message's (or a Home tab's / modal's) `blocks` array.
 * @returns every violation; empty when Slack would accept the blocks.
 */
export function validateBlocks(blocks: unknown, options: { surface?: Surface; pointer?: string } = {}): string[] {
  const c = new Checker();
  checkBlockList(c, blocks, options.pointer ?? '/blocks', options.surface ?? 'message');
  return c.errors;
}

/** Validates a view object as given to views.open/update/push/publish. */
export function validateView(view: unknown, pointer = '/view'): string[] {
  const c = new Checker();
  if (!isObj(view)) {
    c.err('must provide an object', pointer);
    return c.errors;
  }
  const type = view.type;
  if (type !== 'modal' && type !== 'home') {
    if (type === undefined) c.err('missing required field: type', pointer);
    else c.err('must be one of the provided values', `${pointer}/type`);
    return c.errors;
  }
  const common = ['blocks', 'private_metadata', 'callback_id', 'external_id'];
  c.keys(view, type === 'modal' ? [...common, 'title', 'close', 'submit', 'clear_on_close', 'notify_on_close', 'submit_disabled'] : common, pointer);
  if (view.blocks === undefined) c.err('missing required field: blocks', pointer);
  else checkBlockList(c, view.blocks, `${pointer}/blocks`, type);
  c.str(view, 'private_metadata', pointer, { max: 3000 });
  c.str(view, 'callback_id', pointer, { max: 255 });
  c.str(view, 'external_id', pointer, { max: 255 });
  if (type === 'modal') {
    c.text(view, 'title', pointer, { required: true, max: 24, plainOnly: true });
    c.text(view, 'close', pointer, { max: 24, plainOnly: true });
    c.text(view, 'submit', pointer, { max: 24, plainOnly: true });
    c.bool(view, 'clear_on_close', pointer);
    c.bool(view, 'notify_on_close', pointer);
    c.bool(view, 'submit_disabled', pointer);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) c.err('missing required field: submit (a modal with input blocks needs a submit button)', pointer);
  }
  return c.errors;
}

/** Validates a message payload's `blocks` and attachment blocks, as chat.* and response_url do. */
export function validateMessage(message: { blocks?: unknown; attachments?: unknown }): string[] {
  const errors: string[] = [];
  if (message.blocks !== undefined) errors.push(...validateBlocks(message.blocks));
  if (Array.isArray(message.attachments)) {
    message.attachments.forEach((a, i) => {
      if (isObj(a) && a.blocks !== undefined) errors.push(...validateBlocks(a.blocks, { pointer: `/attachments/${i}/blocks` }));
    });
  }
  return errors;
}
