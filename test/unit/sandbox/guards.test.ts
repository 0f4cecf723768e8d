import { describe, expect, it } from '@jest/globals';
import { isLoopbackServer, sandboxEnvironment, sandboxRefusals } from '@csrbot/sandbox';

describe('when the local sandbox may start', () => {
  it('starts with nothing configured', () => {
    expect(sandboxRefusals({})).toEqual([]);
    expect(sandboxRefusals({ PATH: '/usr/bin', HOME: '/home/jane', NODE_ENV: 'development', SLACK_BOT_TOKEN: '' })).toEqual([]);
  });

  it.each(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_ADMIN_CHANNEL', 'SLACK_ADMIN_GROUP', 'SLACK_ADMIN_USERS', 'SLACK_API_URL'])(
    'never starts when %s is set, and names it',
    (name) => {
      const reasons = sandboxRefusals({ [name]: 'x' });
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toContain(name);
    },
  );

  it('counts any SLACK_ setting, including ones csrbot learns later', () => {
    expect(sandboxRefusals({ SLACK_SOMETHING_NEW: '1' })[0]).toContain('SLACK_SOMETHING_NEW');
  });

  it('never starts under NODE_ENV=production', () => {
    expect(sandboxRefusals({ NODE_ENV: 'production' })).toEqual(['NODE_ENV is production']);
  });

  it('never starts in a pod', () => {
    expect(sandboxRefusals({ KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toEqual(['running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is set)']);
  });

  it('lists every reason at once', () => {
    expect(sandboxRefusals({ SLACK_APP_TOKEN: 'xapp-1', NODE_ENV: 'production', KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toHaveLength(3);
  });
});

describe('what the sandbox takes from the environment', () => {
  it('ignores KUBECONFIG and REDIS_URL, and says so', () => {
    expect(sandboxEnvironment({ KUBECONFIG: '/home/jane/.kube/prod', REDIS_URL: 'redis://prod:6379' })).toEqual({ ignored: ['KUBECONFIG', 'REDIS_URL'] });
  });

  it('takes an explicit SANDBOX_KUBECONFIG', () => {
    expect(sandboxEnvironment({ SANDBOX_KUBECONFIG: '/tmp/kind.kubeconfig', KUBECONFIG: '/x' })).toEqual({
      kubeconfig: '/tmp/kind.kubeconfig',
      ignored: ['KUBECONFIG'],
    });
  });

  it.each([
    ['https://127.0.0.1:6443', true],
    ['https://127.0.0.53:443', true],
    ['https://localhost:34567', true],
    ['https://[::1]:6443', true],
    ['https://10.0.0.1:6443', false],
    ['https://127.0.0.1.example.com:6443', false],
    ['https://kind-control-plane:6443', false],
    ['not a url', false],
  ])('an API server at %s is on loopback: %s', (server, loopback) => {
    expect(isLoopbackServer(server)).toBe(loopback);
  });
});
