import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { App, silentLogger, type AppT } from './helpers.js';

const pt = (text: string) => ({ type: 'plain_text' as const, text });

describe('user driver and Slack-side behaviour of responses', () => {
  let emu: SlackEmulator;
  let app: AppT;
  const closed: string[] = [];
  beforeAll(async () => {
    emu = await SlackEmulator.start({ waitTimeoutMs: 300, users: [{ name: 'jane', email: 'jane@example.com', realName: 'Jane Doe' }, { name: 'admin' }] });
    emu.join(['admin']);
    app = new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, logger: silentLogger, clientOptions: { slackApiUrl: emu.apiUrl } });
    app.command('/cert', async ({ ack, command, respond, client }) => {
      switch (command.text) {
        case 'public':
          return ack({ response_type: 'in_channel', text: 'everyone sees this' });
        case 'menu':
          return ack({
            text: 'pick',
            blocks: [
              {
                type: 'actions',
                elements: [
                  { type: 'button', action_id: 'replace', text: pt('Replace') },
                  { type: 'button', action_id: 'delete', text: pt('Delete') },
                ],
              },
            ],
          });
        case 'form':
          await ack();
          await client.views.open({
            trigger_id: command.trigger_id,
            view: {
              type: 'modal',
              callback_id: 'form',
              title: pt('Request'),
              submit: pt('Send'),
              notify_on_close: true,
              blocks: [
                {
                  type: 'input',
                  block_id: 'days',
                  label: pt('Days'),
                  element: {
                    type: 'static_select',
                    action_id: 'pick',
                    options: [
                      { text: pt('30'), value: '30' },
                      { text: pt('90'), value: '90' },
                    ],
                  },
                },
                {
                  type: 'input',
                  block_id: 'note',
                  optional: true,
                  label: pt('Note'),
                  element: { type: 'plain_text_input', action_id: 'text', max_length: 10 },
                },
              ],
            },
          });
          return;
        case 'bad':
          return ack({ text: 'x', blocks: [{ type: 'header', text: pt('h'.repeat(151)) }] });
        default:
          await ack();
          await respond({ text: 'later, via response_url' });
      }
    });
    app.action('replace', async ({ ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: 'replaced' });
    });
    app.action('delete', async ({ ack, respond }) => {
      await ack();
      await respond({ delete_original: true });
    });
    app.view('form', async ({ ack, view }) => {
      const days = view.state.values.days?.pick?.selected_option?.value;
      if (days === '90')
        return ack({
          response_action: 'update',
          view: { type: 'modal', callback_id: 'form2', title: pt('Really 90?'), blocks: [{ type: 'section', text: pt('hm') }] },
        });
      await ack({ response_action: 'clear' });
    });
    app.view({ callback_id: 'form2', type: 'view_closed' }, async ({ ack, view }) => {
      closed.push(view.id);
      await ack();
    });
    app.view({ callback_id: 'form', type: 'view_closed' }, async ({ ack, view }) => {
      closed.push(view.id);
      await ack();
    });
    await app.start();
  });
  afterAll(async () => {
    await app.stop();
    await emu.stop();
  });

  it('in_channel acks become messages; ephemeral responses do not', async () => {
    const jane = emu.user('jane');
    const res = await jane.slash('/cert', 'public');
    expect(res.message).toMatchObject({ text: 'everyone sees this', bot_id: emu.botId });
    expect(res.ephemeral).toBeUndefined();
    await jane.slash('/cert', 'async');
    const eph = await jane.waitForEphemeral((e) => e.text === 'later, via response_url');
    expect(eph.via).toBe('response_url');
  });

  it('response_url replace_original and delete_original act on the clicked ephemeral', async () => {
    const jane = emu.user('jane');
    const menu = (await jane.slash('/cert', 'menu')).ephemeral!;
    await jane.click(menu, 'replace');
    await emu.waitFor(() => menu.text === 'replaced', 'the ephemeral to be replaced');
    const menu2 = (await jane.slash('/cert', 'menu')).ephemeral!;
    await jane.click(menu2, 'delete');
    await emu.waitFor(() => menu2.deleted, 'the ephemeral to be deleted');
    expect(jane.ephemerals()).not.toContain(menu2);
  });

  it('invalid blocks in an ack are refused as Slack does', async () => {
    const res = await emu.user('jane').slash('/cert', 'bad');
    expect(res).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(res.errors![0]).toContain('/blocks/0/text/text');
  });

  it('fills and submits a modal; honours response_action update, clear, and view_closed', async () => {
    const jane = emu.user('jane');
    await jane.slash('/cert', 'form');
    const modal = await jane.waitForView((v) => v.callback_id === 'form');
    await expect(jane.submitView(modal, {})).rejects.toThrow(/"Days" is required/);
    await expect(jane.submitView(modal, { pick: '30', text: 'way too long text' })).rejects.toThrow(/longer than 10/);
    await expect(jane.submitView(modal, { nope: 'x' })).rejects.toThrow(/no input for nope/);
    const updated = await jane.submitView(modal, { pick: '90' });
    expect(updated.responseAction).toBe('update');
    expect(updated.body).toMatchObject({
      type: 'view_submission',
      view: {
        callback_id: 'form',
        state: {
          values: { days: { pick: { type: 'static_select', selected_option: { value: '90' } } }, note: { text: { type: 'plain_text_input', value: null } } },
        },
      },
    });
    expect(jane.openViews()[0]).toMatchObject({ callback_id: 'form2', id: modal.id });
    await jane.closeView();
    expect(jane.openViews()).toHaveLength(0);

    await jane.slash('/cert', 'form');
    const again = await jane.waitForView((v) => v.callback_id === 'form');
    const cleared = await jane.submitView(again, { 'days/pick': '30', note: { text: 'ok' } });
    expect(cleared.responseAction).toBe('clear');
    expect(jane.openViews()).toHaveLength(0);

    // Cancelling a modal that asked for notify_on_close sends view_closed.
    expect(closed).toEqual([]);
    await jane.slash('/cert', 'form');
    const third = await jane.waitForView((v) => v.callback_id === 'form');
    const outcome = await jane.closeView(third);
    expect(outcome?.acked).toBe(true);
    expect(closed).toEqual([third.id]);
  });

  it('a failed wait throws with a readable transcript of the workspace', async () => {
    const jane = emu.user('jane');
    await jane.dm().say('is anyone there?');
    await jane.dm().upload('jane.csr', 'PEM');
    const err = await jane.waitForDm((m) => m.text === 'never sent').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const text = (err as Error).message;
    expect(text).toContain('Timed out after 300 ms waiting for a DM from the bot to @jane');
    expect(text).toContain('--- timeline ---');
    expect(text).toMatch(/DM D\w+ \(@jane\): @jane posted ts=\d+\.\d+ \(user\): "is anyone there\?"/);
    expect(text).toMatch(/ephemeral to @jane .*"everyone sees this"|"later, via response_url"/);
    expect(text).toContain('jane.csr');
    expect(text).toContain('--- views ---');
    expect(text).toContain('<jane@example.com>');
  });

  it('clicking something that is not there fails loudly', async () => {
    const card = emu.postBotMessage(emu.adminChannelId, { text: 'card' });
    await expect(emu.user('admin').click(card, 'approve')).rejects.toThrow(/cannot click "approve"/);
    await expect(emu.user('jane').click(card, 'approve')).rejects.toThrow();
  });

  it("unknown slash commands get Slack's own answer", async () => {
    const res = await emu.user('jane').slash('/nope');
    expect(res).toMatchObject({ ok: false, error: 'invalid_command' });
    expect(res.ephemeral!.from).toBe('USLACKBOT');
  });
});
