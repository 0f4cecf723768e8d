import { describe, expect, it } from '@jest/globals';
import { checkRedis } from '../../../src/preflight/redis-check.js';
import { freePort } from '@csrbot/control-plane';
import { redisUrlForTests } from '../../support/redis.js';

describe('the Redis start-up check', () => {
  it('passes when Redis answers PING', async () => {
    expect(await checkRedis(await redisUrlForTests())).toEqual({ name: 'redis', status: 'pass', detail: 'Redis answers PING' });
  });

  it('an unreachable Redis is an outage: a warning, csrbot starts anyway', async () => {
    const r = await checkRedis(`redis://127.0.0.1:${await freePort()}`, { timeoutMs: 2_000 });
    expect(r).toMatchObject({ status: 'warn', transient: true, code: 'REDIS_UNREACHABLE' });
    expect(r.detail).toContain('Redis could not be reached (ECONNREFUSED)');
  });

  it('credentials Redis refuses are a setting to fix, and the password is never repeated', async () => {
    const url = new URL(await redisUrlForTests());
    url.username = 'csrbot-nobody';
    url.password = 'hunter2';
    const r = await checkRedis(url.toString(), { timeoutMs: 2_000 });
    expect(r).toMatchObject({ status: 'fail', code: 'REDIS_AUTH' });
    expect(r.detail).toContain("Redis refused csrbot's credentials (WRONGPASS");
    expect(r.detail).toContain('To fix, put the right user and password in REDIS_URL');
    expect(r.detail).not.toContain('hunter2');
  });
});
