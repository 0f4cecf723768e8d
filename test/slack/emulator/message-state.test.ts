import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SlackEmulator, type Message } from '@csrbot/slack-emulator';
import { App, silentLogger, type AppT } from './helpers.js';

const pt = (text: string) => ({ type: 'plain_text' as const, text });
const opt = (text: string, value: string) => ({ text: pt(text), value });

/** A message like csrbot's DM summary, plus one of each other kind of stateful element. */
const formBlocks = (suffix = '') => [
  { type: 'section', text: { type: 'mrkdwn', text: 'Your CSR checks out.' } },
  {
    type: 'input',
    block_id: `reason_block${suffix}`,
    optional: true,
    label: pt('Reason'),
    element: { type: 'plain_text_input', action_id: 'reason_input', max_length: 500 },
  },
  {
    type: 'input',
    block_id: 'team_block',
    optional: true,
    label: pt('Team'),
    element: { type: 'plain_text_input', action_id: 'team_input', initial_value: 'platform' },
  },
  { type: 'input', block_id: 'ticket_block', dispatch_action: true, label: pt('Ticket'), element: { type: 'plain_text_input', action_id: 'ticket_input' } },
  {
    type: 'input',
    block_id: 'env_block',
    label: pt('Env'),
    element: {
      type: 'static_select',
      action_id: 'env_select',
      initial_option: opt('staging', 'staging'),
      options: [opt('staging', 'staging'), opt('prod', 'prod')],
    },
  },
  {
    type: 'section',
    block_id: 'tags_block',
    text: { type: 'mrkdwn', text: 'Tags' },
    accessory: { type: 'checkboxes', action_id: 'tags', initial_options: [opt('a', 'a')], options: [opt('a', 'a'), opt('b', 'b')] },
  },
  {
    type: 'actions',
    block_id: 'submit_block',
    elements: [
      {
        type: 'static_select',
        action_id: 'lifetime',
        placeholder: pt('Lifetime'),
        initial_option: opt('1 day', '86400'),
        options: [opt('1 hour', '3600'), opt('1 day', '86400')],
      },
      { type: 'static_select', action_id: 'region', placeholder: pt('Region'), options: [opt('eu', 'eu'), opt('us', 'us')] },
      { type: 'button', action_id: 'submit', style: 'primary', text: pt('Submit request'), value: 'draft-1' },
    ],
  },
];

type Delivered = { actions: Array<Record<string, unknown>>; state?: { values: Record<string, Record<string, Record<string, unknown>>> }; user: { id: string } };

