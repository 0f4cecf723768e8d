// Start-up refuses what cannot work, with the setting and the fix, exit code
// 2 and no stack trace, before it ever says "csrbot started"; and a start
// blocked on Slack stops cleanly on SIGTERM. Real processes against the
// Slack emulator; the cluster is unreachable here (a warning, not a refusal).
// The cluster's own refusals (RBAC, the real API server's TLS) are in
// test/integration/preflight/.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as cli } from '../../../src/cli/main.js';
import { expectRefusal, runBot, startBot, tokenKubeconfig, unreachableKubeconfig, writeKubeconfig, type BotProcess } from '../../support/bot-process.js';
import { freePort } from '@csrbot/control-plane';
import { redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { SlackEmulator, type SlackEmulatorOptions } from '@csrbot/slack-emulator';

let redisUrl: string;
beforeAll(async () => {
  redisUrl = await redisUrlForTests();
});

const emulators: SlackEmulator[] = [];
const bots: BotProcess[] = [];
afterEach(async () => {
  for (const b of bots.splice(0)) {
    b.kill('SIGKILL');
    await b.exited;
  }
  for (const e of emulators.splice(0)) await e.stop();
});

async function emulator(o: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const emu = await SlackEmulator.start(o);
  emulators.push(emu);
  return emu;
}

/** Settings that pass every check against `emu` (the cluster is merely unreachable). */
async function envFor(emu: SlackEmulator, mode: 'socket' | 'http', extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    SLACK_BOT_TOKEN: emu.botToken,
    ...(mode === 'socket' ? { SLACK_APP_TOKEN: emu.appToken } : { SLACK_SIGNING_SECRET: emu.signingSecret, PORT: String(await freePort()) }),
    SLACK_API_URL: emu.apiUrl,
    SLACK_ADMIN_CHANNEL: emu.adminChannelId,
    SLACK_ADMIN_USERS: 'U0ADMIN',
    KUBECONFIG: await unreachableKubeconfig(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: uniquePrefix('preflight'),
    OPS_PORT: String(await freePort()),
    ...extra,
  };
}

describe.each(['socket', 'http'] as const)('start-up in %s mode refuses', (mode) => {
  it('a wrong bot token: exit 2, SLACK_BOT_TOKEN and the fix, and never "csrbot started"', async () => {
    const emu = await emulator();
    const exit = await runBot(await envFor(emu, mode, { SLACK_BOT_TOKEN: 'xoxb-1-wrong-token' }));
    const stderr = expectRefusal(exit);
    expect(stderr).toContain('SLACK_BOT_TOKEN was refused by Slack (invalid_auth). To fix, copy the Bot User OAuth Token (xoxb-...)');
    expect(stderr).toContain('csrbot doctor');
    expect(exit.stdout + exit.stderr).not.toContain('xoxb-1-wrong-token');
    // Nothing past the token check was tried with it.
    expect(emu.calls().map((c) => c.method)).toEqual(['auth.test']);
  });
});

describe('start-up refuses', () => {
  it('a token without the scopes manifest.yml asks for, listing the missing ones', async () => {
    const emu = await emulator();
    emu.setScopes(emu.scopes.filter((s) => !['channels:read', 'groups:read', 'users:read.email'].includes(s)));
    const stderr = expectRefusal(await runBot(await envFor(emu, 'http')));
    expect(stderr).toContain('slack-scopes: SLACK_BOT_TOKEN lacks Bot Token Scopes that manifest.yml asks for: users:read.email, channels:read, groups:read.');
    expect(stderr).toContain('reinstall the app');
    // The admin channel check needs groups:read; it says so once, in the scopes line, not twice.
    expect(stderr).not.toContain('slack-admin-channel');
  });

  it('a bot that is not in the admin channel', async () => {
    const emu = await emulator();
    const pub = emu.addChannel({ name: 'cert-approvals', botMember: false });
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { SLACK_ADMIN_CHANNEL: pub.id })));
    expect(stderr).toContain(`The bot is not a member of SLACK_ADMIN_CHANNEL (#cert-approvals, ${pub.id}), so it cannot post approval cards there.`);
    expect(stderr).toContain('To fix, run /invite @csrbot in #cert-approvals.');
  });

  it('a private admin channel the bot was not invited to (Slack hides it: channel_not_found)', async () => {
    const emu = await emulator();
    emu.leave([emu.botUserId]);
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket')));
    expect(stderr).toContain(`SLACK_ADMIN_CHANNEL ${emu.adminChannelId} was not found by the bot (channel_not_found)`);
    expect(stderr).toContain('/invite @csrbot');
  });

  it('an admin group that does not exist', async () => {
    const emu = await emulator();
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { SLACK_ADMIN_GROUP: 'S0NOPE' })));
    expect(stderr).toContain('SLACK_ADMIN_GROUP S0NOPE is not a user group in this workspace (no_such_subteam). To fix, set it to the ID (S...)');
  });

  it('a wrong app token in Socket Mode', async () => {
    const emu = await emulator();
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { SLACK_APP_TOKEN: 'xapp-1-A0-1-wrong' })));
    expect(stderr).toContain('SLACK_APP_TOKEN was refused by Slack (invalid_auth). To fix, create an app-level token with the connections:write scope');
  });

  it('a kubeconfig without current-context, naming the contexts it has', async () => {
    const emu = await emulator();
    const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: 'https://127.0.0.1:9', token: 't', currentContext: null }));
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { KUBECONFIG: kubeconfig })));
    expect(stderr).toContain(`KUBECONFIG (${kubeconfig}) has no current-context, so csrbot cannot tell which cluster and credentials to use.`);
    expect(stderr).toContain(`To fix, choose one: kubectl config use-context <name> --kubeconfig ${kubeconfig} (contexts in the file: ctx1).`);
    expect(stderr).not.toContain('CLUSTER_SERVER_URL');
    expect(stderr).not.toContain('No active cluster');
  });

  it('a current-context the file does not define', async () => {
    const emu = await emulator();
    const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: 'https://127.0.0.1:9', token: 't', currentContext: 'prod' }));
    const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { KUBECONFIG: kubeconfig })));
    expect(stderr).toContain(`KUBECONFIG (${kubeconfig}): current-context "prod" is not defined in the file (contexts: ctx1).`);
  });

  describe('a server with a self-signed certificate', () => {
    let server: Server;
    let address: string;
    const dir = mkdtempSync(join(tmpdir(), 'csrbot-selfsigned-'));
    beforeAll(async () => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '2',
          '-subj',
          '/CN=api',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      server = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_q, r) => r.writeHead(404).end('{}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('for Slack too (a TLS-inspecting proxy): SLACK_TLS, with NODE_EXTRA_CA_CERTS as the fix', async () => {
      const emu = await emulator();
      const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { SLACK_API_URL: `${address}/api/` })));
      expect(stderr).toContain("slack-token: Slack's certificate is not trusted by this machine (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate");
      expect(stderr).toContain('To fix, give Node that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
    });

    it('is a TLS failure named as such, not an outage', async () => {
      const emu = await emulator();
      const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: address, token: 't' }));
      const stderr = expectRefusal(await runBot(await envFor(emu, 'socket', { KUBECONFIG: kubeconfig })));
      expect(stderr).toContain(
        "kubernetes-identity: The API server's certificate is not trusted by the CA in KUBECONFIG (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate).",
      );
      expect(stderr).toContain("To fix, put the CA that signed the API server's certificate in the kubeconfig's certificate-authority-data");
      expect(stderr).not.toContain('n/a');
    });
  });

  it('lists every problem at once', async () => {
    const emu = await emulator();
    const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: 'https://127.0.0.1:9', token: 't', currentContext: null }));
    const stderr = expectRefusal(await runBot(await envFor(emu, 'http', { SLACK_ADMIN_GROUP: 'S0NOPE', KUBECONFIG: kubeconfig })));
    expect(stderr.match(/^ {2}- /gm)).toHaveLength(2);
    expect(stderr).toMatch(/- slack-admin-group: SLACK_ADMIN_GROUP S0NOPE/);
    expect(stderr).toMatch(/- kubeconfig: KUBECONFIG \(/);
  });
});

