/**
 * The local sandbox as `npm start` opens it with nothing configured: the
 * whole flow clicked through in Debian's Chromium, and its guards checked
 * from outside (what listens where, what it ignores, who may use the page,
 * what is left after Ctrl-C).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isAlive } from '@csrbot/control-plane';
import { cleanEnv, unreachableKubeconfig } from '../support/bot-process.js';
import { chromiumPath, descendants, isLoopbackAddress, listeningAddresses, startSandboxProcess, type StartedSandbox } from './support.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'sandbox');
const SCREENSHOT_FOR_README = join(process.cwd(), 'docs', 'sandbox.png');

describe('npm start with Slack or production settings', () => {
  const run = (env: Record<string, string>) =>
    // start.ts builds and runs dist/main.js then, as `npm start` always did.
    spawnSync(process.execPath, ['--import', 'tsx', 'packages/sandbox/src/start.ts'], { env: { ...cleanEnv(), ...env }, encoding: 'utf8', timeout: 120_000 });

  it.each([
    ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: 'xoxb-1-2-3' }, 'SLACK_ADMIN_CHANNEL'],
    ['SLACK_APP_TOKEN alone', { SLACK_APP_TOKEN: 'xapp-1-2' }, 'SLACK_BOT_TOKEN'],
    ['NODE_ENV=production', { NODE_ENV: 'production' }, 'SLACK_BOT_TOKEN'],
  ])(
    'with %s it runs the bot, which lists what is missing, and no sandbox',
    (_label, env, missing) => {
      const r = run(env);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(missing);
      expect(r.stdout + r.stderr).not.toMatch(/sandbox/i);
    },
    130_000,
  );
});

describe('the sandbox', () => {
  let sandbox: StartedSandbox;
  let base: string;
  let browser: Browser | undefined;
  let pids: Array<{ pid: number; comm: string }> = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sandbox = await startSandboxProcess({
      ...cleanEnv(),
      // Real infrastructure it must ignore: if it used either, the bot could not start or no certificate would come.
      KUBECONFIG: await unreachableKubeconfig(),
      REDIS_URL: 'redis://192.0.2.1:6379',
      SANDBOX_PORT: '0',
    });
    base = new URL(sandbox.url).origin;
    pids = descendants(sandbox.child.pid!);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (sandbox?.child.exitCode === null && sandbox.child.signalCode === null) {
      process.kill(-sandbox.child.pid!, 'SIGKILL');
      for (const p of pids) if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
    }
  });

  it('prints one start line with the URL, the token and how to use real Slack instead', () => {
    const lines = sandbox
      .output()
      .split('\n')
      .filter((l) => l.includes('http://'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^csrbot sandbox: open http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,} .*real Slack.*SLACK_BOT_TOKEN/);
  });

  it('ignores KUBECONFIG and REDIS_URL: the bot gets its own control plane and redis-server', () => {
    expect(sandbox.output()).toContain('ignoring KUBECONFIG and REDIS_URL');
    const bot = pids.find((p) => readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').includes('src/main.ts'));
    expect(bot).toBeDefined();
    const env = Object.fromEntries(
      readFileSync(`/proc/${bot!.pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(env.KUBECONFIG).toMatch(/csrbot-sandbox-[^/]+\/cluster\/csrbot\.kubeconfig$/);
    expect(env.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(env.REDIS_PREFIX).toMatch(/^sandbox-[0-9a-f]{12}$/);
  });

  it('listens on loopback only, and so does every process it started (redis, etcd, apiserver, controller manager, bot)', () => {
    const all = [{ pid: sandbox.child.pid!, comm: 'sandbox' }, ...descendants(sandbox.child.pid!)];
    const sockets = listeningAddresses(all.map((p) => p.pid));
    const comm = (pid: number) => all.find((p) => p.pid === pid)?.comm ?? '?';
    const listeners = sockets.map((s) => `${comm(s.pid)} ${s.address}`);
    for (const name of ['sandbox', 'redis-server', 'etcd', 'kube-apiserver', 'kube-controller']) expect(listeners.some((l) => l.startsWith(name))).toBe(true);
    expect(listeners.filter((l) => !isLoopbackAddress(l.split(' ')[1]!))).toEqual([]);
  });

  it('refuses the page and its API without the session token, and answers only to its own Host', async () => {
    for (const path of ['/', '/api/state?as=jane', '/api/events', '/app.js']) expect((await fetch(`${base}${path}`)).status).toBe(403);
    const post = await fetch(`${base}/api/demo-csr`, { method: 'POST', body: '{"user":"jane"}' });
    expect(post.status).toBe(403);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    // A page elsewhere that rebinds its name to 127.0.0.1 sends its own Host.
    const rebound = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: evil.example:80', sandbox.url], { encoding: 'utf8' });
    expect(rebound.stdout).toBe('421');
    expect((await fetch(sandbox.url)).status).toBe(200);
  });

  it('in a browser: jane makes a demo CSR and submits it, the non-admin is refused, an admin approves, jane gets a working kubeconfig', async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    const as = async (p: Page, persona: string, tab: string) => {
      await p.click(`[data-persona=${persona}]`);
      await p.click(`.tab[data-tab=${tab}]`);
      await p.waitForSelector(`[data-persona=${persona}].current`);
    };

    // On failure, what the page showed is in the artifacts too.
    const failed = (e: unknown) => shot('failure').then(() => Promise.reject(e as Error));

    try {
      await page.goto(sandbox.url);
      await as(page, 'jane', 'dm');
      await page.click('text=Make me a demo key and CSR');
      await page.locator('#demo-commands', { hasText: 'openssl req -new -key' }).waitFor();
      expect(await page.locator('#csr-text').inputValue()).toContain('BEGIN CERTIFICATE REQUEST');
      await shot('1-demo-csr');
      await page.click('#send-csr');
      await page.locator('[data-action=csrbot_submit_request]').click();
      await page.locator('#view').getByText('was sent to the admins').waitFor();
      await shot('2-submitted');

      await as(page, 'mallory', 'admin');
      await page.locator('[data-action=csrbot_approve]').click();
      await page.locator('#confirm').getByRole('button', { name: 'Approve' }).click();
      await page.locator('.msg.ephemeral').getByText('Only csrbot admins can decide').waitFor();
      await shot('3-non-admin-refused');

      await as(page, 'alice', 'admin');
      // Mallory's refusal was for her eyes only.
      await page.locator('[data-action=csrbot_approve]').waitFor();
      expect(await page.locator('.msg.ephemeral').count()).toBe(0);
      await page.locator('[data-action=csrbot_approve]').click();
      await page.locator('#confirm').getByRole('button', { name: 'Approve' }).click();
      await page.locator('#view').getByText('Approved and issued').waitFor({ timeout: 60_000 });
      await shot('4-approved');

      await as(page, 'jane', 'dm');
      const link = page.locator('a[download$="kubeconfig"]');
      await link.waitFor({ timeout: 60_000 });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const saved = join(ARTIFACTS, download.suggestedFilename());
      await download.saveAs(saved);
      expect(readFileSync(saved, 'utf8')).toContain('client-certificate-data');
      await page.locator('button.try-it').click();
      await page.locator('.whoami .username', { hasText: 'jane' }).waitFor();
      expect(await page.locator('.whoami .username').textContent()).toBe('jane');
      await page.locator('.whoami .groups', { hasText: 'dev-team' }).waitFor();
      await page.locator('.whoami .groups', { hasText: 'system:authenticated' }).waitFor();
      await shot('5-try-it');
      // The README's picture changes only on purpose: UPDATE_README_SCREENSHOT=1 npm test -- test/sandbox
      if (process.env.UPDATE_README_SCREENSHOT) copyFileSync(join(ARTIFACTS, '5-try-it.png'), SCREENSHOT_FOR_README);

      await page.click('.tab[data-tab=k8s]');
      await page.locator('#csr-yaml', { hasText: 'kind: CertificateSigningRequest' }).waitFor();
      await page.locator('#csr-yaml', { hasText: 'type: Approved' }).waitFor();
      await shot('6-kubectl-get-csr');
    } catch (e) {
      await failed(e);
    }
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('Ctrl-C stops every process it started and removes its temp dir', async () => {
    const before = descendants(sandbox.child.pid!);
    expect(before.map((p) => p.comm)).toEqual(expect.arrayContaining(['redis-server', 'etcd', 'kube-apiserver']));
    const dir = /csrbot log: (\S+)\/csrbot\.log/.exec(sandbox.output())?.[1];
    expect(dir).toBeDefined();
    // A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    process.kill(-sandbox.child.pid!, 'SIGINT');
    const exit = await sandbox.exited;
    expect(exit.code).toBe(0);
    const deadline = Date.now() + 10_000;
    while (before.some((p) => isAlive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(before.filter((p) => isAlive(p.pid))).toEqual([]);
    expect(existsSync(dir!)).toBe(false);
  }, 60_000);
});
