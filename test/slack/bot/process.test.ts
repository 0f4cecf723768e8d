import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { SlackEmulator } from '../../support/slack-emulator/index.js';
import { postSigned } from '../../support/slack-emulator/signing.js';

/** A kubeconfig whose API server nobody answers: the bot must still serve Slack. */
function unreachableKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'csrbot-kc-'));
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: gone',
      '  cluster:',
      // Not 9: fetch refuses it without connecting (a "bad port"); nothing listens on 2.
      '    server: https://127.0.0.1:2',
      'users:',
      '- name: u',
      '  user:',
      '    token: abc',
      'contexts:',
      '- name: c',
      '  context:',
      '    cluster: gone',
      '    user: u',
      'current-context: c',
      '',
    ].join('\n'),
  );
  return file;
}

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_') && !k.startsWith('npm_') && k !== 'KUBECONFIG' && k !== 'PORT'));

describe('npm start', () => {
  it('lists every missing setting with how to fix it and exits non-zero', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...cleanEnv(), PORT: 'x' }, encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(2);
    for (const s of ['SLACK_BOT_TOKEN', 'SLACK_ADMIN_CHANNEL', 'SLACK_SIGNING_SECRET', 'SLACK_ADMIN_GROUP', 'PORT']) expect(res.stderr).toContain(s);
    expect(res.stderr).toContain('OAuth & Permissions');
  });

  describe.each([
    ['the cluster unreachable', undefined],
    ['the cluster and Redis unreachable', 'redis://127.0.0.1:9'],
  ])('in HTTP mode with %s', (_label, redisUrl) => {
    let emu: SlackEmulator;
    let bot: ChildProcess;
    let port: number;
    let output = '';

    beforeAll(async () => {
      emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
      port = await freePort();
      bot = spawn('npm', ['start', '--silent'], {
        env: {
          ...cleanEnv(),
          SLACK_BOT_TOKEN: emu.botToken,
          SLACK_SIGNING_SECRET: emu.signingSecret,
          SLACK_API_URL: emu.apiUrl,
          SLACK_ADMIN_CHANNEL: emu.adminChannelId,
          SLACK_ADMIN_USERS: 'U0ADMIN',
          PORT: String(port),
          KUBECONFIG: unreachableKubeconfig(),
          REDIS_PREFIX: `test-process-${process.pid}`,
          ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      bot.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      bot.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      // npm start builds first; wait for the health endpoint.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline || bot.exitCode !== null) throw new Error(`the bot did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      emu.deliverTo(`http://127.0.0.1:${port}/slack/events`);
    }, 150_000);

    afterAll(async () => {
      if (bot.pid && bot.exitCode === null && bot.signalCode === null) {
        const exited = new Promise((r) => bot.once('exit', r));
        process.kill(-bot.pid, 'SIGTERM');
        await exited;
      }
      await emu.stop();
    });

    it('serves a signed /cert help POST at /slack/events with 200 within 3 s', async () => {
      const body = new URLSearchParams({
        token: emu.verificationToken,
        team_id: emu.teamId,
        channel_id: emu.adminChannelId,
        user_id: 'U0JANE',
        user_name: 'jane',
        command: '/cert',
        text: 'help',
        api_app_id: emu.appId,
        response_url: `${emu.apiUrl}../response/none`,
        trigger_id: 'x',
      }).toString();
      const res = await postSigned(`http://127.0.0.1:${port}/slack/events`, {
        body,
        contentType: 'application/x-www-form-urlencoded',
        signingSecret: emu.signingSecret,
        timeoutMs: 3000,
      });
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      const ack = JSON.parse(res.body) as { response_type: string; text: string };
      expect(ack.response_type).toBe('ephemeral');
      expect(ack.text).toContain('Kubernetes client certificates');
    });

    it('also answers through the emulator, and reports itself not ready', async () => {
      const res = await emu.user('jane').slash('/cert', 'help');
      expect(res.ephemeral?.text).toContain('Kubernetes client certificates');
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      const checks = ((await ready.json()) as { checks: Array<{ name: string; ok: boolean }> }).checks;
      expect(checks.find((c) => c.name === 'kubernetes')?.ok).toBe(false);
      expect(checks.find((c) => c.name === 'redis')?.ok).toBe(redisUrl === undefined);
    });

    it('never logs the token or the signing secret', () => {
      expect(output.length).toBeGreaterThan(0);
      expect(output).not.toContain(emu.botToken);
      expect(output).not.toContain(emu.signingSecret);
      // Every line is structured: nothing printed raw behind the logger's back.
      const raw = output.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
      expect(raw).toEqual([]);
    });

    it('stops cleanly on SIGTERM', async () => {
      // The signal goes to the whole process group (npm and node), as a container runtime does.
      const exited = new Promise<void>((r) => bot.once('exit', () => r()));
      const started = Date.now();
      process.kill(-bot.pid!, 'SIGTERM');
      await exited;
      await new Promise((r) => setTimeout(r, 500));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(output).toContain('"msg":"shutting down"');
      expect(output).not.toContain('error while shutting down');
      // Nothing of the bot is left listening.
      expect(
        await fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => 'up',
          () => 'down',
        ),
      ).toBe('down');
    });
  });
});
