import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { SlackEmulator, slackSignature } from '@csrbot/slack-emulator';
import { App, freePort, silentLogger, type AppT } from './helpers.js';

describe('HTTP mode with a real Bolt App', () => {
  let emu: SlackEmulator;
  let app: AppT;
  let url: string;
  beforeAll(async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
    const port = await freePort();
    app = new App({ token: emu.botToken, signingSecret: emu.signingSecret, logger: silentLogger, clientOptions: { slackApiUrl: emu.apiUrl } });
    app.command('/cert', async ({ ack, command, respond }) => {
      if (command.text === 'later') {
        await ack();
        await respond({ response_type: 'in_channel', text: 'announced for everyone' });
        return;
      }
      await ack({ text: 'usage: /cert request | /cert help' });
    });
    await app.start(port);
    url = `http://127.0.0.1:${port}/slack/events`;
    emu.deliverTo(url);
  });
  afterAll(async () => {
    await app.stop();
    await emu.stop();
  });

  it('answers /cert help with an ephemeral reply', async () => {
    const jane = emu.user('jane');
    const res = await jane.slash('/cert', 'help');
    expect(res).toMatchObject({ ok: true, acked: true, text: 'usage: /cert request | /cert help' });
    expect(res.ephemeral).toMatchObject({ user: jane.id, from: emu.botUserId, via: 'ack' });
    expect(emu.deliveries.at(-1)).toMatchObject({ via: 'http', status: 200, type: 'slash_commands' });
  });

  it('a response_url post with response_type in_channel becomes a message everyone sees', async () => {
    const jane = emu.user('jane');
    const res = await jane.slash('/cert', 'later');
    expect(res).toMatchObject({ ok: true, text: '' });
    const msg = await jane.waitForDm((m) => m.text === 'announced for everyone');
    expect(msg.bot_id).toBe(emu.botId);
  });

  it('Bolt refuses a forged signature and a timestamp older than 5 minutes with 401', async () => {
    const body = {
      command: '/cert',
      text: 'help',
      user_id: emu.user('jane').id,
      team_id: emu.teamId,
      channel_id: emu.adminChannelId,
      response_url: 'x',
      trigger_id: 'y',
    };
    const good = await emu.postToBot('slash_commands', body);
    expect(good.status).toBe(200);
    const forged = await emu.postToBot('slash_commands', body, { signature: slackSignature('not-the-secret', Math.floor(Date.now() / 1000), 'x') });
    expect(forged.status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 5 * 60 - 1;
    const old = await emu.postToBot('slash_commands', body, { timestampSec: stale });
    expect(old.status).toBe(401);
    const unsigned = await emu.postToBot('slash_commands', body, { unsigned: true });
    expect(unsigned.status).toBe(401);
  });

  it('url_verification is answered with the challenge', async () => {
    const r = await emu.postToBot('events_api', { token: emu.verificationToken, challenge: 'abc123', type: 'url_verification' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ challenge: 'abc123' });
  });
});

describe('HTTP mode, as seen by a bare request URL', () => {
  let emu: SlackEmulator;
  let server: Server;
  let seen: { headers: IncomingMessage['headers']; body: string }[];
  let answer: (n: number) => { status: number; body?: string; delayMs?: number; contentType?: string };
  beforeAll(async () => {
    emu = await SlackEmulator.start({ ackTimeoutMs: 400, eventRetryDelaysMs: [0, 20, 20], users: [{ name: 'jane' }] });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        const a = answer(seen.length);
        setTimeout(() => {
          res.writeHead(a.status, a.contentType ? { 'content-type': a.contentType } : {});
          res.end(a.body ?? '');
        }, a.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    emu.deliverTo(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/slack/events`);
  });
  afterEach(() => {
    seen = [];
  });
  afterAll(async () => {
    await emu.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  seen = [];

  const verify = (h: IncomingMessage['headers'], body: string): boolean =>
    h['x-slack-signature'] === slackSignature(emu.signingSecret, Number(h['x-slack-request-timestamp']), body);

  it('signs commands, sends them form-encoded, and shows a plain-text body as the reply', async () => {
    answer = () => ({ status: 200, body: 'plain words' });
    const res = await emu.user('jane').slash('/cert', 'help');
    expect(res.text).toBe('plain words');
    const req = seen[0]!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(verify(req.headers, req.body)).toBe(true);
    const fields = Object.fromEntries(new URLSearchParams(req.body));
    expect(Object.keys(fields).sort()).toEqual(
      [
        'api_app_id',
        'channel_id',
        'channel_name',
        'command',
        'is_enterprise_install',
        'response_url',
        'team_domain',
        'team_id',
        'text',
        'token',
        'trigger_id',
        'user_id',
        'user_name',
      ].sort(),
    );
    expect(fields).toMatchObject({ command: '/cert', text: 'help', user_name: 'jane', channel_name: 'directmessage' });
  });

  it('sends interactions as payload= and events as JSON, retrying events with X-Slack-Retry-Num', async () => {
    answer = (n) => (n === 1 ? { status: 500 } : { status: 200 });
    await emu.user('jane').dm().say('hi');
    await emu.idle();
    expect(seen).toHaveLength(2);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers['x-slack-retry-num']).toBeUndefined();
    expect(seen[1]!.headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' });
    expect(verify(seen[1]!.headers, seen[1]!.body)).toBe(true);
    expect(JSON.parse(seen[1]!.body)).toMatchObject({ type: 'event_callback', event: { type: 'message', text: 'hi', channel_type: 'im' } });

    seen = [];
    answer = () => ({ status: 200 });
    const card = await emu.postBotMessage(emu.dmWith('jane'), {
      text: 'card',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, value: 'v' }] }],
    });
    await emu.idle();
    seen = [];
    const click = await emu.user('jane').click(card, 'go');
    expect(click.acked).toBe(true);
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const payload = JSON.parse(new URLSearchParams(seen[0]!.body).get('payload')!) as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: emu.user('jane').id, username: 'jane', name: 'jane', team_id: emu.teamId },
      api_app_id: emu.appId,
      container: { type: 'message', message_ts: card.ts, channel_id: card.channel, is_ephemeral: false },
      channel: { id: card.channel },
      message: { ts: card.ts, text: 'card' },
      actions: [{ action_id: 'go', value: 'v', type: 'button', block_id: expect.any(String), action_ts: expect.any(String) }],
    });
    expect(typeof payload.trigger_id).toBe('string');
    expect(typeof payload.response_url).toBe('string');
  });

  it('a command not answered within the ack budget shows operation_timeout; a non-200 shows dispatch_failed', async () => {
    answer = () => ({ status: 200, body: 'too late', delayMs: 800 });
    const slow = await emu.user('jane').slash('/cert', 'help');
    expect(slow).toMatchObject({ ok: false, error: 'operation_timeout', text: '/cert failed with the error "operation_timeout"' });
    answer = () => ({ status: 503 });
    const down = await emu.user('jane').slash('/cert', 'help');
    expect(down).toMatchObject({ ok: false, error: 'dispatch_failed' });
    expect(seen).toHaveLength(2); // commands are never retried
  });
});