describe('a start-up blocked on Slack', () => {
  async function readyz(
    opsPort: string,
  ): Promise<{ status: number; body: { ok: boolean; phase?: string; checks: Array<{ name: string; ok: boolean; error?: string }> } }> {
    const r = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    return { status: r.status, body: (await r.json()) as never };
  }

  it('Socket Mode connected but no hello: alive, not ready, and SIGTERM exits 0 at once without "csrbot started"', async () => {
    const emu = await emulator();
    emu.faults.next('hello', { drop: true });
    const env = await envFor(emu, 'socket');
    const bot = startBot(env);
    bots.push(bot);
    await emu.waitFor(() => emu.socketMode.connections.length > 0, 'a Socket Mode connection', { timeoutMs: 60_000 });
    const health = await fetch(`http://127.0.0.1:${env.OPS_PORT}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, phase: 'starting' });
    const ready = await readyz(env.OPS_PORT!);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.find((c) => c.name === 'slack')).toEqual({ name: 'slack', ok: false, error: 'Socket Mode connection not open (connecting)' });
    const signalled = Date.now();
    bot.kill('SIGTERM');
    const exit = await bot.exited;
    expect(exit.code).toBe(0);
    expect(exit.signal).toBeNull();
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(exit.stdout).toContain('"msg":"shutting down"');
    expect(exit.stdout).not.toContain('csrbot started');
    expect(exit.stderr).toBe('');
    // It let go of the socket and the ops port.
    await emu.waitFor(() => emu.socketMode.open().length === 0, 'the connection closed');
    expect(
      await fetch(`http://127.0.0.1:${env.OPS_PORT}/healthz`).then(
        () => 'up',
        () => 'down',
      ),
    ).toBe('down');
  });

  it('Slack unreachable: start-up waits (not ready, saying why), and SIGTERM exits 0', async () => {
    const emu = await emulator();
    const env = await envFor(emu, 'socket', { SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/` });
    const bot = startBot(env);
    bots.push(bot);
    await bot.waitForOutput(/start-up waits for Slack/);
    expect(bot.stdout()).toContain("Slack's Web API (SLACK_API_URL http://127.0.0.1:");
    expect(bot.stdout()).toContain('could not be reached (ECONNREFUSED)');
    const ready = await readyz(env.OPS_PORT!);
    expect(ready.status).toBe(503);
    expect(ready.body.phase).toBe('starting');
    // Readiness details name no address.
    expect(JSON.stringify(ready.body)).not.toContain('127.0.0.1');
    bot.kill('SIGTERM');
    const exit = await bot.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).not.toContain('csrbot started');
  });

  it('once Slack answers and says hello, it starts and is ready', async () => {
    const emu = await emulator();
    emu.faults.next('auth.test', { status: 503 });
    emu.faults.next('hello', { delayMs: 1_500 });
    const env = await envFor(emu, 'socket', { PORT: String(await freePort()) });
    const bot = startBot(env);
    bots.push(bot);
    await bot.waitForOutput(/csrbot started/);
    expect(bot.stdout()).toContain('start-up waits for Slack: Slack answered auth.test with an error (HTTP 503)');
    const ready = await readyz(env.OPS_PORT!);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ok: true, phase: 'running' });
    expect(ready.body.checks).toEqual(
      expect.arrayContaining([
        { name: 'slack', ok: true },
        { name: 'redis', ok: true },
        expect.objectContaining({ name: 'kubernetes', ok: false, required: false }),
      ]),
    );
    // Socket Mode listens on nothing but the ops port.
    expect(
      await fetch(`http://127.0.0.1:${env.PORT}/slack/events`, { method: 'POST' }).then(
        () => 'listening',
        () => 'refused',
      ),
    ).toBe('refused');
    const metrics = await (await fetch(`http://127.0.0.1:${env.OPS_PORT}/metrics`)).text();
    expect(metrics).toContain('csrbot_slack_auth_ok 1');
    expect(metrics).toContain('csrbot_slack_socket_connected 1');
    expect(metrics).toContain('csrbot_readiness_check{check="kubernetes"} 0');
    expect(metrics).toContain('csrbot_readiness_check{check="slack"} 1');
    // The warnings were logged, structured, before "csrbot started".
    const lines = bot.stdout().split('\n').filter(Boolean);
    const started = lines.findIndex((l) => l.includes('csrbot started'));
    expect(lines.slice(0, started).some((l) => l.includes('"level":"warn"') && l.includes('"check":"kubernetes-identity"'))).toBe(true);
    expect(lines.every((l) => l.startsWith('{'))).toBe(true);
  });
});

