import { validateView } from './block-kit.js';
import type { Conversations } from './conversations.js';
import type { Delivery } from './delivery.js';
import type { EventFeed } from './events.js';
import type { Files } from './files.js';
import type { AppIdentity, BotRef } from './identity.js';
import { interactionBase, slashCommandBody } from './payloads.js';
import { publicView } from './public-shapes.js';
import type { ResponseUrls } from './response-urls.js';
import type { DeliveryOutcome } from './transports.js';
import type { Views } from './views.js';
import type { WaitOptions } from './waits.js';
import {
  InputStates,
  dispatchesOnChange,
  encodeInput,
  findElement,
  isStateful,
  isTextInput,
  pickOption,
  type Located,
  type StateValues,
} from './input-state.js';
import type { Ephemeral, Message, SlackFile, SlackUser, View, Workspace } from './workspace.js';

/** The parts of the emulator a user driver acts through. */
export interface DriverDeps {
  readonly workspace: Workspace;
  readonly id: AppIdentity;
  readonly conversations: Conversations;
  readonly views: Views;
  readonly files: Files;
  readonly responseUrls: ResponseUrls;
  readonly delivery: Delivery;
  readonly events: EventFeed;
  /** What each user entered in messages and ephemerals, as their Slack client remembers it. */
  readonly inputStates: InputStates;
  /** Slash commands the app declares; others get Slackbot's "not a valid command". */
  readonly commands: readonly string[];
  waitFor<T>(probe: () => T | undefined | null | false, description: string, o?: WaitOptions): Promise<T>;
  transcript(): string;
}

/** What the user saw after typing a slash command. */
export interface SlashResponse {
  /** False when Slack showed the user an error instead of a response. */
  ok: boolean;
  /** operation_timeout (no ack in 3 s), dispatch_failed (bot unreachable / non-200), invalid_command, invalid_blocks. */
  error?: string;
  errors?: string[];
  acked: boolean;
  /** How long the bot took to ack (or until Slack gave up), as Slack measured it; absent for an unknown command. */
  ackMs?: number;
  /** The ack payload (Socket Mode) or response body (HTTP), if any. */
  payload?: Record<string, unknown>;
  /** Text of the visible response (ephemeral or in-channel), '' if the ack was empty. */
  text: string;
  blocks?: unknown[];
  ephemeral?: Ephemeral;
  message?: Message;
  channel: string;
  responseUrl: string;
  triggerId: string;
}

export interface ClickResult {
  acked: boolean;
  /** How long the bot took to ack (or until Slack gave up), as Slack measured it. */
  ackMs: number;
  error?: string;
  payload?: Record<string, unknown>;
  triggerId: string;
  responseUrl?: string;
  /** The block_actions payload as delivered. */
  body: Record<string, unknown>;
}

export interface SubmitResult {
  acked: boolean;
  /** How long the bot took to ack (or until Slack gave up), as Slack measured it. */
  ackMs?: number;
  error?: string;
  /** What the bot's ack asked for; "close" when it acked with nothing. */
  responseAction?: 'errors' | 'update' | 'push' | 'clear' | 'close';
  /** response_action "errors": block_id → message shown under the input. */
  errors?: Record<string, string>;
  /** The view now on top of the user's stack, if any. */
  view?: View;
  /** The view_submission payload as delivered. */
  body: Record<string, unknown>;
}

/** What `fill` did: the state the user now sees, and the block_actions delivery if the element dispatches on change. */
export interface FillResult {
  dispatched: boolean;
  state: StateValues;
  delivery?: ClickResult;
}

type Target = Message | Ephemeral | View;
type El = Record<string, unknown>;

const surfaceKey = (t: Message | Ephemeral): string => `${isEphemeral(t) ? 'ephemeral' : 'message'} ${t.channel} ${t.ts}`;

const isView = (t: Target): t is View => 'callback_id' in t && 'hash' in t;
const isEphemeral = (t: Target): t is Ephemeral => 'via' in t && 'from' in t;

/** A conversation as one user sees it: say things, upload files. */
export class Conversation {
  constructor(
    private readonly slack: DriverDeps,
    private readonly user: UserDriver,
    readonly channelId: string,
  ) {}

