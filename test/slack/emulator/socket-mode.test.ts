import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { ClosingSocketModeReceiver } from '../../../src/adapters/slack/closing-socket-mode-receiver.js';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { App, LogLevel, webClient, type AppT } from './helpers.js';

type Frame = {
  type: string;
  envelope_id?: string;
  payload?: Record<string, unknown>;
  retry_attempt?: number;
  retry_reason?: string;
  reason?: string;
  num_connections?: number;
  accepts_response_payload?: boolean;
};

/** A bare Socket Mode client: records frames, acks only when told. */
async function rawClient(emu: SlackEmulator): Promise<{ ws: WebSocket; frames: Frame[]; next: (pred: (f: Frame) => boolean) => Promise<Frame> }> {
  const res = await webClient(emu, emu.appToken).apps.connections.open({});
  const ws = new WebSocket(res.url!);
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Frame;
    frames.push(f);
    for (const w of [...waiters])
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
  });
  const next = (pred: (f: Frame) => boolean): Promise<Frame> =>
    new Promise((resolve) => {
      const seen = frames.find(pred);
      if (seen) return resolve(seen);
      waiters.push({ pred, resolve });
    });
  await next((f) => f.type === 'hello');
  return { ws, frames, next };
}

/** Opens a connection and waits only for the socket to open (for a hello that never comes). */
async function rawClientWithoutHello(emu: SlackEmulator): Promise<{ ws: WebSocket }> {
  const res = await webClient(emu, emu.appToken).apps.connections.open({});
  const ws = new WebSocket(res.url!);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws };
}

