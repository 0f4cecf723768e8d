import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { opensslCommandsFor, opensslReqCommand } from '../../../../src/domain/policy/index.js';

describe('opensslCommandsFor', () => {
  it('gives a key command and the exact req command', () => {
    const c = opensslCommandsFor('jane', ['developers', 'oncall']);
    expect(c.generateKey).toBe('openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out jane.key');
    expect(c.createRequest).toBe('openssl req -new -key jane.key -subj "/CN=jane/O=developers/O=oncall" -out jane.csr');
    expect(c.text).toBe(`${c.generateKey}\n${c.createRequest}`);
    expect(opensslCommandsFor('jane', [], { key: 'rsa' }).generateKey).toContain('rsa_keygen_bits:3072');
  });

  it('escapes openssl separators and shell metacharacters', () => {
    expect(opensslReqCommand('a/b', ['x+y'])).toBe(`openssl req -new -key a_b.key -subj '/CN=a\\/b/O=x\\+y' -out a_b.csr`);
    expect(opensslReqCommand('$(rm -rf ~)')).toContain(`-subj '/CN=$(rm -rf ~)'`);
  });

  // The commands we print must really produce the CSR we then accept.
  it.each([
    ['jane', ['developers']],
    ['김민준', ['개발팀', 'oncall']],
    ['jane.doe@example.com', []],
    ["o'brien/x", ['a+b']],
  ])('running them for %s yields exactly that subject', (user, groups) => {
    const dir = mkdtempSync(join(tmpdir(), 'csrbot-cmd-'));
    try {
      const c = opensslCommandsFor(user, groups);
      const env = { ...process.env, OPENSSL_CONF: '/dev/null' };
      execFileSync('sh', ['-c', c.text], { cwd: dir, env, stdio: 'pipe' });
      const parsed = parseCsr(readFileSync(join(dir, c.csrFile), 'utf8'));
      expect(parsed.subject.commonName).toBe(user);
      expect(parsed.subject.organizations).toEqual(groups);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
