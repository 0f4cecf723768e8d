import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCommandsFor } from '../../../src/domain/csr/openssl-commands.js';
import { WAIT, isCertificateDm, requestViaDm, startWorld, type World } from './world.js';
import type { Message } from '@csrbot/slack-emulator';

/**
 * Issue 8: with the default settings, jane follows the DM to the letter, in a
 * shell with her own HOME, and real kubectl reads the delivered kubeconfig
 * untouched. Nothing here knows where csrbot "meant" the key to be.
 */

function requireTool(tool: string, how: string): void {
  try {
    execFileSync(tool, ['version', '--client'], { stdio: 'pipe' });
  } catch {
    throw new Error(`${tool} is needed for this test: ${how}`);
  }
}

/** The fenced ``` blocks of a Slack message, in order. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```\n?([\s\S]*?)\n?```/g)].map((m) => m[1]!);
}

/** The inline `command` after a label, e.g. "Try it: `kubectl ...`". */
function inlineAfter(text: string, label: string): string {
  const m = new RegExp(`${label}\\s*\`([^\`]+)\``).exec(text);
  if (!m) throw new Error(`the DM has no "${label}" command:\n${text}`);
  return m[1]!;
}

/** `kubectl auth whoami` output as the cluster sees the caller. */
function whoami(out: string): { username?: string; groups: string[] } {
  const username = /^Username\s+(\S+)/m.exec(out)?.[1];
  const groups = /^Groups\s+\[([^\]]*)\]/m.exec(out)?.[1]?.split(/\s+/) ?? [];
  return { username, groups };
}

describe('the kubeconfig csrbot delivers works as delivered (default KEY_PATH_TEMPLATE)', () => {
  let w: World;
  let home: string;
  let workdir: string;
  let dm: Message;
  let kubeconfigName: string;
  let delivered: string;
  const bash = (script: string, env: Record<string, string> = {}) =>
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(async () => {
    requireTool('kubectl', 'install kubectl >= 1.28 (apt-get install kubectl, or the release binary on PATH)');
    w = await startWorld({ unset: ['KEY_PATH_TEMPLATE'] });
    home = mkdtempSync(join(tmpdir(), 'csrbot-home-'));
    workdir = mkdtempSync(join(tmpdir(), 'csrbot-jane-'));
    // jane already uses another cluster: her existing ~/.kube/config must survive.
    mkdirSync(join(home, '.kube'));
    writeFileSync(
      join(home, '.kube', 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: other',
        '  cluster: {server: "https://127.0.0.1:9"}',
        'users:',
        '- name: me',
        '  user: {token: abc}',
        'contexts:',
        '- name: me@other',
        '  context: {cluster: other, user: me}',
        'current-context: me@other',
        '',
      ].join('\n'),
    );
    // She makes her key and CSR with the commands csrbot shows new users.
    bash(opensslCommandsFor('jane', ['dev-team']).text);
    await requestViaDm(w, w.jane, readFileSync(join(workdir, 'jane.csr'), 'utf8')).then((card) => w.alice.click(card, 'csrbot_approve'));
    dm = await w.jane.waitForDm(isCertificateDm, WAIT);
    const file = (dm.files ?? []).find((f) => String(f.name).endsWith('.kubeconfig'))!;
    kubeconfigName = String(file.name);
    delivered = w.emu.file(String(file.id))!.content!.toString('utf8');
    // Slack saves downloads to ~/Downloads.
    mkdirSync(join(home, 'Downloads'));
    writeFileSync(join(home, 'Downloads', kubeconfigName), delivered);
  });
  afterAll(async () => {
    await w?.stop();
    for (const d of [home, workdir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('points at the key by a path client-go resolves next to the kubeconfig, on any OS', () => {
    expect(delivered).toContain('client-key: "jane.key"');
    expect(delivered).not.toContain('~');
    expect(delivered).not.toContain('PRIVATE KEY');
  });

  it('the steps in the DM, run as written, give a kubeconfig that kubectl accepts untouched', () => {
    const [setup] = codeBlocks(dm.text);
    expect(setup).toContain(`mv ~/Downloads/${kubeconfigName} $HOME/.kube/csrbot/`);
    bash(setup!);
    const saved = join(home, '.kube', 'csrbot', kubeconfigName);
    expect(readFileSync(saved, 'utf8')).toBe(delivered);

    const tryIt = inlineAfter(dm.text, 'Try it:');
    expect(tryIt).toBe(`kubectl --kubeconfig $HOME/.kube/csrbot/${kubeconfigName} auth whoami`);
    const me = whoami(bash(tryIt));
    expect(me.username).toBe('jane');
    expect(me.groups).toEqual(expect.arrayContaining(['dev-team', 'system:authenticated']));
    expect(readFileSync(saved, 'utf8')).toBe(delivered);
  });

  it('with KUBECONFIG listing her config and the delivered one, as the DM says', () => {
    const exportLine = codeBlocks(dm.text)[1]!;
    expect(exportLine).toMatch(/^export KUBECONFIG=/);
    const context = /--context (\S+?)`/.exec(dm.text)![1]!;
    const out = bash(`${exportLine}\nkubectl config current-context\nkubectl --context ${context} auth whoami`);
    // Her current context is unchanged; the new one is there to pick.
    expect(out.split('\n')[0]).toBe('me@other');
    const me = whoami(out);
    expect(me.username).toBe('jane');
    expect(me.groups).toEqual(expect.arrayContaining(['dev-team', 'system:authenticated']));
  });

  it('merged into ~/.kube/config with the DM command: works on its own, other clusters kept', () => {
    const merge = codeBlocks(dm.text)[2]!;
    expect(merge).toContain('kubectl config view --flatten');
    bash(merge);
    // The merged file stands alone: the folder can go.
    rmSync(join(home, '.kube', 'csrbot'), { recursive: true });
    const me = whoami(bash('kubectl auth whoami'));
    expect(me.username).toBe('jane');
    expect(me.groups).toEqual(expect.arrayContaining(['dev-team', 'system:authenticated']));
    expect(bash('kubectl config get-contexts -o name').split('\n')).toEqual(expect.arrayContaining(['me@other', 'jane@kubernetes']));
  });
});
