import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/create-redis-client.js';

const shas = new Map<string, string>();
function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** EVALSHA, falling back to EVAL once when the server has not cached the script (a restart, a failover). */
export async function runScript(redis: RedisClient, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(sha1(script), keys.length, ...keys, ...args);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('NOSCRIPT')) return redis.eval(script, keys.length, ...keys, ...args);
    throw e;
  }
}
