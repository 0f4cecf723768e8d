// Issue 11, item 5 under a crash: a submit job killed between posting the card and recording it runs again and
// must find that card in the admin channel rather than post a second one (SlackChat.findCard).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackChat } from '../../../src/adapters/slack/slack-chat.js';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { webClient } from '../emulator/helpers.js';

describe('SlackChat.findCard', () => {
  let emu: SlackEmulator;
  let chat: SlackChat;
  beforeAll(async () => {
    emu = await SlackEmulator.start();
    chat = SlackChat.create({ client: webClient(emu), adminChannel: emu.adminChannelId, botToken: emu.botToken });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("finds the card naming this request (not another request's), and nothing once it is deleted", async () => {
    const mine = aRequest({ id: 'req-find-1' });
    const other = aRequest({ id: 'req-find-2' });
    expect(await chat.findCard(mine)).toBeUndefined();
    const posted = await chat.postCard(mine);
    await chat.postCard(other);
    await chat.tellAdmins(`The card for request ${mine.id} is above.`);
    expect(await chat.findCard(mine)).toEqual(posted);
    await chat.retractCard(posted);
    expect(await chat.findCard(mine)).toBeUndefined();
  });
});
