// A token that stops working shows on /metrics as Slack's own error, by
// method, and on csrbot_slack_auth_failures_total, which the
// CsrbotSlackAuthFailing alert watches.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { prometheusMetrics } from '../../../src/adapters/http/prometheus-metrics.js';
import { SlackChat, slackErrorOf } from '../../../src/adapters/slack/slack-chat.js';
import { SlackEmulator } from '@csrbot/slack-emulator';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { webClient } from '../emulator/helpers.js';

describe('Slack Web API errors', () => {
  let emu: SlackEmulator;
  beforeAll(async () => {
    emu = await SlackEmulator.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('a revoked or wrong token is counted as invalid_auth on csrbot_slack_api_errors_total, and the call still fails', async () => {
    const registry = new Registry();
    const metrics = prometheusMetrics(registry);
    const chat = SlackChat.create({
      client: webClient(emu, 'xoxb-revoked'),
      adminChannel: emu.adminChannelId,
      botToken: 'xoxb-revoked',
      onApiError: metrics.slackApiError,
    });
    await expect(chat.postCard(aRequest())).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(chat.person('U0NOBODY')).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const text = await registry.metrics();
    expect(text).toContain('csrbot_slack_api_errors_total{method="chat.postMessage",error="invalid_auth"} 1');
    expect(text).toContain('csrbot_slack_api_errors_total{method="users.info",error="invalid_auth"} 1');
    expect(text).toContain('csrbot_slack_auth_failures_total 2');
  });

  it('a working token reports nothing; a wrong channel is reported as what Slack said', async () => {
    const errors: unknown[] = [];
    const chat = SlackChat.create({ client: webClient(emu), adminChannel: 'C0NOSUCH', botToken: emu.botToken, onApiError: (f) => errors.push(f) });
    await chat.person(emu.botUserId);
    await expect(chat.postCard(aRequest())).rejects.toThrow();
    expect(errors).toEqual([{ method: 'chat.postMessage', error: 'channel_not_found', auth: false }]);
  });

  it('users.info tells guests, other teams, bots and deactivated accounts apart, so intake can refuse each', async () => {
    const chat = SlackChat.create({ client: webClient(emu), adminChannel: emu.adminChannelId, botToken: emu.botToken });
    const add = (name: string, o: Parameters<SlackEmulator['addUser']>[0]) => emu.addUser({ ...o, name }).id;
    expect(await chat.person(add('full', { name: '' }))).not.toHaveProperty('guest');
    expect(await chat.person(add('mcg', { name: '', guest: 'multi-channel' }))).toMatchObject({ guest: 'multi-channel' });
    expect(await chat.person(add('scg', { name: '', guest: 'single-channel' }))).toMatchObject({ guest: 'single-channel' });
    expect(await chat.person(add('connect', { name: '', teamId: 'T0PARTNER' }))).toMatchObject({ teamId: 'T0PARTNER' });
    expect(await chat.person(add('gone', { name: '', deleted: true }))).toMatchObject({ deleted: true });
    expect(await chat.person(emu.botUserId)).toMatchObject({ isBot: true });
  });

  it('sends the bot token only to Slack file hosts: an upload URL on any other host is refused and never fetched', async () => {
    const seen: string[] = [];
    const other = createServer((req, res) => {
      seen.push(String(req.headers.authorization ?? ''));
      res.end('-----BEGIN CERTIFICATE REQUEST-----');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const port = (other.address() as AddressInfo).port;
      const chat = SlackChat.create({ client: webClient(emu), adminChannel: emu.adminChannelId, botToken: emu.botToken, apiUrl: emu.apiUrl });
      const err = await chat.readUpload({ id: 'F1', url: `http://127.0.0.1:${port}/files-pri/T1-F1/download/jane.csr`, size: 900 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UPLOAD_HOST_REFUSED' });
      expect((err as Error).message).toContain('https://files.slack.com');
      expect(seen).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('labels stay a small set: anything unexpected is "unknown"', () => {
    expect(slackErrorOf(new Error('boom'))).toBe('unknown');
    expect(slackErrorOf({ code: 'slack_webapi_platform_error', data: { error: 'Not A Slack Code; DROP TABLE' } })).toBe('unknown');
    expect(slackErrorOf({ code: 'slack_webapi_rate_limited_error' })).toBe('ratelimited');
    expect(slackErrorOf({ code: 'slack_webapi_http_error', statusCode: 503 })).toBe('http_503');
    expect(slackErrorOf({ code: 'slack_webapi_request_error' })).toBe('request_error');
  });
});
