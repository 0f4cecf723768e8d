import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_') && !k.startsWith('npm_') && k !== 'KUBECONFIG' && k !== 'PORT'));

describe('start-up refuses settings that would hand users something broken', () => {
  it('a ~-prefixed KEY_PATH_TEMPLATE: exit 2, the setting, why and the fix, no stack trace', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...cleanEnv(),
        SLACK_BOT_TOKEN: 'xoxb-1-abc',
        SLACK_SIGNING_SECRET: 'shhh',
        SLACK_ADMIN_CHANNEL: 'C0ADMIN',
        SLACK_ADMIN_USERS: 'U0ADMIN',
        KEY_PATH_TEMPLATE: '~/.kube/{user}.key',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('KEY_PATH_TEMPLATE: "~/.kube/{user}.key" starts with ~, which kubectl and client-go do not expand');
    expect(res.stderr).toContain('the default, {user}.key');
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(res.stdout).not.toContain('csrbot started');
  });
});
