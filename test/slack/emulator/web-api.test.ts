import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { httpCall, webClient, WebClientEvent, type WebClientT } from './helpers.js';

describe('Web API', () => {
  let emu: SlackEmulator;
  let client: WebClientT;
  beforeAll(async () => {
    emu = await SlackEmulator.start({
      users: [
        { name: 'jane', email: 'jane@example.com', realName: 'Jane Doe' },
        { name: 'admin', email: 'admin@example.com' },
      ],
    });
    emu.join(['admin']);
    emu.addUsergroup({ handle: 'csr-approvers', users: ['admin'] });
    client = webClient(emu);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('has the documented address shape and identities', () => {
    expect(emu.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    expect(emu.botToken).toMatch(/^xoxb-/);
    expect(emu.appToken).toMatch(/^xapp-1-A/);
    expect(emu.teamId).toMatch(/^T/);
    expect(emu.adminChannelId).toMatch(/^C/);
  });

  it('auth.test identifies the bot; wrong and missing tokens are refused', async () => {
    const me = await client.auth.test();
    expect(me).toMatchObject({ ok: true, user_id: emu.botUserId, bot_id: emu.botId, team_id: emu.teamId, user: 'csrbot' });
    await expect(webClient(emu, 'xoxb-wrong').auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(webClient(emu, '').auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
    await expect(webClient(emu, emu.appToken).chat.postMessage({ channel: emu.adminChannelId, text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
    // A token in the form body works too (Slack accepts both).
    const r = await httpCall(`${emu.apiUrl}auth.test`, {
      method: 'POST',
      body: `token=${emu.botToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(JSON.parse(r.body.toString())).toMatchObject({ ok: true });
    // ...but not inside a JSON body: that needs the Authorization header.
    const j = await httpCall(`${emu.apiUrl}auth.test`, {
      method: 'POST',
      body: JSON.stringify({ token: emu.botToken }),
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(j.body.toString())).toMatchObject({ ok: false, error: 'not_authed' });
  });

  it('chat.postMessage / update / postEphemeral check their arguments like Slack', async () => {
    await expect(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.chat.postMessage({ channel: emu.adminChannelId } as never)).rejects.toMatchObject({ data: { error: 'no_text' } });
    const posted = await client.chat.postMessage({ channel: emu.adminChannelId, text: 'hello admins' });
    expect(posted).toMatchObject({ ok: true, channel: emu.adminChannelId, message: { text: 'hello admins', bot_id: emu.botId, user: emu.botUserId } });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({ channel: emu.adminChannelId, text: 'in thread', thread_ts: posted.ts! });
    expect(reply.message).toMatchObject({ thread_ts: posted.ts });
    const updated = await client.chat.update({ channel: emu.adminChannelId, ts: posted.ts!, text: 'edited' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'edited' });
    expect(emu.messagesIn(emu.adminChannelId).find((m) => m.ts === posted.ts)).toMatchObject({ text: 'edited', reply_count: 1 });
    await expect(client.chat.update({ channel: emu.adminChannelId, ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    const janeMsg = await emu.user('admin').in(emu.adminChannelId).say('human words');
    await expect(client.chat.update({ channel: emu.adminChannelId, ts: janeMsg.ts, text: 'x' })).rejects.toMatchObject({
      data: { error: 'cant_update_message' },
    });
    const jane = emu.user('jane');
    await expect(client.chat.postEphemeral({ channel: emu.adminChannelId, user: jane.id, text: 'psst' })).rejects.toMatchObject({
      data: { error: 'user_not_in_channel' },
    });
    await expect(client.chat.postEphemeral({ channel: emu.adminChannelId, user: 'U0NOPE', text: 'psst' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
    const eph = await client.chat.postEphemeral({ channel: emu.adminChannelId, user: emu.user('admin').id, text: 'psst' });
    expect(eph.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(
      emu
        .user('admin')
        .ephemerals()
        .map((e) => e.text),
    ).toContain('psst');
  });

  it('conversations.open gives one stable DM per user; posting to a user id lands there', async () => {
    const jane = emu.user('jane');
    const a = await client.conversations.open({ users: jane.id });
    const b = await client.conversations.open({ users: jane.id });
    expect(a.channel!.id).toMatch(/^D/);
    expect(b).toMatchObject({ channel: { id: a.channel!.id }, already_open: true });
    await expect(client.conversations.open({ users: 'U0NOPE' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    await client.chat.postMessage({ channel: jane.id, text: 'hi jane' });
    expect(jane.dms().map((m) => m.text)).toContain('hi jane');
    const members = await client.conversations.members({ channel: a.channel!.id! });
    expect(members.members!.sort()).toEqual([jane.id, emu.botUserId].sort());
  });

  it('users.info, usergroups.users.list and conversations.members', async () => {
    const jane = emu.user('jane');
    const u = await client.users.info({ user: jane.id });
    expect(u.user).toMatchObject({
      id: jane.id,
      name: 'jane',
      real_name: 'Jane Doe',
      is_bot: false,
      profile: { email: 'jane@example.com', real_name: 'Jane Doe' },
    });
    await expect(client.users.info({ user: 'U0NOPE' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    const groups = await client.usergroups.list({ include_users: true });
    const g = groups.usergroups!.find((x) => x.handle === 'csr-approvers')!;
    expect(g.id).toMatch(/^S/);
    expect((await client.usergroups.users.list({ usergroup: g.id! })).users).toEqual([emu.user('admin').id]);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
    const m = await client.conversations.members({ channel: emu.adminChannelId, limit: 1 });
    expect(m.members).toHaveLength(1);
    expect(m.response_metadata!.next_cursor).not.toBe('');
    const rest = await client.conversations.members({ channel: emu.adminChannelId, cursor: m.response_metadata!.next_cursor!, limit: 10 });
    expect([...m.members!, ...rest.members!].sort()).toEqual([emu.botUserId, emu.user('admin').id].sort());
  });

  it("names the token's scopes in x-oauth-scopes, and answers missing_scope for a method it lacks", async () => {
    const r = await httpCall(`${emu.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${emu.botToken}` } });
    expect(String(r.headers['x-oauth-scopes']).split(',')).toEqual(expect.arrayContaining(['chat:write', 'channels:read', 'groups:read', 'usergroups:read']));
    // WebClient exposes the header as response_metadata.scopes.
    expect((await client.auth.test()).response_metadata?.scopes).toEqual([...emu.scopes]);
    const info = await httpCall(`${emu.apiUrl}conversations.info?channel=${emu.adminChannelId}`, { headers: { authorization: `Bearer ${emu.botToken}` } });
    expect(info.headers['x-accepted-oauth-scopes']).toBe('groups:read');
    const app = await httpCall(`${emu.apiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${emu.appToken}` } });
    expect(app.headers['x-oauth-scopes']).toBe('connections:write');

    const all = [...emu.scopes];
    emu.setScopes(all.filter((sc) => sc !== 'groups:read' && sc !== 'usergroups:read'));
    try {
      expect((await client.auth.test()).response_metadata?.scopes).not.toContain('groups:read');
      // Slack's shape: the scope the method wanted and every scope the token has.
      await expect(client.conversations.info({ channel: emu.adminChannelId })).rejects.toMatchObject({
        data: { error: 'missing_scope', needed: 'groups:read', provided: expect.stringContaining('chat:write') },
      });
      await expect(client.usergroups.list()).rejects.toMatchObject({ data: { error: 'missing_scope', needed: 'usergroups:read' } });
      // A public channel needs channels:read, which the token still has.
      const pub = emu.addChannel({ name: 'general-scopes' });
      expect((await client.conversations.info({ channel: pub.id })).channel).toMatchObject({ id: pub.id, is_member: true });
    } finally {
      emu.setScopes(all);
    }
  });

  it('conversations.info says is_member for a public channel, and hides a private one from a bot outside it', async () => {
    const pub = emu.addChannel({ name: 'public-no-bot', botMember: false });
    expect((await client.conversations.info({ channel: pub.id })).channel).toMatchObject({
      id: pub.id,
      name: 'public-no-bot',
      is_member: false,
      is_private: false,
    });
    const priv = emu.addChannel({ name: 'private-no-bot', private: true, botMember: false });
    await expect(client.conversations.info({ channel: priv.id })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const other = emu.addChannel({ name: 'private-then-left', private: true });
    expect((await client.conversations.info({ channel: other.id })).channel).toMatchObject({ is_member: true, is_private: true });
    emu.leave([emu.botUserId], other.id);
    await expect(client.conversations.info({ channel: other.id })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
  });

  it('filesUploadV2 works end to end; url_private_download needs the bot token', async () => {
    const jane = emu.user('jane');
    const dm = (await client.conversations.open({ users: jane.id })).channel!.id!;
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const res = await client.filesUploadV2({ channel_id: dm, filename: 'jane.crt', content: pem, initial_comment: 'here is your certificate' });
    expect(res.ok).toBe(true);
    const msg = await jane.waitForDm((m) => m.text === 'here is your certificate');
    expect(msg.files).toHaveLength(1);
    const fileId = (msg.files![0] as { id: string }).id;
    expect(fileId).toMatch(/^F/);
    const info = await client.files.info({ file: fileId });
    expect(info.file).toMatchObject({ id: fileId, name: 'jane.crt', size: pem.length, ims: [dm] });
    const dl = await httpCall(info.file!.url_private_download!, { headers: { authorization: `Bearer ${emu.botToken}` } });
    expect(dl.status).toBe(200);
    expect(dl.body.toString()).toBe(pem);
    const anon = await httpCall(info.file!.url_private_download!);
    expect(anon.status).toBe(302);
    expect(anon.headers.location).toContain('/signin');
    await expect(client.files.info({ file: 'F0NOPE' })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    expect(emu.calls('files.getUploadURLExternal')).toHaveLength(1);
    expect(emu.calls('files.completeUploadExternal')[0]!.ok).toBe(true);
  });

  it('a user upload in a DM is stored and visible to the bot', async () => {
    const jane = emu.user('jane');
    const { file, message } = await jane.dm(emu.bot).upload('jane.csr', 'CSR-PEM', { comment: 'please sign' });
    expect(message).toMatchObject({ subtype: 'file_share', text: 'please sign', upload: true, user: jane.id });
    const info = await client.files.info({ file: file.id });
    expect(info.file).toMatchObject({ name: 'jane.csr', user: jane.id, filetype: 'text', mimetype: 'text/plain' });
    const dl = await httpCall(info.file!.url_private!, { headers: { authorization: `Bearer ${emu.botToken}` } });
    expect(dl.body.toString()).toBe('CSR-PEM');
  });

  it('answers 429 with Retry-After past the budget; WebClient retries and the message arrives exactly once', async () => {
    const jane = emu.user('jane');
    emu.rateLimits.set('chat.postMessage', { limit: 1, windowMs: 1000, retryAfterSec: 1 });
    try {
      const limited: number[] = [];
      client.on(WebClientEvent.RATE_LIMITED, (sec: number) => limited.push(sec));
      const before = jane.dms().length;
      await client.chat.postMessage({ channel: jane.id, text: 'first' });
      const started = Date.now();
      await client.chat.postMessage({ channel: jane.id, text: 'second' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(limited).toEqual([1]);
      const texts = jane
        .dms()
        .slice(before)
        .map((m) => m.text);
      expect(texts).toEqual(['first', 'second']);
      const calls = emu.calls('chat.postMessage').slice(-3);
      expect(calls.map((c) => c.status)).toEqual([200, 429, 200]);
      expect(calls[1]!.error).toBe('ratelimited');
    } finally {
      emu.rateLimits.set('chat.postMessage', undefined);
      client.removeAllListeners(WebClientEvent.RATE_LIMITED);
    }
  });

  it('injects 5xx, errors, slow answers and dropped sockets', async () => {
    emu.faults.next('chat.postMessage', { status: 500 });
    const r = await client.chat.postMessage({ channel: emu.adminChannelId, text: 'after a 500' });
    expect(r.ok).toBe(true);
    expect(
      emu
        .calls('chat.postMessage')
        .slice(-2)
        .map((c) => c.status),
    ).toEqual([500, 200]);
    emu.faults.next('users.info', { error: 'fatal_error' });
    await expect(client.users.info({ user: emu.user('jane').id })).rejects.toMatchObject({ data: { error: 'fatal_error' } });
    emu.faults.slow('auth.test', 300);
    const t = Date.now();
    await client.auth.test();
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    emu.faults.drop('auth.test');
    const again = await client.auth.test(); // WebClient retries a dropped connection
    expect(again.ok).toBe(true);
    expect(
      emu
        .calls('auth.test')
        .slice(-2)
        .map((c) => c.error),
    ).toEqual(['dropped', undefined]);
  });

  it('answerDelayMs: the call takes effect at once, its answer comes later (a caller can die in between)', async () => {
    emu.faults.next('chat.postMessage', { answerDelayMs: 400 });
    const answered = client.chat.postMessage({ channel: emu.adminChannelId, text: 'posted before the answer' });
    const posted = await emu.waitForMessage(emu.adminChannelId, (m) => m.text === 'posted before the answer', { timeoutMs: 5000 });
    expect(emu.inFlight().requests).toBeGreaterThan(0);
    const r = await answered;
    expect(r.ts).toBe(posted.ts);
  });

  it('deleteMessage removes a message as a workspace admin would: chat.update on it then answers message_not_found', async () => {
    const r = await client.chat.postMessage({ channel: emu.adminChannelId, text: 'a card' });
    expect(emu.deleteMessage(emu.adminChannelId, r.ts!)).toBe(true);
    expect(emu.deleteMessage(emu.adminChannelId, r.ts!)).toBe(false);
    expect(emu.messagesIn(emu.adminChannelId).some((m) => m.ts === r.ts)).toBe(false);
    await expect(client.chat.update({ channel: emu.adminChannelId, ts: r.ts!, text: 'updated' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('views.open needs a fresh trigger_id', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Hi' }, blocks: [] };
    await expect(client.views.open({ trigger_id: 'bogus', view })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    const jane = emu.user('jane');
    const trigger = emu.issueTrigger(jane.id);
    const opened = await client.views.open({ trigger_id: trigger, view });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), type: 'modal', title: { text: 'Hi' } });
    expect(jane.openViews()).toHaveLength(1);
    await expect(client.views.open({ trigger_id: trigger, view })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
    const updated = await client.views.update({
      view_id: opened.view!.id!,
      hash: opened.view!.hash!,
      view: { ...view, title: { type: 'plain_text', text: 'Updated' } },
    });
    expect(updated.view).toMatchObject({ id: opened.view!.id, title: { text: 'Updated' } });
    await expect(client.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view })).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    expect(emu.options.triggerTtlMs).toBe(3000);
  });

  it('a trigger_id older than 3 s is expired', async () => {
    const jane = emu.user('jane');
    const trigger = emu.issueTrigger(jane.id);
    await new Promise((r) => setTimeout(r, 3050));
    await expect(
      client.views.open({ trigger_id: trigger, view: { type: 'modal', title: { type: 'plain_text', text: 'Hi' }, blocks: [] } }),
    ).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
  });

  it('views.publish sets the Home tab', async () => {
    const jane = emu.user('jane');
    const home = await client.views.publish({
      user_id: jane.id,
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'your certs' } }] },
    });
    expect(home.view).toMatchObject({ type: 'home' });
    expect(jane.homeView()?.id).toBe(home.view!.id);
  });

  it('unknown methods answer unknown_method', async () => {
    await expect(client.apiCall('nope.nothing')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
  });
});
