import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './create-redis-client.js';

/** The only policy under which Redis never drops a key to make room: BullMQ needs it, and so do requests. */
export const REQUIRED_POLICY = 'noeviction';

export interface MaxmemoryPolicyReport {
  /** Each node asked (every node of a Cluster, replicas included: one may be promoted), with its policy or why it could not say. */
  nodes: Array<{ node: string; policy?: string; error?: string }>;
  /** What an operator should read; undefined when every node uses noeviction. */
  warning?: string;
}

const TIMEOUT_MS = 2_000;

/**
 * Reads `maxmemory-policy` from `INFO memory` (which managed services allow
 * where `CONFIG GET` is disabled). Never rejects: a node that cannot answer is
 * reported with its error, and the warning says the policy is unknown.
 */
export async function checkMaxmemoryPolicy(client: RedisClient): Promise<MaxmemoryPolicyReport> {
  const targets: Redis[] = client instanceof Cluster ? client.nodes('all') : [client];
  const nodes = await Promise.all(targets.map(async (n) => ({ ...(await policyOf(n)), node: addressOf(n) })));
  if (nodes.length === 0) return { nodes, warning: `Could not read maxmemory-policy: no Redis node is known yet. It must be ${REQUIRED_POLICY}.` };
  const wrong = nodes.filter((n) => n.policy !== undefined && n.policy !== REQUIRED_POLICY);
  const unknown = nodes.filter((n) => n.policy === undefined);
  const parts: string[] = [];
  if (wrong.length > 0) {
    parts.push(
      `Redis maxmemory-policy is ${wrong.map((n) => `${n.policy} on ${n.node}`).join(', ')}; csrbot needs ${REQUIRED_POLICY}: under memory pressure ` +
        `Redis would otherwise delete queued jobs and request records. To resolve, set maxmemory-policy ${REQUIRED_POLICY} ` +
        `(redis.conf, CONFIG SET, or the managed service's parameter group).`,
    );
  }
  if (unknown.length > 0) {
    parts.push(`Could not read maxmemory-policy from ${unknown.map((n) => `${n.node} (${n.error})`).join(', ')}; make sure it is ${REQUIRED_POLICY}.`);
  }
  return parts.length > 0 ? { nodes, warning: parts.join(' ') } : { nodes };
}

/** The readiness detail: a sentence when maxmemory-policy is not noeviction (or cannot be read), else undefined. Never rejects. */
export async function maxmemoryPolicyWarning(client: RedisClient): Promise<string | undefined> {
  return (await checkMaxmemoryPolicy(client)).warning;
}

/** host:port of the server a connection reached; through Sentinel only the socket knows it. */
function addressOf(n: Redis): string {
  // Undefined before the first connection, whatever the type says.
  const socket: { remoteAddress?: string; remotePort?: number } | undefined = n.stream;
  if (n.options.sentinels && socket?.remoteAddress) return `${socket.remoteAddress}:${socket.remotePort ?? '?'}`;
  return `${n.options.host ?? '?'}:${n.options.port ?? '?'}`;
}

async function policyOf(node: Redis): Promise<{ policy?: string; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      node.info('memory'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    const m = /^maxmemory_policy:(\S+)/m.exec(info);
    return m ? { policy: m[1] } : { error: 'INFO memory has no maxmemory_policy' };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
