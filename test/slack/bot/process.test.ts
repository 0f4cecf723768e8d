import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cleanEnv, unreachableKubeconfig } from '../../support/bot-process.js';
import { freePort } from '@csrbot/control-plane';
import { SlackEmulator, postSigned } from '@csrbot/slack-emulator';

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
    let opsPort: number;
    let output = '';

    beforeAll(async () => {
      emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
      port = await freePort();
      opsPort = await freePort();
      bot = spawn('npm', ['start', '--silent'], {
        env: {
          ...cleanEnv(),
          SLACK_BOT_TOKEN: emu.botToken,
          SLACK_SIGNING_SECRET: emu.signingSecret,
          SLACK_API_URL: emu.apiUrl,
          SLACK_ADMIN_CHANNEL: emu.adminChannelId,
          SLACK_ADMIN_USERS: 'U0ADMIN',
          PORT: String(port),
          OPS_PORT: String(opsPort),
          KUBECONFIG: await unreachableKubeconfig(),
          REDIS_PREFIX: `test-process-${process.pid}`,
          ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      bot.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      bot.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      // npm start builds first; wait for the ops port to say start-up is done.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const running = await fetch(`http://127.0.0.1:${opsPort}/healthz`).then(
          async (r) => ((await r.json()) as { phase?: string }).phase === 'running',
          () => false,
        );
        if (running) break;
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

    it('also answers through the emulator; ready unless Redis is down, the cluster outage only in the details', async () => {
      const res = await emu.user('jane').slash('/cert', 'help');
      expect(res.ephemeral?.text).toContain('Kubernetes client certificates');
      const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      expect(ready.status).toBe(redisUrl === undefined ? 200 : 503);
      const checks = ((await ready.json()) as { checks: Array<{ name: string; ok: boolean; required?: boolean; error?: string }> }).checks;
      expect(checks.find((c) => c.name === 'slack')?.ok).toBe(true);
      expect(checks.find((c) => c.name === 'kubernetes')).toEqual({
        name: 'kubernetes',
        ok: false,
        required: false,
        error: 'CLUSTER_UNREACHABLE (ECONNREFUSED)',
      });
      expect(checks.find((c) => c.name === 'redis')?.ok).toBe(redisUrl === undefined);
    });

    it('serves only Slack on PORT, and health and metrics only on OPS_PORT', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(404);
        expect((await fetch(`http://127.0.0.1:${opsPort}${path}`)).status).not.toBe(404);
      }
      expect((await fetch(`http://127.0.0.1:${opsPort}/slack/events`, { method: 'POST' })).status).toBe(404);
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      expect(metrics).toContain('csrbot_slack_auth_ok 1');
      expect(metrics).toContain('csrbot_readiness_check{check="kubernetes"} 0');
      expect(metrics).not.toContain('csrbot_slack_socket_connected');
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
      // Nothing of the bot is left listening, soon (npm exits first; node finishes its shutdown).
      const listening = () =>
        Promise.all(
          [port, opsPort].map((p) =>
            fetch(`http://127.0.0.1:${p}/healthz`).then(
              () => true,
              () => false,
            ),
          ),
        );
      while ((await listening()).some(Boolean)) {
        expect(Date.now() - started).toBeLessThan(10_000);
        await new Promise((r) => setTimeout(r, 200));
      }
      // With Redis up every step finishes; with Redis down BullMQ's close() is cut short, and says so.
      if (redisUrl === undefined) expect(output).not.toContain('shutdown step did not finish');
    });
  });
});
