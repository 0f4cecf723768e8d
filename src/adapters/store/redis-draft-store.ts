import type { RedisClient } from '../redis/create-redis-client.js';
import type { Draft, DraftStore } from '../../ports.js';
import { containsPrivateKey } from '../../domain/private-key.js';

/** Drafts live a day: long enough to decide, short enough not to pile up. */
const TTL_SECONDS = 24 * 3600;

export class RedisDraftStore implements DraftStore {
  private constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static create(deps: { redis: RedisClient; prefix: string }): RedisDraftStore {
    return new RedisDraftStore(deps.redis, deps.prefix);
  }

  async put(id: string, draft: Draft): Promise<boolean> {
    const json = JSON.stringify(draft);
    if (containsPrivateKey(json)) throw new Error('refusing to store private key material');
    return (await this.redis.set(`${this.prefix}:draft:${id}`, json, 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  async get(id: string): Promise<Draft | undefined> {
    const json = await this.redis.get(`${this.prefix}:draft:${id}`);
    return json ? (JSON.parse(json) as Draft) : undefined;
  }
}