describe('Socket Mode', () => {
  let emu: SlackEmulator;
  const sockets: WebSocket[] = [];
  beforeEach(async () => {
    emu = await SlackEmulator.start({
      ackTimeoutMs: 300,
      eventRetryDelaysMs: [0, 50, 50],
      users: [{ name: 'jane', email: 'jane@example.com', realName: 'Jane Doe' }],
    });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await emu.stop();
  });

  it('apps.connections.open needs an app-level token', async () => {
    await expect(webClient(emu, emu.botToken).apps.connections.open({})).rejects.toMatchObject({ data: { ok: false, error: 'not_allowed_token_type' } });
    await expect(webClient(emu, 'xapp-1-nope').apps.connections.open({})).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const res = await webClient(emu, emu.appToken).apps.connections.open({});
    expect(res.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
  });

  it('says hello, delivers events_api envelopes and redelivers an unacked one with retry_attempt 1', async () => {
    const c = await rawClient(emu);
    sockets.push(c.ws);
    expect(c.frames[0]).toMatchObject({ type: 'hello', num_connections: 1 });
    await emu.user('jane').dm().say('hello bot');
    const first = await c.next((f) => f.type === 'events_api');
    expect(first).toMatchObject({ accepts_response_payload: false, retry_attempt: 0, retry_reason: '' });
    expect(first.payload).toMatchObject({
      type: 'event_callback',
      event: { type: 'message', channel_type: 'im', text: 'hello bot', user: emu.user('jane').id },
    });
    // Not acked within the (shortened) ack budget: Slack retries.
    const retry = await c.next((f) => f.type === 'events_api' && f.retry_attempt === 1);
    expect(retry.retry_reason).toBe('timeout');
    expect(retry.envelope_id).not.toBe(first.envelope_id);
    expect((retry.payload as { event_id: string }).event_id).toBe((first.payload as { event_id: string }).event_id);
    c.ws.send(JSON.stringify({ envelope_id: retry.envelope_id }));
    await emu.idle();
    expect(c.frames.filter((f) => f.type === 'events_api')).toHaveLength(2);
    expect(emu.deliveries.map((d) => [d.attempt, d.acked])).toEqual([
      [0, false],
      [1, true],
    ]);
  });

  it('can hold back the hello: the connection is open, and a Bolt app is not started until hello comes', async () => {
    emu.faults.next('hello', { delayMs: 600 });
    const app = new App({
      token: emu.botToken,
      appToken: emu.appToken,
      socketMode: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: emu.apiUrl },
    });
    const started = Date.now();
    await app.start();
    try {
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(emu.transcript()).toContain('fault: hello to connection');
    } finally {
      await app.stop();
      // Bolt 5's stop() resolves before the close handshake ends; let it end before the next step.
      await emu.waitFor(() => emu.socketMode.open().length === 0, 'the Bolt app to disconnect');
    }
    emu.faults.next('hello', { drop: true });
    const { ws } = await rawClientWithoutHello(emu);
    sockets.push(ws);
    expect(emu.socketMode.open()).toHaveLength(1);
    expect(emu.transcript()).toContain('gets no hello');
  });

  it('gives each envelope to exactly one of several connections', async () => {
    const a = await rawClient(emu);
    const b = await rawClient(emu);
    sockets.push(a.ws, b.ws);
    for (const c of [a, b])
      c.ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as Frame;
        if (f.envelope_id) c.ws.send(JSON.stringify({ envelope_id: f.envelope_id, payload: {} }));
      });
    const jane = emu.user('jane');
    for (let i = 0; i < 6; i += 1) await jane.dm().say(`m${i}`);
    await emu.idle();
    const got = [...a.frames, ...b.frames].filter((f) => f.type === 'events_api').map((f) => (f.payload as { event: { text: string } }).event.text);
    expect(got.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(a.frames.some((f) => f.type === 'events_api')).toBe(true);
    expect(b.frames.some((f) => f.type === 'events_api')).toBe(true);
  });

  it('can ask a connection to disconnect', async () => {
    const c = await rawClient(emu);
    sockets.push(c.ws);
    const closed = new Promise<void>((resolve) => c.ws.on('close', () => resolve()));
    emu.disconnectSockets('refresh_requested');
    expect(await c.next((f) => f.type === 'disconnect')).toMatchObject({ reason: 'refresh_requested' });
    await closed;
  });

  it('can cut connections (a dropped socket); deliveries then find nobody', async () => {
    const c = await rawClient(emu);
    sockets.push(c.ws);
    const closed = new Promise<void>((resolve) => c.ws.on('close', () => resolve()));
    emu.dropSockets();
    await closed;
    await emu.user('jane').dm().say('anyone?');
    await emu.idle();
    expect(emu.deliveries.at(-1)).toMatchObject({ acked: false, via: 'none', reason: 'no_connection' });
  });

  describe('with a real Bolt App', () => {
    let app: AppT;
    let replica: AppT | undefined;
    // csrbot's receiver: Bolt's own resolves stop() before the socket is closed,
    // and the emulator stopping right after would cut the close handshake.
    const boltApp = (): AppT => {
      const clientOptions = { slackApiUrl: emu.apiUrl };
      const receiver = new ClosingSocketModeReceiver({ appToken: emu.appToken, logLevel: LogLevel.ERROR, installerOptions: { clientOptions } });
      return new App({ token: emu.botToken, receiver, logLevel: LogLevel.ERROR, clientOptions });
    };
    afterEach(async () => {
      await app?.stop();
      await replica?.stop();
      replica = undefined;
    });

    it('answers a slash command with an ephemeral reply', async () => {
      app = boltApp();
      app.command('/cert', async ({ ack, command }) => {
        await ack({ text: `usage: /cert request | /cert help (you typed "${command.text}")` });
      });
      await app.start();
      const jane = emu.user('jane');
      const res = await jane.slash('/cert', 'help');
      expect(res).toMatchObject({ ok: true, acked: true });
      expect(res.text).toBe('usage: /cert request | /cert help (you typed "help")');
      expect(jane.ephemerals().map((e) => e.text)).toEqual([res.text]);
      // Ephemeral means: not a message anyone else sees.
      expect(jane.dms()).toHaveLength(0);
    });

    it('runs a DM upload → download → filesUploadV2 round trip, buttons and a modal', async () => {
      app = boltApp();
      app.message(async ({ message, client }) => {
        if (message.subtype !== 'file_share') return;
        const file = message.files![0]!;
        const info = await client.files.info({ file: file.id! });
        const bytes = await (await import('./helpers.js')).httpCall(info.file!.url_private_download!, { headers: { authorization: `Bearer ${emu.botToken}` } });
        await client.filesUploadV2({
          channel_id: message.channel,
          filename: 'jane.crt',
          content: `signed(${bytes.body.toString()})`,
          initial_comment: 'your certificate',
        });
        await client.chat.postMessage({
          channel: emu.adminChannelId,
          text: 'approve?',
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: `request from <@${message.user}>` } },
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: 'approve',
                  text: { type: 'plain_text', text: 'Approve' },
                  value: 'csr-1',
                  style: 'primary',
                  confirm: {
                    title: { type: 'plain_text', text: 'Sure?' },
                    text: { type: 'plain_text', text: 'Approve it' },
                    confirm: { type: 'plain_text', text: 'Yes' },
                    deny: { type: 'plain_text', text: 'No' },
                  },
                },
              ],
            },
          ],
        });
      });
      app.action('approve', async ({ ack, body, client, respond }) => {
        await ack();
        await client.views.open({
          trigger_id: (body as { trigger_id: string }).trigger_id,
          view: {
            type: 'modal',
            callback_id: 'reason',
            title: { type: 'plain_text', text: 'Why?' },
            submit: { type: 'plain_text', text: 'Approve' },
            private_metadata: 'csr-1',
            blocks: [
              { type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'text' } },
            ],
          },
        });
        await respond({ replace_original: true, text: 'approved by admin' });
      });
      app.view('reason', async ({ ack, view }) => {
        const why = view.state.values.why?.text?.value;
        if (why === 'no') await ack({ response_action: 'errors', errors: { why: 'say more' } });
        else await ack();
      });
      await app.start();
      emu.addUser({ name: 'admin' });
      emu.join(['admin']);
      const jane = emu.user('jane');
      const admin = emu.user('admin');
      await jane.dm(emu.bot).upload('jane.csr', 'PEM');
      const dm = await jane.waitForDm((m) => m.files?.some((f) => f.name === 'jane.crt') ?? false);
      expect(dm.text).toBe('your certificate');
      const crt = emu.file((dm.files![0] as { id: string }).id)!;
      expect(crt.content!.toString()).toBe('signed(PEM)');
      const card = await emu.waitForMessage(emu.adminChannelId, (m) => m.text === 'approve?');
      const click = await admin.click(card, 'approve');
      expect(click.acked).toBe(true);
      const modal = await admin.waitForView((v) => v.callback_id === 'reason');
      await emu.waitForMessage(emu.adminChannelId, (m) => m.text === 'approved by admin' && m.ts === card.ts);
      const refused = await admin.submitView(modal, { text: 'no' });
      expect(refused).toMatchObject({ responseAction: 'errors', errors: { why: 'say more' } });
      expect(admin.openViews()).toHaveLength(1);
      const ok = await admin.submitView(modal, { text: 'looks fine' });
      expect(ok.responseAction).toBe('close');
      expect(admin.openViews()).toHaveLength(0);
    });

    it('two replicas: each command reaches exactly one of them', async () => {
      const seen: string[] = [];
      app = boltApp();
      replica = boltApp();
      app.command('/cert', async ({ ack }) => {
        seen.push('a');
        await ack({ text: 'a' });
      });
      replica.command('/cert', async ({ ack }) => {
        seen.push('b');
        await ack({ text: 'b' });
      });
      await app.start();
      await replica.start();
      const jane = emu.user('jane');
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push((await jane.slash('/cert', 'help')).text);
      expect(seen).toHaveLength(4);
      expect(new Set(seen)).toEqual(new Set(['a', 'b']));
      expect(answers).toEqual(seen);
    });
  });
});