  /** Posts a message as the user; the bot gets the message event. */
  async say(text: string, o: { threadTs?: string } = {}): Promise<Message> {
    return this.slack.conversations.postUserMessage(this.channelId, this.user.id, { text, threadTs: o.threadTs });
  }

  /** Uploads a file as the user into this conversation (message subtype file_share, event to the bot). */
  async upload(filename: string, content: string | Buffer, o: { title?: string; comment?: string } = {}): Promise<{ message: Message; file: SlackFile }> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const file = this.slack.files.createFile({ name: filename, user: this.user.id, size: data.length, content: data, ...(o.title ? { title: o.title } : {}) });
    const message = this.slack.files.shareFiles(this.channelId, this.user.id, [file], { text: o.comment ?? '' });
    if (this.slack.events.subscribes('file_shared')) {
      this.slack.events.send(
        { type: 'file_shared', file_id: file.id, user_id: this.user.id, file: { id: file.id }, channel_id: this.channelId, event_ts: message.ts },
        `file_shared ${file.id}`,
      );
    }
    return { message, file };
  }

  messages(): Message[] {
    return this.slack.conversations.messagesIn(this.channelId);
  }

  slash(command: string, text = ''): Promise<SlashResponse> {
    return this.user.slash(command, text, { channel: this.channelId });
  }
}

/** Acts as one human in the workspace. Get it from emu.addUser(...) or emu.user('jane'). */
export class UserDriver {
  constructor(
    private readonly slack: DriverDeps,
    readonly profile: SlackUser,
  ) {}

  get id(): string {
    return this.profile.id;
  }

  get name(): string {
    return this.profile.name;
  }

  /** The user's DM with the bot. */
  dm(_bot?: BotRef): Conversation {
    return new Conversation(this.slack, this, this.slack.conversations.openDm(this.id).channel.id);
  }

  /** A channel (id or #name) the user is in. */
  in(channel: string): Conversation {
    const c = this.slack.workspace.channels.get(channel) ?? this.slack.conversations.resolveChannel(`#${channel.replace(/^#/, '')}`);
    if (!c.members.includes(this.id)) throw new Error(`@${this.name} is not a member of #${c.name}`);
    return new Conversation(this.slack, this, c.id);
  }

  /** Types `/command text` (by default in the DM with the bot) and returns what Slack showed. */
  async slash(command: string, text = '', o: { channel?: string } = {}): Promise<SlashResponse> {
    const slack = this.slack;
    const channel = o.channel ? slack.conversations.resolveChannel(o.channel) : slack.conversations.openDm(this.id).channel;
    const triggerId = slack.views.issueTrigger(this.id);
    const responseUrl = slack.responseUrls.issue({ kind: 'command', user: this.id, channel: channel.id });
    const base = { channel: channel.id, responseUrl, triggerId, text: '' };
    if (!slack.commands.includes(command)) {
      const ephemeral = slack.conversations.postEphemeral(
        channel.id,
        this.id,
        { text: `${command} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.` },
        'slack',
        'USLACKBOT',
      );
      return { ...base, ok: false, acked: false, error: 'invalid_command', ephemeral, text: ephemeral.text };
    }
    const body = slashCommandBody(slack.id, slack.workspace, {
      channelId: channel.id,
      channelName: slack.conversations.channelNameFor(channel.id),
      user: this.profile,
      command,
      text,
      responseUrl,
      triggerId,
    });
    slack.workspace.log(`${slack.workspace.describeChannel(channel.id)}: @${this.name} typed ${command} ${text}`);
    const outcome = await slack.delivery.deliver('slash_commands', body, `${command} ${text}`.trim());
    if (!outcome.acked) {
      const error = outcome.reason === 'timeout' || outcome.reason === 'http_timeout' ? 'operation_timeout' : 'dispatch_failed';
      const ephemeral = slack.conversations.postEphemeral(channel.id, this.id, { text: `${command} failed with the error "${error}"` }, 'slack', 'USLACKBOT');
      return { ...base, ok: false, acked: false, ackMs: outcome.ms, error, ephemeral, text: ephemeral.text };
    }
    const payload = outcome.payload;
    const result: SlashResponse = { ...base, ok: true, acked: true, ackMs: outcome.ms };
    if (payload) result.payload = payload;
    const hasContent =
      payload &&
      (payload.text || (Array.isArray(payload.blocks) && payload.blocks.length) || (Array.isArray(payload.attachments) && payload.attachments.length));
    if (!payload || !hasContent) return result;
    const applied = slack.responseUrls.apply({ kind: 'command', user: this.id, channel: channel.id, createdAt: Date.now(), uses: 0 }, payload, 'ack');
    if (!applied.ok) {
      slack.conversations.postEphemeral(channel.id, this.id, { text: `${command} failed with the error "${applied.error}"` }, 'slack', 'USLACKBOT');
      return { ...result, ok: false, error: applied.error, ...(applied.errors ? { errors: applied.errors } : {}) };
    }
    const shown = applied.ephemeral ?? applied.message;
    if (applied.ephemeral) result.ephemeral = applied.ephemeral;
    if (applied.message) result.message = applied.message;
    result.text = shown?.text ?? '';
    if (shown?.blocks) result.blocks = shown.blocks;
    return result;
  }