describe('state.values of messages and ephemerals, and fill()', () => {
  let emu: SlackEmulator;
  let app: AppT;
  let got: Delivered[] = [];
  beforeAll(async () => {
    emu = await SlackEmulator.start({ waitTimeoutMs: 300, users: [{ name: 'jane' }, { name: 'alice' }] });
    emu.join(['jane', 'alice']);
    app = new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, logger: silentLogger, clientOptions: { slackApiUrl: emu.apiUrl } });
    app.action(/.*/, async ({ ack, body }) => {
      got.push(body as unknown as Delivered);
      await ack();
    });
    await app.start();
  });
  afterAll(async () => {
    await app.stop();
    await emu.stop();
  });
  beforeEach(() => {
    got = [];
  });

  async function post(channel: string, blocks: unknown[] = formBlocks()): Promise<Message> {
    const res = await app.client.chat.postMessage({ channel, text: 'form', blocks: blocks as never });
    return emu.messagesIn(String(res.channel)).find((m) => m.ts === res.ts)!;
  }

  const initial = {
    reason_block: { reason_input: { type: 'plain_text_input', value: null } },
    team_block: { team_input: { type: 'plain_text_input', value: 'platform' } },
    ticket_block: { ticket_input: { type: 'plain_text_input', value: null } },
    env_block: { env_select: { type: 'static_select', selected_option: opt('staging', 'staging') } },
    tags_block: { tags: { type: 'checkboxes', selected_options: [opt('a', 'a')] } },
    submit_block: {
      lifetime: { type: 'static_select', selected_option: opt('1 day', '86400') },
      region: { type: 'static_select', selected_option: null },
    },
  };

  it('a click in an untouched message carries every stateful element with its initial value', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);
    const r = await jane.click(msg, 'submit');
    expect(r.acked).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]!.state).toEqual({ values: initial });
    expect(got[0]!.actions[0]).toMatchObject({ type: 'button', action_id: 'submit', block_id: 'submit_block', value: 'draft-1' });
  });

  it('picking in a select of an actions block dispatches; typing into an input block does not; Submit carries both', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);

    const picked = await jane.fill(msg, 'lifetime', '3600');
    expect(picked.dispatched).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]!.actions[0]).toMatchObject({
      type: 'static_select',
      action_id: 'lifetime',
      block_id: 'submit_block',
      selected_option: opt('1 hour', '3600'),
      initial_option: opt('1 day', '86400'),
    });
    expect(got[0]!.state!.values.submit_block!.lifetime).toEqual({ type: 'static_select', selected_option: opt('1 hour', '3600') });

    const typed = await jane.fill(msg, 'reason_input', 'on-call access');
    expect(typed.dispatched).toBe(false);
    expect(typed.state.reason_block!.reason_input).toEqual({ type: 'plain_text_input', value: 'on-call access' });
    await jane.fill(msg, 'team_input', ''); // cleared: Slack reports null
    await jane.fill(msg, 'env_select', 'prod'); // a select in an input block without dispatch_action: no payload
    await jane.fill(msg, 'tags', ['b']); // checkboxes in a section accessory dispatch
    await emu.idle();
    expect(got.map((b) => b.actions[0]!.action_id)).toEqual(['lifetime', 'tags']);
    expect(got[1]!.actions[0]).toMatchObject({ type: 'checkboxes', selected_options: [opt('b', 'b')] });

    await jane.click(msg, 'submit');
    expect(got[2]!.state).toEqual({
      values: {
        ...initial,
        reason_block: { reason_input: { type: 'plain_text_input', value: 'on-call access' } },
        team_block: { team_input: { type: 'plain_text_input', value: null } },
        env_block: { env_select: { type: 'static_select', selected_option: opt('prod', 'prod') } },
        tags_block: { tags: { type: 'checkboxes', selected_options: [opt('b', 'b')] } },
        submit_block: { lifetime: { type: 'static_select', selected_option: opt('1 hour', '3600') }, region: { type: 'static_select', selected_option: null } },
      },
    });
    expect(jane.stateOf(msg)).toEqual(got[2]!.state!.values);
  });

  it('an input block with dispatch_action: true delivers what was typed', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);
    const r = await jane.fill(msg, 'ticket_input', 'OPS-42');
    expect(r.dispatched).toBe(true);
    expect(r.delivery?.acked).toBe(true);
    expect(got[0]!.actions[0]).toMatchObject({ type: 'plain_text_input', action_id: 'ticket_input', block_id: 'ticket_block', value: 'OPS-42' });
    expect(got[0]!.state!.values.ticket_block).toEqual({ ticket_input: { type: 'plain_text_input', value: 'OPS-42' } });
  });

  it('state is per user: alice does not see what jane picked in the same channel message', async () => {
    const [jane, alice] = [emu.user('jane'), emu.user('alice')];
    const msg = await post(emu.adminChannelId);
    await jane.fill(msg, 'lifetime', '3600');
    await jane.fill(msg, 'reason_input', 'mine');
    await alice.click(msg, 'submit');
    await jane.click(msg, 'submit');
    const [, byAlice, byJane] = got;
    expect(byAlice!.user.id).toBe(alice.id);
    expect(byAlice!.state).toEqual({ values: initial });
    expect(byJane!.state!.values.reason_block!.reason_input!.value).toBe('mine');
    expect(byJane!.state!.values.submit_block!.lifetime!.selected_option).toEqual(opt('1 hour', '3600'));
  });

  it('a pick that is not an option, or a fill of a button, throws with the transcript', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);
    await expect(jane.fill(msg, 'lifetime', '42')).rejects.toThrow(
      /cannot pick in "lifetime": no option with value "42".*offers "3600", "86400"[\s\S]*--- timeline ---/,
    );
    await expect(jane.fill(msg, 'tags', ['a', 'zzz'])).rejects.toThrow(/no option with value "zzz"/);
    await expect(jane.fill(msg, 'submit', 'x')).rejects.toThrow(/cannot fill "submit": it is a button[\s\S]*--- timeline ---/);
    await expect(jane.fill(msg, 'nope', 'x')).rejects.toThrow(/no such element/);
    await expect(jane.fill(msg, 'lifetime', ['3600', '86400'])).rejects.toThrow(/several values/);
    await expect(jane.click(msg, 'region', { value: 'mars' })).rejects.toThrow(/no option with value "mars"[\s\S]*--- timeline ---/);
    expect(got).toHaveLength(0);
    expect(jane.stateOf(msg)).toEqual(initial);
  });

  it('picking with click({ value }) is remembered too', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);
    await jane.click(msg, 'region', { value: 'us' });
    await jane.click(msg, 'submit');
    expect(got[0]!.state!.values.submit_block!.region).toEqual({ type: 'static_select', selected_option: opt('us', 'us') });
    expect(got[1]!.state!.values.submit_block!.region).toEqual({ type: 'static_select', selected_option: opt('us', 'us') });
  });

  it('chat.update keeps what was typed under the same block_id and resets it under a new one', async () => {
    const jane = emu.user('jane');
    const msg = await post(jane.id);
    await jane.fill(msg, 'reason_input', 'typed before the update');
    await app.client.chat.update({ channel: msg.channel, ts: msg.ts, text: 'form', blocks: formBlocks() as never });
    expect(jane.stateOf(msg).reason_block!.reason_input!.value).toBe('typed before the update');
    await app.client.chat.update({ channel: msg.channel, ts: msg.ts, text: 'form', blocks: formBlocks('_v2') as never });
    await jane.click(msg, 'submit');
    const values = got.at(-1)!.state!.values;
    expect(values.reason_block).toBeUndefined();
    expect(values.reason_block_v2).toEqual({ reason_input: { type: 'plain_text_input', value: null } });
  });

  it('ephemerals have their own state', async () => {
    const jane = emu.user('jane');
    const dm = emu.openDm(jane.id).channel.id;
    await app.client.chat.postEphemeral({ channel: dm, user: jane.id, text: 'form', blocks: formBlocks() as never });
    const eph = await jane.waitForEphemeral((e) => e.text === 'form');
    await jane.fill(eph, 'reason_input', 'from an ephemeral');
    await jane.fill(eph, 'lifetime', '3600');
    await jane.click(eph, 'submit');
    const last = got.at(-1)!;
    expect((last as unknown as { container: Record<string, unknown> }).container).toMatchObject({ type: 'message', is_ephemeral: true });
    expect(last.state!.values.reason_block).toEqual({ reason_input: { type: 'plain_text_input', value: 'from an ephemeral' } });
    expect(last.state!.values.submit_block!.lifetime).toEqual({ type: 'static_select', selected_option: opt('1 hour', '3600') });
  });

  it('a value filled into a modal stays in view.state and is submitted unless the submission overrides it', async () => {
    const jane = emu.user('jane');
    let submitted: Record<string, Record<string, Record<string, unknown>>> | undefined;
    app.view('fill_form', async ({ ack, view }) => {
      submitted = view.state.values as never;
      await ack();
    });
    const trigger = emu.issueTrigger(jane.id);
    await app.client.views.open({
      trigger_id: trigger,
      view: { type: 'modal', callback_id: 'fill_form', title: pt('Form'), submit: pt('Send'), blocks: [formBlocks()[1]!, formBlocks()[4]!] as never },
    });
    const view = await jane.waitForView((v) => v.callback_id === 'fill_form');
    await jane.fill(view, 'reason_input', 'typed in the modal');
    await jane.fill(view, 'env_select', 'prod');
    await jane.submitView(view);
    expect(submitted).toEqual({
      reason_block: { reason_input: { type: 'plain_text_input', value: 'typed in the modal' } },
      env_block: { env_select: { type: 'static_select', selected_option: opt('prod', 'prod') } },
    });
  });
});
