import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createBoltApp, type BoltApp } from '../../../src/adapters/slack/create-bolt-app.js';
import { registerCertCommand } from '../../../src/adapters/slack/listeners/cert-command.js';
import { createLogger } from '../../../src/log/logger.js';
import { freePort } from '@csrbot/control-plane';
import { SlackEmulator, postSigned, slackSignature } from '@csrbot/slack-emulator';

/** Our Bolt app (transport + /cert), as main.ts builds it, against the emulator. */
async function startBot(emu: SlackEmulator, mode: 'socket' | 'http') {
  const lines: string[] = [];
  const destination = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
  const log = createLogger({ level: 'debug', destination, secrets: [emu.botToken, emu.appToken, emu.signingSecret] });
  const port = await freePort();
  const app: BoltApp = createBoltApp({
    botToken: emu.botToken,
    appToken: mode === 'socket' ? emu.appToken : undefined,
    signingSecret: mode === 'http' ? emu.signingSecret : undefined,
    apiUrl: emu.apiUrl,
    port,
    log,
  });
  registerCertCommand(app, log);
  await app.start(port);
  if (mode === 'http') emu.deliverTo(`http://127.0.0.1:${port}/slack/events`);
  return { app, port, lines };
}

describe.each(['socket', 'http'] as const)('/cert help in %s mode', (mode) => {
  let emu: SlackEmulator | undefined;
  let app: BoltApp | undefined;
  afterEach(async () => {
    await app?.stop();
    await emu?.stop();
  });

  it('answers /cert help and a bare /cert with usage, ephemerally', async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
    const bot = await startBot(emu, mode);
    app = bot.app;
    const jane = emu.user('jane');
    for (const text of ['help', '']) {
      const res = await jane.slash('/cert', text);
      expect(res.ok).toBe(true);
      expect(res.ephemeral).toBeDefined();
      expect(res.message).toBeUndefined();
      expect(res.text).toContain('Kubernetes client certificates');
      expect(JSON.stringify(res.blocks)).toContain('/cert request');
    }
    const unknown = await jane.slash('/cert', 'frobnicate');
    expect(unknown.text).toContain("I don't know `/cert frobnicate`");
    // Nothing the bot logged holds a credential.
    const all = bot.lines.join('');
    for (const secret of [emu.botToken, emu.appToken, emu.signingSecret]) expect(all).not.toContain(secret);
  });
});

describe('HTTP mode request verification', () => {
  let emu: SlackEmulator | undefined;
  let app: BoltApp | undefined;
  afterEach(async () => {
    await app?.stop();
    await emu?.stop();
  });

  it('refuses a forged signature and a timestamp older than 5 minutes with 401', async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane' }] });
    const bot = await startBot(emu, 'http');
    app = bot.app;
    const url = `http://127.0.0.1:${bot.port}/slack/events`;
    const body = new URLSearchParams({
      command: '/cert',
      text: 'help',
      user_id: 'U1',
      team_id: 'T1',
      channel_id: 'C1',
      trigger_id: 't',
      response_url: 'http://127.0.0.1:1/',
    }).toString();
    const common = { body, contentType: 'application/x-www-form-urlencoded' as const, signingSecret: emu.signingSecret, timeoutMs: 3000 };

    const good = await postSigned(url, common);
    expect(good.status).toBe(200);

    const forged = await postSigned(url, { ...common, signature: slackSignature('not-the-secret', Math.floor(Date.now() / 1000), body) });
    expect(forged.status).toBe(401);

    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const stale = await postSigned(url, { ...common, timestampSec: old, signature: slackSignature(emu.signingSecret, old, body) });
    expect(stale.status).toBe(401);

    const unsigned = await postSigned(url, { ...common, unsigned: true });
    expect(unsigned.status).toBe(401);
  });
});
