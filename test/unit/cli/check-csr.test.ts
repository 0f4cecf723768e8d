import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/io.js';

const FIX = 'test/fixtures/csr';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const files: Record<string, string> = {
    'policy.json': JSON.stringify({
      allowedGroups: ['developers'],
      usergroupGroups: { S0ONCALL: ['oncall'] },
      sans: 'refuse',
      lifetime: { defaultSeconds: 3600, maxSeconds: 7200 },
    }),
    'bad-policy.json': '{"sans": "sometimes"}',
    'warn-sans.json': '{"allowedGroups": "any", "sans": "warn"}',
  };
  const io: CliIo = {
    readFile: (p) => (p in files ? new TextEncoder().encode(files[p]) : new Uint8Array(readFileSync(resolve(p)))),
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('csrbot check-csr', () => {
  it('prints the parsed CSR, the identity and the verdict; exit 0', async () => {
    const r = await run('check-csr', `${FIX}/korean-utf8.csr`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('/CN=김민준/O=개발팀/OU=플랫폼');
    expect(r.out).toMatch(/Username:\s+김민준/);
    expect(r.out).toMatch(/Groups:\s+개발팀, system:authenticated/);
    expect(r.out).toMatch(/Public key:\s+EC P-256/);
    expect(r.out).toMatch(/Verdict:\s+ACCEPT/);
    expect(r.out).toContain('identity not pinned');
  });

  it('applies only built-in rules without --groups or --policy', async () => {
    expect((await run('check-csr', `${FIX}/multi-o.csr`)).code).toBe(0);
    const masters = await run('check-csr', `${FIX}/system-masters.csr`);
    expect(masters.code).toBe(1);
    expect(masters.out).toContain('ERROR CSR_SYSTEM_MASTERS');
    expect((await run('check-csr', `${FIX}/system-cn.csr`)).out).toContain('CSR_SYSTEM_CN');
    expect((await run('check-csr', `${FIX}/no-cn.csr`)).out).toContain('CSR_NO_CN');
  });

  it('pins the CN with --user and prints the fix', async () => {
    const r = await run('check-csr', `${FIX}/p256.csr`, '--user', 'bob');
    expect(r.code).toBe(1);
    expect(r.out).toContain('ERROR CSR_CN_MISMATCH');
    expect(r.out).toContain('openssl req -new -key bob.key -subj "/CN=bob/O=developers" -out bob.csr');
    expect((await run('check-csr', `${FIX}/p256.csr`, '--user', 'jane')).code).toBe(0);
  });

  it('checks groups against --groups', async () => {
    expect((await run('check-csr', `${FIX}/multi-o.csr`, '--groups', 'developers,oncall,viewers')).code).toBe(0);
    const r = await run('check-csr', `${FIX}/multi-o.csr`, '--user', 'jane', '--groups', 'developers');
    expect(r.code).toBe(1);
    expect(r.out).toContain('CSR_GROUP_NOT_ALLOWED');
    expect(r.out).toContain('oncall, viewers');
  });

  it('reads a policy file, with usergroup mappings', async () => {
    const sans = await run('check-csr', `${FIX}/sans.csr`, '--policy', 'policy.json');
    expect(sans.code).toBe(1);
    expect(sans.out).toContain('ERROR CSR_SANS_PRESENT');
    expect(sans.out).toMatch(/Lifetime:\s+3600 s/);
    expect((await run('check-csr', `${FIX}/multi-o.csr`, '--policy', 'policy.json', '--groups', 'viewers', '--slack-usergroups', 'S0ONCALL')).code).toBe(0);
    expect((await run('check-csr', `${FIX}/p256.csr`, '--policy', 'policy.json', '--lifetime', '9000')).out).toContain('CSR_LIFETIME_TOO_LONG');
  });

  it('prints warnings but exits 0 (SANs under a policy that only warns)', async () => {
    const r = await run('check-csr', `${FIX}/sans.csr`, '--policy', 'warn-sans.json');
    expect(r.code).toBe(0);
    expect(r.out).toContain('WARNING CSR_SANS_PRESENT');
  });

  it('refuses SANs by default', async () => {
    const r = await run('check-csr', `${FIX}/sans.csr`);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('CSR_SANS_PRESENT');
    expect(r.out).toContain('this policy refuses SANs');
  });

  it.each([
    ['private-key-pkcs8.pem', 'CSR_PRIVATE_KEY', /PRIVATE KEY/],
    ['private-key-sec1.der', 'CSR_PRIVATE_KEY', /SEC1 EC private key/],
    ['certificate.pem', 'CSR_IS_CERTIFICATE', /certificate/],
    ['garbage.bin', 'CSR_GARBAGE', /binary data/],
    ['garbage.txt', 'CSR_NOT_PEM', /text/],
    ['empty.csr', 'CSR_EMPTY', /empty/],
    ['two-csrs.pem', 'CSR_MULTIPLE', /2 certificate requests/],
    ['truncated.csr', 'CSR_TRUNCATED', /cut off/],
  ])('%s is not a CSR: exit 2, %s, naming what it found', async (file, code, found) => {
    const r = await run('check-csr', `${FIX}/${file}`);
    expect(r.code).toBe(2);
    expect(r.out).toContain('NOT A CERTIFICATE REQUEST');
    expect(r.out).toContain(code);
    expect(r.out).toMatch(found);
  });

  it.each([
    ['bad-signature-rsa2048.csr', 'CSR_BAD_SIGNATURE'],
    ['rsa1024.csr', 'CSR_WEAK_KEY'],
    ['dsa.csr', 'CSR_UNSUPPORTED_KEY'],
    ['secp256k1.csr', 'CSR_UNSUPPORTED_KEY'],
  ])('%s is a readable CSR that is refused: exit 1 (%s)', async (file, code) => {
    const r = await run('check-csr', `${FIX}/${file}`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('REFUSED');
    expect(r.out).toContain(code);
    expect(r.out).toContain('Subject: /CN=jane');
  });

  it('uses --user in the fix-it commands of intake errors', async () => {
    const r = await run('check-csr', `${FIX}/private-key-pkcs1.pem`, '--user', 'jane', '--groups', 'developers');
    expect(r.out).toContain('openssl req -new -key jane.key -subj "/CN=jane/O=developers" -out jane.csr');
  });

  it('prints JSON with --json', async () => {
    const ok = JSON.parse((await run('check-csr', `${FIX}/p256.csr`, '--json')).out);
    expect(ok).toMatchObject({
      verdict: 'accept',
      identity: { username: 'jane', groups: ['developers', 'system:authenticated'] },
      csr: { publicKey: { curve: 'P-256' } },
    });
    const bad = JSON.parse((await run('check-csr', `${FIX}/certificate.der`, '--json')).out);
    expect(bad).toMatchObject({ verdict: 'not-a-csr', error: { code: 'CSR_IS_CERTIFICATE' } });
  });

  it('reports usage, policy and file errors with their own exit codes', async () => {
    expect((await run()).code).toBe(64);
    expect((await run('nope')).code).toBe(64);
    expect((await run('check-csr')).code).toBe(64);
    expect((await run('check-csr', 'x', '--bogus')).code).toBe(64);
    expect((await run('check-csr', `${FIX}/p256.csr`, '--lifetime', 'soon')).code).toBe(64);
    const bad = await run('check-csr', `${FIX}/p256.csr`, '--policy', 'bad-policy.json');
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('sans');
    expect((await run('check-csr', `${FIX}/does-not-exist.csr`)).code).toBe(66);
    const help = await run('check-csr', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Exit codes');
  });

  it('runs through bin/csrbot.js', () => {
    const out = execFileSync(process.execPath, ['bin/csrbot.js', 'check-csr', `${FIX}/ed25519.csr`, '--user', 'jane'], { encoding: 'utf8' });
    expect(out).toMatch(/Public key:\s+Ed25519/);
    let code = 0;
    try {
      execFileSync(process.execPath, ['bin/csrbot.js', 'check-csr', `${FIX}/private-key-pkcs8.der`], { stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(2);
  });
});