  /**
   * Clicks (or picks, for selects: pass `value`/`values`) the element with
   * `actionId` in a message, ephemeral or view. A confirm dialog is confirmed.
   * Always delivers block_actions; a pick is also remembered as the element's
   * state. In a message or ephemeral, `state.values` carries every stateful
   * element as this user sees it (initial values, then what `fill` changed).
   */
  async click(
    target: Target,
    actionId: string,
    o: { value?: string; values?: string[]; blockId?: string; /** A button's value replaced, as a tampered client could send it. */ forgedValue?: string } = {},
  ): Promise<ClickResult> {
    const { block, element } = this.locate(target, actionId, o.blockId, 'click');
    const action: Record<string, unknown> = { action_id: actionId, block_id: block.block_id, type: element.type, action_ts: String(Date.now() / 1000) };
    Object.assign(
      action,
      this.guard(actionId, () => selection(element, o)),
    );
    if (element.type === 'button') {
      action.text = element.text;
      const value = o.forgedValue ?? element.value;
      if (value !== undefined) action.value = value;
      if (element.style !== undefined) action.style = element.style;
      if (element.url !== undefined) action.url = element.url;
    }
    if (isStateful(element)) this.remember(target, block, element, { type: element.type, ...selection(element, o) });
    this.slack.workspace.log(
      `@${this.name} clicked ${String(element.type)} "${actionId}"${element.confirm ? ' (and confirmed)' : ''}${o.forgedValue !== undefined ? ` with a forged value ${JSON.stringify(o.forgedValue)}` : ''} in ${describeTarget(target)}`,
    );
    return this.sendAction(target, action, `block_actions ${actionId} by @${this.name}`);
  }

  /**
   * Types into a text input or picks in a select/picker/checkboxes of a
   * message, ephemeral or view, without pressing anything: `value` is the
   * text (''/null = empty), an option value, a user/channel id or a date;
   * an array (or one string) for multi-selects and checkboxes; null clears a
   * select. The change is remembered for this user and sent in `state.values`
   * by later clicks. As in Slack, it delivers block_actions only where the
   * element dispatches on change: selects, pickers, checkboxes and radios in
   * actions blocks and section accessories, and anything in an input block
   * with `dispatch_action: true` (a text input then dispatches as if Enter
   * was pressed). Picking a value the element does not offer throws.
   */
  async fill(target: Target, actionId: string, value: string | string[] | null, o: { blockId?: string } = {}): Promise<FillResult> {
    const { block, element } = this.locate(target, actionId, o.blockId, 'fill');
    const type = String(element.type);
    if (!isStateful(element)) {
      throw new Error(`@${this.name} cannot fill "${actionId}": it is a ${type}, which holds no value (use click)\n\n${this.slack.transcript()}`);
    }
    const multi = type.startsWith('multi_') || type === 'checkboxes';
    if (!multi && Array.isArray(value)) throw new Error(`@${this.name} cannot fill ${type} "${actionId}" with several values\n\n${this.slack.transcript()}`);
    const given = multi && typeof value === 'string' ? [value] : multi && value === null ? [] : value;
    const entry = this.guard(actionId, () => encodeInput(element, given));
    this.remember(target, block, element, entry);
    const verb = isTextInput(element) ? `typed ${JSON.stringify(value ?? '')} into` : `picked ${JSON.stringify(value)} in`;
    const dispatched = dispatchesOnChange({ block, element });
    this.slack.workspace.log(
      `@${this.name} ${verb} ${type} "${actionId}" in ${describeTarget(target)}${dispatched ? '' : ' (no block_actions: it does not dispatch on change)'}`,
    );
    if (!dispatched) return { dispatched: false, state: this.stateOf(target) };
    const { type: _t, ...fields } = entry;
    const action: Record<string, unknown> = { type, action_id: actionId, block_id: block.block_id, action_ts: String(Date.now() / 1000), ...fields };
    if (element.initial_option !== undefined) action.initial_option = element.initial_option;
    if (element.placeholder !== undefined) action.placeholder = element.placeholder;
    const delivery = await this.sendAction(target, action, `block_actions ${actionId} by @${this.name}`);
    return { dispatched: true, state: this.stateOf(target), delivery };
  }

