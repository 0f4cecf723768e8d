import { describe, expect, it } from '@jest/globals';
import { failureList, formatTable } from '../../../src/preflight/format-report.js';
import { bindCommand } from '../../../src/preflight/kubernetes-checks.js';

describe('the doctor table', () => {
  it('has one row per check and wraps long details under their column', () => {
    const text = formatTable(
      [
        { name: 'slack-token', status: 'pass', detail: 'bot @csrbot (U1) in workspace Acme (T1)' },
        { name: 'kubernetes-permissions', status: 'fail', detail: 'word '.repeat(40).trim() },
        { name: 'redis', status: 'warn', detail: 'Redis could not be reached (ECONNREFUSED).' },
        { name: 'slack-admin-group', status: 'skip', detail: 'not set' },
      ],
      80,
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+STATUS\s+DETAIL$/);
    expect(lines[1]).toMatch(/^slack-token\s+ok\s+bot @csrbot/);
    expect(lines[2]).toMatch(/^kubernetes-permissions\s+FAIL\s+word/);
    // The continuation starts where the detail column starts.
    const column = lines[1]!.indexOf('bot @csrbot');
    expect(lines[3]!.slice(0, column).trim()).toBe('');
    expect(lines[3]!.slice(column)).toMatch(/^word/);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(text).toMatch(/redis\s+WARN/);
    expect(text).toMatch(/slack-admin-group\s+skip\s+not set/);
  });

  it('lists only the failures for start-up', () => {
    expect(
      failureList([
        { name: 'a', status: 'pass', detail: 'fine' },
        { name: 'b', status: 'fail', detail: 'line one\nline two' },
        { name: 'c', status: 'warn', detail: 'down' },
      ]),
    ).toBe('  - b: line one\n    line two');
  });
});

describe('the RBAC fix names the identity', () => {
  it.each([
    ['system:serviceaccount:csrbot:csrbot', 'kubectl create clusterrolebinding csrbot-csrbot --clusterrole=csrbot --serviceaccount=csrbot:csrbot'],
    ['jane@example.com', 'kubectl create clusterrolebinding csrbot-jane-example-com --clusterrole=csrbot --user=jane@example.com'],
    [undefined, 'add the identity csrbot runs as to the subjects of the ClusterRoleBinding csrbot'],
  ])('%s', (user, command) => expect(bindCommand(user)).toBe(command));
});