describe('csrbot doctor', () => {
  async function doctor(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await cli(['doctor', '--env-file', '/nonexistent/.env', '--timeout', '5', ...args], {
      readFile: () => new Uint8Array(),
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (out += `${t}\n`),
      env,
    });
    return { code, out };
  }

  it('prints a table of every check, and exits 2 when the cluster did not answer', async () => {
    const emu = await emulator();
    emu.addUsergroup({ handle: 'approvers', users: [] });
    const { code, out } = await doctor(await envFor(emu, 'socket'));
    expect(code).toBe(2);
    expect(out.split('\n')[0]).toMatch(/^CHECK\s+STATUS\s+DETAIL$/);
    for (const [check, status] of [
      ['config', 'ok'],
      ['slack-token', 'ok'],
      ['slack-scopes', 'ok'],
      ['slack-app-token', 'ok'],
      ['slack-admin-channel', 'ok'],
      ['kubeconfig', 'ok'],
      ['kubernetes-identity', 'WARN'],
      ['kubernetes-permissions', 'skip'],
      ['redis', 'ok'],
    ])
      expect(out).toMatch(new RegExp(`^${check}\\s+${status}\\s`, 'm'));
    expect(out).toContain('could not be reached (ECONNREFUSED)');
  });

  it('shows a failure with its fix, and the same result as JSON', async () => {
    const emu = await emulator();
    const env = await envFor(emu, 'http', { SLACK_ADMIN_GROUP: 'S0NOPE' });
    const table = await doctor(env);
    expect(table.code).toBe(2);
    expect(table.out).toMatch(/^slack-admin-group\s+FAIL\s+SLACK_ADMIN_GROUP S0NOPE is not a user group/m);
    const json = await doctor(env, '--json');
    const parsed = JSON.parse(json.out) as { ok: boolean; checks: Array<{ name: string; status: string; code?: string }> };
    expect(parsed.ok).toBe(false);
    expect(parsed.checks.find((c) => c.name === 'slack-admin-group')).toMatchObject({ status: 'fail', code: 'SLACK_ADMIN_GROUP_NOT_FOUND' });
  });

  it('reports settings it cannot parse as the config check', async () => {
    const { code, out } = await doctor({});
    expect(code).toBe(2);
    expect(out).toMatch(/^config\s+FAIL\s+csrbot cannot start; fix these settings:/m);
    expect(out).toContain('SLACK_BOT_TOKEN is missing');
  });
});