  /** The `state.values` a click by this user in `target` would carry now. */
  stateOf(target: Target): StateValues {
    const slack = this.slack;
    if (isView(target)) return structuredClone(slack.workspace.views.get(target.id)?.state.values ?? target.state.values) as StateValues;
    return slack.inputStates.values(this.id, surfaceKey(target), currentBlocks(slack.workspace, target));
  }

  /** Finds an element the user can act on, or throws with the transcript. */
  private locate(target: Target, actionId: string, blockId: string | undefined, verb: string): Located {
    const slack = this.slack;
    const cannot = (why: string): Error => new Error(`@${this.name} cannot ${verb} "${actionId}": ${why}\n\n${slack.transcript()}`);
    if (isView(target)) {
      const view = slack.workspace.views.get(target.id);
      if (!view || !view.open) throw cannot(`view ${target.id} is not open`);
    } else if (isEphemeral(target)) {
      if (target.user !== this.id) throw cannot(`they cannot see the ephemeral shown to ${slack.workspace.describeUser(target.user)}`);
      if (target.deleted) throw cannot('the ephemeral is gone');
    } else {
      const msg = slack.workspace.findMessage(target.channel, target.ts);
      if (!msg) throw cannot(`message ${target.ts} is gone`);
      if (!slack.workspace.channels.get(msg.channel)?.members.includes(this.id))
        throw cannot(`they cannot see ${slack.workspace.describeChannel(msg.channel)}`);
    }
    const found = findElement(currentBlocks(slack.workspace, target), actionId, blockId);
    if (!found) throw cannot(`no such element in ${describeTarget(target)}`);
    return found;
  }

