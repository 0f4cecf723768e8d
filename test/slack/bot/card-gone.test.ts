// Issue 11, items 1 and 5, through the real SlackChat: a card an admin deleted is posted again, and a submit
// job killed between posting the card and recording it finds that card rather than post a second (findCard).
// The card use case reads Slack's answer from a coded error; SlackChat used to pass WebClient's raw error on, so in
// the product (unlike the fakes of test/unit/app/dead-ends.test.ts) a deleted card was retried forever.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { SlackChat } from '../../../src/adapters/slack/slack-chat.js';
import { processCard } from '../../../src/app/card.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { webClient } from '../emulator/helpers.js';
import { makeDeps } from '../../support/fakes/make-deps.js';

describe('the admin card, through the real SlackChat', () => {
  let emu: SlackEmulator;
  let chat: SlackChat;
  beforeAll(async () => {
    emu = await SlackEmulator.start();
    chat = SlackChat.create({ client: webClient(emu), adminChannel: emu.adminChannelId, botToken: emu.botToken });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('chat.update on a deleted card fails with the coded error the card use case reads', async () => {
    const r = aRequest({ id: 'req-gone-1' });
    r.card = await chat.postCard(r);
    emu.deleteMessage(r.card.channel, r.card.ts);
    await expect(chat.updateCard(r)).rejects.toMatchObject({ code: 'SLACK_API_ERROR', details: { method: 'chat.update', error: 'message_not_found' } });
  });

  it('Slack trouble (fatal_error) stays uncoded, so the card job retries it', async () => {
    const r = aRequest({ id: 'req-gone-2' });
    r.card = await chat.postCard(r);
    emu.faults.next('chat.update', { error: 'fatal_error' });
    const err = await chat.updateCard(r).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ data: { error: 'fatal_error' } });
    expect(err).not.toHaveProperty('details');
  });

  it('the card job posts a deleted card again and tells the admins once', async () => {
    const t = makeDeps();
    const deps = { ...t.deps, chat };
    const r = aRequest({ id: 'req-gone-3' });
    r.card = await chat.postCard(r);
    await deps.store.create(r);
    emu.deleteMessage(r.card.channel, r.card.ts);
    await processCard(deps, r.id);
    const now = await deps.store.get(r.id);
    expect(now?.card?.ts).not.toBe(r.card.ts);
    const cards = emu.messagesIn(emu.adminChannelId).filter((m) => JSON.stringify(m.blocks ?? []).includes('req-gone-3'));
    expect(cards.map((m) => m.ts)).toEqual([now!.card!.ts]);
    expect(emu.messagesIn(emu.adminChannelId).filter((m) => m.text.includes('could not be updated: Slack answered `message_not_found`'))).toHaveLength(1);
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
