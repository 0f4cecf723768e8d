import { describe } from '@jest/globals';
import type { RedisSettings } from '../../src/adapters/redis/index.js';
import { MASTER_NAME, RedisSentinelHarness, sleep } from '../support/redis-ha/index.js';
import { haSuite, uniquePrefix } from './ha-suite.js';

let harness: RedisSentinelHarness;
const settings = (prefix: string): RedisSettings => ({
  topology: { kind: 'sentinel', sentinels: harness.sentinels, masterName: MASTER_NAME },
  prefix,
  tls: false,
});

describe('Redis Sentinel: master, replica, 3 sentinels', () => {
  haSuite(async () => {
    harness = await RedisSentinelHarness.start({ basePort: 7010 });
    return {
      name: 'Sentinel',
      settings,
      prefix: (name) => uniquePrefix(name),
      failover: () => harness.failover({ coordinated: true }),
      dataPorts: () => harness.dataPorts,
      stop: async () => {
        await harness.stop();
        // ioredis gives each sentinel connection it closed 2 s (disconnectTimeout) to end; let the timers run out.
        await sleep(2_100);
      },
    };
  });
});