  /** Runs a pick, turning "no such option" into an error with the transcript. */
  private guard<T>(actionId: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new Error(`@${this.name} cannot pick in "${actionId}": ${(e as Error).message}\n\n${this.slack.transcript()}`);
    }
  }

  private remember(target: Target, block: El, element: El, entry: El): void {
    const blockId = String(block.block_id);
    const actionId = String(element.action_id);
    if (isView(target)) {
      const view = this.slack.workspace.views.get(target.id);
      if (view) (view.state.values[blockId] ??= {})[actionId] = entry;
      return;
    }
    this.slack.inputStates.remember(this.id, surfaceKey(target), blockId, actionId, entry);
  }

  /** Delivers a block_actions payload for `action` in `target`, with the container, state and response_url Slack sends. */
  private async sendAction(target: Target, action: Record<string, unknown>, label: string): Promise<ClickResult> {
    const slack = this.slack;
    const triggerId = slack.views.issueTrigger(this.id);
    const body: Record<string, unknown> = { type: 'block_actions', ...interactionBase(slack.id, slack.workspace, this.profile), trigger_id: triggerId };
    let responseUrl: string | undefined;
    if (isView(target)) {
      const view = slack.workspace.views.get(target.id)!;
      body.container = { type: 'view', view_id: view.id };
      body.view = publicView(view);
    } else if (isEphemeral(target)) {
      responseUrl = slack.responseUrls.issue({ kind: 'action', user: this.id, channel: target.channel, ephemeral: target });
      body.container = { type: 'message', message_ts: target.ts, channel_id: target.channel, is_ephemeral: true };
      body.channel = { id: target.channel, name: slack.conversations.channelNameFor(target.channel) };
      body.state = { values: this.stateOf(target) };
      body.response_url = responseUrl;
    } else {
      const msg = slack.workspace.findMessage(target.channel, target.ts)!;
      responseUrl = slack.responseUrls.issue({ kind: 'action', user: this.id, channel: msg.channel, messageTs: msg.ts });
      body.container = { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false };
      body.channel = { id: msg.channel, name: slack.conversations.channelNameFor(msg.channel) };
      const { deleted: _d, channel: _c, ...publicMsg } = structuredClone(msg);
      body.message = publicMsg;
      body.state = { values: this.stateOf(target) };
      body.response_url = responseUrl;
    }
    body.actions = [action];
    const outcome = await slack.delivery.deliver('interactive', body, label);
    return { ...outcomeFields(outcome), triggerId, body, ...(responseUrl ? { responseUrl } : {}) };
  }

  /**
   * Fills the inputs of a modal and presses its submit button. `values` keys are
   * action_ids (or block_ids, or "block_id/action_id"); values are strings
   * (text, option value, user/channel id, date) or arrays for multi-selects.
   */
  async submitView(target: View | string, values: Record<string, unknown> = {}): Promise<SubmitResult> {
    const slack = this.slack;
    const view = slack.workspace.views.get(typeof target === 'string' ? target : target.id);
    const stack = slack.views.modalStack(this.id);
    if (!view || !view.open || view.type !== 'modal' || stack[stack.length - 1]?.id !== view.id) {
      throw new Error(
        `@${this.name} cannot submit view ${typeof target === 'string' ? target : target.id}: it is not the modal on top of their screen\n\n${slack.transcript()}`,
      );
    }
    if (view.submit === undefined) throw new Error(`view ${view.id} has no submit button`);
    view.state = { values: buildState(view, values, () => slack.transcript()) };
    const body: Record<string, unknown> = {
      type: 'view_submission',
      ...interactionBase(slack.id, slack.workspace, this.profile),
      trigger_id: slack.views.issueTrigger(this.id),
      view: publicView(view),
      response_urls: [],
    };
    slack.workspace.log(`@${this.name} submitted view ${view.id} (${view.callback_id}) with ${JSON.stringify(view.state.values)}`);
    const outcome = await slack.delivery.deliver('interactive', body, `view_submission ${view.callback_id} by @${this.name}`);
    if (!outcome.acked) {
      slack.workspace.log(`view ${view.id}: Slack shows @${this.name} "We had some trouble connecting"`);
      return { ...outcomeFields(outcome), body, view };
    }
    const p = outcome.payload ?? {};
    const action = p.response_action;
    if (action === 'errors') {
      const errors = (p.errors ?? {}) as Record<string, string>;
      const inputIds = view.blocks.filter((b) => (b as { type?: string }).type === 'input').map((b) => (b as { block_id?: string }).block_id);
      const unknown = Object.keys(errors).filter((k) => !inputIds.includes(k));
      if (unknown.length > 0)
        return { acked: true, ackMs: outcome.ms, error: `response_action errors names non-input blocks: ${unknown.join(', ')}`, body, view };
      slack.workspace.log(`view ${view.id}: errors shown to @${this.name}: ${JSON.stringify(errors)}`);
      return { acked: true, ackMs: outcome.ms, responseAction: 'errors', errors, body, view };
    }
    if (action === 'update' || action === 'push') {
      const problems = validateView(p.view);
      if (problems.length > 0) {
        slack.workspace.log(`view ${view.id}: response_action ${action} refused: ${problems.join('; ')}`);
        return { acked: true, ackMs: outcome.ms, error: 'invalid_view', responseAction: action, body, view };
      }
      const next =
        action === 'update'
          ? slack.views.replaceView(view, p.view as Record<string, unknown>, 'response_action update')
          : slack.views.openModal(this.id, p.view as Record<string, unknown>, 'push');
      return { acked: true, ackMs: outcome.ms, responseAction: action, body, view: next };
    }
    if (action === 'clear') {
      slack.views.closeModal(this.id, true, 'response_action clear');
      return { acked: true, ackMs: outcome.ms, responseAction: 'clear', body };
    }
    slack.views.closeModal(this.id, false, 'submitted');
    const top = slack.views.modalStack(this.id).at(-1);
    return { acked: true, ackMs: outcome.ms, responseAction: 'close', body, ...(top ? { view: top } : {}) };
  }

  /** Presses the modal's close/cancel button (view_closed is sent if the view asked for notify_on_close). */
  async closeView(target?: View | string): Promise<DeliveryOutcome | undefined> {
    const slack = this.slack;
    const stack = slack.views.modalStack(this.id);
    const view = target ? slack.workspace.views.get(typeof target === 'string' ? target : target.id) : stack.at(-1);
    if (!view || !view.open || stack.at(-1)?.id !== view.id) throw new Error(`@${this.name} has no such modal on top of their screen`);
    let outcome: DeliveryOutcome | undefined;
    const clear = view.clear_on_close;
    if (view.notify_on_close) {
      const body = { type: 'view_closed', ...interactionBase(slack.id, slack.workspace, this.profile), view: publicView(view), is_cleared: clear };
      outcome = await slack.delivery.deliver('interactive', body, `view_closed ${view.callback_id} by @${this.name}`);
    }
    slack.views.closeModal(this.id, clear, 'closed by the user');
    return outcome;
  }

  /** Opens the bot's Home tab (app_home_opened, if the app subscribes to it). */
  async openHome(): Promise<void> {
    const slack = this.slack;
    const dm = slack.conversations.openDm(this.id).channel.id;
    const home = this.homeView();
    if (!slack.events.subscribes('app_home_opened')) return;
    const event: Record<string, unknown> = { type: 'app_home_opened', user: this.id, channel: dm, tab: 'home', event_ts: slack.workspace.nextTs() };
    if (home) event.view = publicView(home);
    slack.events.send(event, `app_home_opened by @${this.name}`);
  }

  /** Messages in the user's DM with the bot (both directions). */
  dms(): Message[] {
    return this.slack.conversations.messagesIn(this.slack.conversations.openDm(this.id).channel.id);
  }

  /** Ephemerals shown to this user, anywhere, oldest first. */
  ephemerals(): Ephemeral[] {
    return this.slack.workspace.ephemerals.filter((e) => e.user === this.id && !e.deleted);
  }

  /** Modals open on the user's screen, bottom to top. */
  openViews(): View[] {
    return this.slack.views.modalStack(this.id);
  }

  homeView(): View | undefined {
    return this.slack.views.homeOf(this.id);
  }

  /** Waits for a message from the bot in the user's DM that matches. */
  waitForDm(pred: (m: Message) => boolean = () => true, o: WaitOptions = {}): Promise<Message> {
    return this.slack.waitFor(
      () => this.dms().find((m) => m.user === this.slack.id.botUserId && pred(m)),
      `a DM from the bot to @${this.name} matching ${pred.toString()}`,
      o,
    );
  }

  waitForEphemeral(pred: (e: Ephemeral) => boolean = () => true, o: WaitOptions = {}): Promise<Ephemeral> {
    return this.slack.waitFor(() => this.ephemerals().find(pred), `an ephemeral to @${this.name} matching ${pred.toString()}`, o);
  }

  waitForView(pred: (v: View) => boolean = () => true, o: WaitOptions = {}): Promise<View> {
    return this.slack.waitFor(() => this.openViews().find(pred), `a modal open for @${this.name} matching ${pred.toString()}`, o);
  }
}

