import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { SlackHealth } from '../../../../src/adapters/slack/slack-health.js';
import type { SlackFailure } from '../../../../src/adapters/slack/slack-failure.js';
import { CsrbotError } from '../../../../src/domain/errors.js';
import { createLogger } from '../../../../src/log/logger.js';

const refused: SlackFailure = {
  error: new CsrbotError('SLACK_BOT_TOKEN_REFUSED', { error: 'token_revoked' }),
  transient: false,
  platformError: 'token_revoked',
};
const outage: SlackFailure = { error: new CsrbotError('SLACK_UNREACHABLE', { url: 'x', reason: 'ECONNREFUSED' }), transient: true };

function health(mode: 'socket' | 'http', answers: Array<SlackFailure | 'ok'>) {
  let t = 0;
  const registry = new Registry();
  const h = new SlackHealth({
    mode,
    registry,
    log: createLogger({ level: 'silent' }),
    now: () => t,
    authTest: () => {
      const a = answers.shift() ?? 'ok';
      return a === 'ok' ? Promise.resolve() : Promise.reject(a);
    },
  });
  const gauge = async (name: string) => /(\S+)$/.exec((await registry.getSingleMetricAsString(name)).trim().split('\n').pop()!)![1];
  return { h, advance: (ms: number) => (t += ms), gauge };
}

describe('SlackHealth', () => {
  it('Socket Mode: ready while the WebSocket is open', async () => {
    const { h, gauge } = health('socket', []);
    h.authAccepted();
    expect(h.problem()).toBe('Socket Mode connection not open (disconnected)');
    h.socketState('connecting');
    expect(h.problem()).toBe('Socket Mode connection not open (connecting)');
    h.socketState('connected');
    expect(h.problem()).toBeUndefined();
    expect(await gauge('csrbot_slack_socket_connected')).toBe('1');
    h.socketState('reconnecting');
    expect(h.problem()).toContain('reconnecting');
    expect(await gauge('csrbot_slack_socket_connected')).toBe('0');
  });

  it('HTTP mode: ready on a recent accepted auth.test; an outage counts only once the last success is old', async () => {
    const { h, advance, gauge } = health('http', ['ok', outage, outage]);
    expect(h.problem()).toBe('Slack has not accepted the bot token yet');
    await h.refresh();
    expect(h.problem()).toBeUndefined();
    expect(await gauge('csrbot_slack_auth_ok')).toBe('1');
    advance(60_000);
    await h.refresh(); // Slack down: still ready, the token was fine a minute ago
    expect(h.problem()).toBeUndefined();
    expect(await gauge('csrbot_slack_auth_ok')).toBe('1');
    advance(5 * 60_000);
    await h.refresh();
    expect(h.problem()).toBe('no auth.test accepted for 360 s (last problem: SLACK_UNREACHABLE)');
  });

  it('a refused token makes the pod unready in both modes and sets csrbot_slack_auth_ok to 0 until Slack accepts it again', async () => {
    for (const mode of ['socket', 'http'] as const) {
      const { h, gauge } = health(mode, [refused, 'ok']);
      h.authAccepted();
      h.socketState('connected');
      await h.refresh();
      expect(h.problem()).toBe('Slack refuses the bot token (token_revoked)');
      expect(await gauge('csrbot_slack_auth_ok')).toBe('0');
      await h.refresh();
      expect(h.problem()).toBeUndefined();
      expect(await gauge('csrbot_slack_auth_ok')).toBe('1');
    }
  });
});
