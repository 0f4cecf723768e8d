import type { RedisOptions } from 'bullmq';
import type { RedisClient } from '../redis/create-redis-client.js';

/**
 * Where BullMQ connects: a `redis://` URL or Redis (ioredis) options, with which BullMQ opens
 * (and closes) its own connections; or a client from createRedisClient (the only way to reach
 * a Cluster). A producer shares that client; a worker gets duplicates of it, which BullMQ owns.
 */
export type QueueConnection = string | RedisOptions | RedisClient;

/** BullMQ's connection options; workers block on Redis, so they must not give up on a command (maxRetriesPerRequest: null). */
export function bullConnection(conn: QueueConnection, role: 'producer' | 'worker'): RedisOptions | RedisClient {
  // A client's options are its own: BullMQ refuses a worker client whose maxRetriesPerRequest is not null (createRedisClient's 'worker' role).
  if (typeof conn === 'object' && 'duplicate' in conn) return conn;
  const base: RedisOptions & { url?: string } = typeof conn === 'string' ? { url: conn } : { ...conn };
  if (role === 'worker') base.maxRetriesPerRequest = null;
  return base;
}