function outcomeFields(o: DeliveryOutcome): { acked: boolean; ackMs: number; error?: string; payload?: Record<string, unknown> } {
  const r: { acked: boolean; ackMs: number; error?: string; payload?: Record<string, unknown> } = { acked: o.acked, ackMs: o.ms };
  if (!o.acked) r.error = o.reason ?? 'timeout';
  if (o.payload) r.payload = o.payload;
  return r;
}

function describeTarget(t: Target): string {
  if (isView(t)) return `view ${t.id} (${t.callback_id})`;
  if (isEphemeral(t)) return `ephemeral ${t.ts} in ${t.channel}`;
  return `message ${t.ts} in ${t.channel}`;
}

function currentBlocks(ws: Workspace, t: Target): unknown[] {
  if (isView(t)) return ws.views.get(t.id)?.blocks ?? t.blocks;
  if (isEphemeral(t)) return t.blocks ?? [];
  return ws.findMessage(t.channel, t.ts)?.blocks ?? t.blocks ?? [];
}

/** The block_actions fields describing what was picked. */
function selection(el: El, o: { value?: string; values?: string[] }): El {
  const need = (): string => {
    if (o.value === undefined) throw new Error(`${String(el.type)} ${String(el.action_id)} needs { value } to pick`);
    return o.value;
  };
  switch (el.type) {
    case 'static_select':
    case 'overflow':
    case 'radio_buttons':
      return { selected_option: pickOption(el, need()) };
    case 'external_select':
      return { selected_option: { text: { type: 'plain_text', text: need() }, value: need() } };
    case 'multi_static_select':
    case 'checkboxes':
      return { selected_options: (o.values ?? []).map((v) => pickOption(el, v)) };
    case 'users_select':
      return { selected_user: need() };
    case 'multi_users_select':
      return { selected_users: o.values ?? [] };
    case 'conversations_select':
      return { selected_conversation: need() };
    case 'channels_select':
      return { selected_channel: need() };
    case 'datepicker':
      return { selected_date: need() };
    case 'timepicker':
      return { selected_time: need() };
    case 'plain_text_input':
      return { value: need() };
    default:
      return {};
  }
}

