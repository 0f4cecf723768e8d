import type { RedisOptions } from 'bullmq';

/** Where BullMQ connects: a `redis://` URL or Redis (ioredis) options. BullMQ opens (and closes) its own connections. */
export type QueueConnection = string | RedisOptions;

/** BullMQ's connection options; workers block on Redis, so they must not give up on a command (maxRetriesPerRequest: null). */
export function bullConnection(conn: QueueConnection, role: 'producer' | 'worker'): RedisOptions & { url?: string } {
  const base: RedisOptions & { url?: string } = typeof conn === 'string' ? { url: conn } : { ...conn };
  if (role === 'worker') base.maxRetriesPerRequest = null;
  return base;
}
