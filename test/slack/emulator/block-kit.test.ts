import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator, validateBlocks, validateView } from '@csrbot/slack-emulator';
import { webClient, type WebClientT } from './helpers.js';

const pt = (text: string) => ({ type: 'plain_text' as const, text });
const button = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'button', action_id: 'approve', text: pt(text), ...extra });
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Block Kit validator', () => {
  it('accepts a typical approval card', () => {
    expect(
      validateBlocks([
        { type: 'header', text: pt('Certificate request') },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*User*\njane' },
            { type: 'mrkdwn', text: '*Groups*\ndev' },
          ],
        },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: 'fingerprint' },
            { type: 'image', image_url: 'https://x/y.png', alt_text: 'x' },
          ],
        },
        {
          type: 'actions',
          block_id: 'decide',
          elements: [button('Approve', { style: 'primary', value: 'csr-1' }), { type: 'button', action_id: 'deny', text: pt('Deny'), style: 'danger' }],
        },
        { type: 'divider' },
      ]),
    ).toEqual([]);
  });

  it('refuses 51 blocks in a message but allows 100 in a modal', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(validateBlocks(blocks)).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
    const modalBlocks = Array.from({ length: 100 }, () => ({ type: 'divider' }));
    expect(validateView({ type: 'modal', title: pt('t'), blocks: modalBlocks })).toEqual([]);
    expect(validateView({ type: 'home', blocks: [...modalBlocks, { type: 'divider' }] })).toEqual([
      '[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]',
    ]);
  });

  it('enforces the documented text limits with a json-pointer', () => {
    const blocks = [{ type: 'actions', elements: [button('x'.repeat(76))] }];
    expect(validateBlocks(blocks)).toEqual(['[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]']);
    expect(validateBlocks([section('x'.repeat(3001))])).toEqual(['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    expect(validateBlocks([{ type: 'header', text: pt('h'.repeat(151)) }])).toEqual([
      '[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect(validateBlocks([{ type: 'actions', elements: [button('ok', { value: 'v'.repeat(2001) })] }])[0]).toContain('/blocks/0/elements/0/value');
    expect(validateBlocks([{ type: 'actions', block_id: 'b'.repeat(256), elements: [button('ok', { action_id: 'a'.repeat(256) })] }])).toEqual([
      '[ERROR] must be less than 256 characters [json-pointer:/blocks/0/block_id]',
      '[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    ]);
    expect(validateBlocks([{ type: 'section', fields: Array.from({ length: 11 }, () => pt('f')) }])).toEqual([
      '[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]',
    ]);
    expect(validateBlocks([{ type: 'section', fields: [pt('f'.repeat(2001))] }])[0]).toContain('must be less than 2001 characters');
    expect(validateBlocks([{ type: 'context', elements: Array.from({ length: 11 }, () => pt('c')) }])[0]).toContain('no more than 10 items');
    expect(validateBlocks([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button('b', { action_id: `a${i}` })) }])[0]).toContain(
      'no more than 25 items',
    );
    const options = Array.from({ length: 101 }, (_, i) => ({ text: pt(`o${i}`), value: `${i}` }));
    expect(validateBlocks([{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options }] }])[0]).toContain(
      'no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]',
    );
    expect(
      validateBlocks([{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options: [{ text: pt('o'.repeat(76)), value: '1' }] }] }])[0],
    ).toContain('/blocks/0/elements/0/options/0/text/text');
  });

  it('requires required fields and refuses unknown ones', () => {
    expect(validateBlocks([{ text: pt('x') }])).toEqual(['[ERROR] missing required field: type [json-pointer:/blocks/0]']);
    expect(validateBlocks([{ type: 'actions', elements: [{ type: 'button', action_id: 'a' }] }])).toEqual([
      '[ERROR] missing required field: text [json-pointer:/blocks/0/elements/0]',
    ]);
    expect(validateBlocks([{ type: 'section', text: { type: 'mrkdwn' } }])).toEqual(['[ERROR] missing required field: text [json-pointer:/blocks/0/text]']);
    expect(validateBlocks([{ type: 'section', text: { text: 'no type' } }])).toEqual(['[ERROR] missing required field: type [json-pointer:/blocks/0/text]']);
    expect(validateBlocks([{ type: 'input', label: pt('l') }])).toEqual(['[ERROR] missing required field: element [json-pointer:/blocks/0]']);
    expect(validateBlocks([{ type: 'image', imageUrl: 'https://x', alt_text: 'a' }])).toContain(
      '[ERROR] invalid additional property: imageUrl [json-pointer:/blocks/0]',
    );
    expect(validateBlocks([{ type: 'header', text: { type: 'mrkdwn', text: '*h*' } }])[0]).toContain('must be a plain_text object');
    expect(validateBlocks([{ type: 'carousel' }])[0]).toContain('unsupported block type: carousel');
    // Button action_id is optional in Slack's schema (Slack fills one in).
    expect(validateBlocks([{ type: 'actions', elements: [{ type: 'button', text: pt('ok') }] }])).toEqual([]);
  });

  it('checks confirm dialogs', () => {
    const confirm = { title: pt('Sure?'), text: pt('Really'), confirm: pt('Yes') };
    expect(validateBlocks([{ type: 'actions', elements: [button('ok', { confirm })] }])).toEqual([
      '[ERROR] missing required field: deny [json-pointer:/blocks/0/elements/0/confirm]',
    ]);
    expect(
      validateBlocks([{ type: 'actions', elements: [button('ok', { confirm: { ...confirm, deny: pt('No'), title: pt('t'.repeat(101)) } })] }])[0],
    ).toContain('/confirm/title/text');
  });

  it('wants action_ids unique within a block and block_ids unique within a message', () => {
    expect(validateBlocks([{ type: 'actions', elements: [button('a'), button('b')] }])).toEqual([
      '[ERROR] action_id must be unique in the block, already used at /blocks/0/elements/0 [json-pointer:/blocks/0/elements/1/action_id]',
    ]);
    expect(
      validateBlocks([
        { type: 'actions', elements: [button('a')] },
        { type: 'actions', elements: [button('b')] },
      ]),
    ).toEqual([]);
    expect(
      validateBlocks([
        { type: 'divider', block_id: 'x' },
        { type: 'divider', block_id: 'x' },
      ])[0],
    ).toContain('block_id must be unique');
  });

  it('checks modal-specific limits', () => {
    const input = { type: 'input', block_id: 'why', label: pt('Reason'), element: { type: 'plain_text_input', action_id: 'text', max_length: 3000 } };
    expect(validateView({ type: 'modal', title: pt('t'.repeat(25)), submit: pt('Go'), blocks: [input] })).toEqual([
      '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
    ]);
    expect(validateView({ type: 'modal', title: pt('t'), submit: pt('s'.repeat(25)), close: pt('c'.repeat(25)), blocks: [] })).toHaveLength(2);
    expect(validateView({ type: 'modal', title: pt('t'), blocks: [input] })[0]).toContain('missing required field: submit');
    expect(validateView({ type: 'modal', submit: pt('s'), blocks: [] })).toEqual(['[ERROR] missing required field: title [json-pointer:/view]']);
    expect(validateView({ type: 'modal', title: pt('t'), blocks: [], private_metadata: 'm'.repeat(3001) })).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]',
    ]);
    expect(
      validateView({
        type: 'modal',
        title: pt('t'),
        submit: pt('s'),
        blocks: [{ ...input, element: { type: 'plain_text_input', action_id: 'x', max_length: 3001 } }],
      })[0],
    ).toContain('must be at most 3000 [json-pointer:/view/blocks/0/element/max_length]');
    expect(validateView({ type: 'modal', title: pt('t') })).toEqual(['[ERROR] missing required field: blocks [json-pointer:/view]']);
  });
});

