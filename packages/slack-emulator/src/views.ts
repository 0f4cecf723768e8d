import { randomBytes } from 'node:crypto';
import type { AppIdentity } from './identity.js';
import { normalizeBlocks } from './public-shapes.js';
import { summarizeBlocks } from './summary.js';
import { ApiError } from './web-api-error.js';
import type { View, Workspace } from './workspace.js';

/** Trigger ids, and the views they open: each user's modal stack and Home tab. */
export class Views {
  private readonly triggers = new Map<string, { user: string; at: number; used: boolean }>();
  private readonly modalStacks = new Map<string, string[]>();

  constructor(
    private readonly ws: Workspace,
    private readonly id: AppIdentity,
    private readonly triggerTtlMs: number,
  ) {}

  issueTrigger(userId: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user: userId, at: Date.now(), used: false });
    return id;
  }

  consumeTrigger(id: string): { user: string } {
    const t = this.triggers.get(id);
    if (!t) throw new ApiError('invalid_trigger_id');
    if (Date.now() - t.at > this.triggerTtlMs) throw new ApiError('expired_trigger_id');
    if (t.used) throw new ApiError('exchanged_trigger_id');
    t.used = true;
    return { user: t.user };
  }

  get(id: string): View | undefined {
    return this.ws.views.get(id);
  }

  createView(userId: string, input: Record<string, unknown>, previous: string | null, root?: string): View {
    const id = this.ws.newId('V');
    const view: View = {
      id,
      team_id: this.id.teamId,
      type: input.type as 'modal' | 'home',
      blocks: normalizeBlocks((input.blocks as unknown[]) ?? []),
      private_metadata: (input.private_metadata as string | undefined) ?? '',
      callback_id: (input.callback_id as string | undefined) ?? '',
      external_id: (input.external_id as string | undefined) ?? '',
      state: { values: {} },
      hash: newHash(),
      clear_on_close: input.clear_on_close === true,
      notify_on_close: input.notify_on_close === true,
      submit_disabled: input.submit_disabled === true,
      // A Home tab is its own root, as in Slack's app_home_opened example.
      root_view_id: root ?? id,
      previous_view_id: previous,
      app_id: this.id.appId,
      app_installed_team_id: this.id.teamId,
      bot_id: this.id.botId,
      user: userId,
      open: true,
    };
    if (input.title !== undefined) view.title = input.title;
    if (input.close !== undefined) view.close = input.close;
    if (input.submit !== undefined) view.submit = input.submit;
    this.ws.views.set(id, view);
    this.ws.log(
      `view ${id} (${view.type}${view.callback_id ? ` ${view.callback_id}` : ''}) opened for ${this.ws.describeUser(userId)}: ${summarizeView(view)}`,
    );
    return view;
  }

  /** views.open (replaces whatever modal the user had) or views.push (on top, at most 3). */
  openModal(userId: string, input: Record<string, unknown>, mode: 'open' | 'push'): View {
    const stack = this.modalStacks.get(userId) ?? [];
    if (mode === 'push') {
      if (stack.length === 0) throw new ApiError('not_found');
      if (stack.length >= 3) throw new ApiError('push_limit_reached');
      const view = this.createView(userId, input, stack[stack.length - 1]!, stack[0]);
      stack.push(view.id);
      return view;
    }
    for (const id of stack) this.closeViewState(id, 'replaced by views.open');
    const view = this.createView(userId, input, null);
    this.modalStacks.set(userId, [view.id]);
    return view;
  }

  replaceView(existing: View, input: Record<string, unknown>, via: string): View {
    existing.blocks = normalizeBlocks((input.blocks as unknown[]) ?? []);
    existing.private_metadata = (input.private_metadata as string | undefined) ?? '';
    existing.callback_id = (input.callback_id as string | undefined) ?? '';
    existing.external_id = (input.external_id as string | undefined) ?? '';
    existing.clear_on_close = input.clear_on_close === true;
    existing.notify_on_close = input.notify_on_close === true;
    existing.submit_disabled = input.submit_disabled === true;
    if (input.title !== undefined) existing.title = input.title;
    if (input.close !== undefined) existing.close = input.close;
    else delete existing.close;
    if (input.submit !== undefined) existing.submit = input.submit;
    else delete existing.submit;
    existing.hash = newHash();
    this.ws.log(`view ${existing.id} updated (${via}): ${summarizeView(existing)}`);
    return existing;
  }

  private closeViewState(id: string, why: string): void {
    const v = this.ws.views.get(id);
    if (v && v.open) {
      v.open = false;
      this.ws.log(`view ${id} closed (${why})`);
    }
  }

  /** Closes the user's top modal (or all, when `all`), as the client does. */
  closeModal(userId: string, all: boolean, why: string): void {
    const stack = this.modalStacks.get(userId) ?? [];
    if (all) {
      for (const id of stack) this.closeViewState(id, why);
      this.modalStacks.set(userId, []);
      return;
    }
    const top = stack.pop();
    if (top) this.closeViewState(top, why);
  }

  /** The user's open modals, bottom to top. */
  modalStack(userId: string): View[] {
    return (this.modalStacks.get(userId) ?? []).map((id) => this.ws.views.get(id)!).filter((v) => v.open);
  }

  /** The user's published Home tab, if any. */
  homeOf(userId: string): View | undefined {
    return [...this.ws.views.values()].find((v) => v.type === 'home' && v.user === userId && v.open);
  }
}

function newHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
}

function summarizeView(v: View): string {
  const title = typeof v.title === 'object' && v.title !== null ? String((v.title as { text?: unknown }).text ?? '') : '';
  return `${title ? `"${title}" ` : ''}[${summarizeBlocks(v.blocks)}]`;
}
