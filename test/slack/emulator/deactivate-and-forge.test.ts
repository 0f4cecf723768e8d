import { afterEach, describe, expect, it } from '@jest/globals';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { App, silentLogger, webClient, type AppT } from './helpers.js';

describe('deactivating a user', () => {
  let emu: SlackEmulator | undefined;
  let app: AppT | undefined;
  afterEach(async () => {
    await app?.stop();
    await emu?.stop();
  });

  it('makes users.info say deleted and delivers user_change to an app subscribed to it', async () => {
    emu = await SlackEmulator.start({ events: ['message.im', 'user_change'], users: [{ name: 'jane' }, { name: 'joe' }] });
    app = new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, logger: silentLogger, clientOptions: { slackApiUrl: emu.apiUrl } });
    const seen: Array<{ id: string; deleted: boolean }> = [];
    app.event('user_change', async ({ event }) => {
      seen.push({ id: event.user.id, deleted: event.user.deleted });
    });
    await app.start();
    const jane = emu.user('jane');
    emu.deactivateUser('jane');
    await emu.waitFor(() => seen.length === 1, 'the user_change event');
    expect(seen).toEqual([{ id: jane.id, deleted: true }]);
    const client = webClient(emu);
    expect((await client.users.info({ user: jane.id })).user?.deleted).toBe(true);
    expect((await client.users.info({ user: emu.user('joe').id })).user?.deleted).toBe(false);
    expect(() => emu!.deactivateUser('nobody')).toThrow(/no user nobody/);
  });

  it('delivers nothing to an app not subscribed to user_change', async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane' }] });
    emu.deactivateUser('jane');
    expect(emu.transcript()).toContain('deactivated');
    expect(emu.transcript()).not.toContain('user_change');
  });
});

describe('a forged button value', () => {
  let emu: SlackEmulator | undefined;
  let app: AppT | undefined;
  afterEach(async () => {
    await app?.stop();
    await emu?.stop();
  });

  it('is delivered in place of the button value, and said so in the transcript', async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane' }] });
    app = new App({ token: emu.botToken, appToken: emu.appToken, socketMode: true, logger: silentLogger, clientOptions: { slackApiUrl: emu.apiUrl } });
    const values: string[] = [];
    app.action('renew', async ({ ack, body }) => {
      await ack();
      if (body.type === 'block_actions' && body.actions[0]?.type === 'button') values.push(body.actions[0].value ?? '');
    });
    await app.start();
    const client = webClient(emu);
    const jane = emu.user('jane');
    const dm = (await client.conversations.open({ users: jane.id })).channel!.id!;
    await client.chat.postMessage({
      channel: dm,
      text: 'yours',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'renew', text: { type: 'plain_text', text: 'Renew' }, value: 'mine' }] }],
    });
    const msg = await jane.waitForDm((m) => m.text === 'yours');
    await jane.click(msg, 'renew');
    await jane.click(msg, 'renew', { forgedValue: 'someone-elses' });
    await emu.waitFor(() => values.length === 2 || undefined, 'both clicks');
    expect(values).toEqual(['mine', 'someone-elses']);
    expect(emu.transcript()).toContain('with a forged value "someone-elses"');
  });
});
