import { Cluster } from 'ioredis';
import type { RedisClient } from './create-redis-client.js';

/**
 * Readiness: the server holding csrbot's keys answers. On a Cluster a PING
 * goes to any node, which may answer while the master of csrbot's slot is
 * down, so it reads a key in that slot instead (it never exists).
 */
export async function checkRedisReachable(client: RedisClient, prefix: string): Promise<void> {
  if (client instanceof Cluster) await client.exists(`${prefix}:readyz`);
  else await client.ping();
}