describe('Block Kit over the Web API', () => {
  let emu: SlackEmulator;
  let client: WebClientT;
  beforeAll(async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane' }] });
    client = webClient(emu);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('chat.postMessage refuses 51 blocks with invalid_blocks', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    await expect(client.chat.postMessage({ channel: emu.adminChannelId, text: 'x', blocks })).rejects.toMatchObject({
      data: { ok: false, error: 'invalid_blocks', errors: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
    expect(emu.messagesIn(emu.adminChannelId)).toHaveLength(0);
  });

  it('chat.postMessage refuses a 76-character button text with invalid_blocks', async () => {
    const blocks = [{ type: 'actions', elements: [button('x'.repeat(76))] }];
    await expect(client.chat.postMessage({ channel: emu.adminChannelId, text: 'x', blocks })).rejects.toMatchObject({
      data: { error: 'invalid_blocks', errors: ['[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]'] },
    });
    const ok = await client.chat.postMessage({
      channel: emu.adminChannelId,
      text: 'x',
      blocks: [{ type: 'actions', elements: [button('x'.repeat(75))] }] as never,
    });
    expect(ok.ok).toBe(true);
  });

  it('chat.update and chat.postEphemeral validate too', async () => {
    const posted = await client.chat.postMessage({ channel: emu.adminChannelId, text: 'card' });
    await expect(
      client.chat.update({ channel: emu.adminChannelId, ts: posted.ts!, text: 'x', blocks: [{ type: 'header', text: pt('h'.repeat(151)) }] }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    const jane = emu.user('jane');
    await expect(client.chat.postEphemeral({ channel: jane.id, user: jane.id, text: 'x', blocks: [{ type: 'nope' }] as never })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
  });

  it('views.* answer invalid_arguments with the pointers, as Slack does for views', async () => {
    const trigger = emu.issueTrigger(emu.user('jane').id);
    await expect(client.views.open({ trigger_id: trigger, view: { type: 'modal', title: pt('t'.repeat(25)), blocks: [] } })).rejects.toMatchObject({
      data: { error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] } },
    });
  });
});