/** Builds view.state.values for a submission the way the Slack client would, refusing what the client would refuse. */
function buildState(view: View, values: Record<string, unknown>, transcript: () => string): Record<string, Record<string, unknown>> {
  const state: Record<string, Record<string, unknown>> = structuredClone(view.state.values);
  const known = new Set<string>();
  for (const raw of view.blocks) {
    const b = raw as El;
    if (b.type !== 'input') continue;
    const a = String((b.element as El).action_id);
    for (const k of [`${String(b.block_id)}/${a}`, a, String(b.block_id)]) known.add(k);
  }
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`view ${view.id} has no input for ${unknown.join(', ')}\n\n${transcript()}`);
  for (const raw of view.blocks) {
    const block = raw as El;
    if (block.type !== 'input') continue;
    const el = block.element as El;
    const blockId = String(block.block_id);
    const actionId = String(el.action_id);
    const key = [`${blockId}/${actionId}`, actionId, blockId].find((k) => k in values);
    let given: unknown = key !== undefined ? values[key] : undefined;
    if (key === blockId && typeof given === 'object' && given !== null && !Array.isArray(given) && actionId in given) given = (given as El)[actionId];
    const label = String((block.label as El | undefined)?.text ?? blockId);
    // What the user already typed or picked (fill) stays unless the submission names the input again.
    const earlier = state[blockId]?.[actionId] as El | undefined;
    let entry: El;
    try {
      entry = given === undefined && earlier !== undefined && earlier.type === el.type ? earlier : encodeInput(el, given);
    } catch (e) {
      throw new Error(`Slack would not let the user pick that in "${label}": ${(e as Error).message}\n\n${transcript()}`);
    }
    if (block.optional !== true && isEmpty(entry)) {
      throw new Error(`Slack would not let the user submit view ${view.id}: "${label}" is required\n\n${transcript()}`);
    }
    if (el.type === 'plain_text_input' && typeof entry.value === 'string') {
      const len = entry.value.length;
      if (typeof el.max_length === 'number' && len > el.max_length)
        throw new Error(`Slack would not let the user submit: "${label}" is longer than ${el.max_length}`);
      if (typeof el.min_length === 'number' && len > 0 && len < el.min_length)
        throw new Error(`Slack would not let the user submit: "${label}" is shorter than ${el.min_length}`);
    }
    (state[blockId] ??= {})[actionId] = entry;
  }
  return state;
}

function isEmpty(entry: El): boolean {
  const v = Object.entries(entry).find(([k]) => k !== 'type')?.[1];
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}
