/**
 * Where csrbot's Redis is, as the configuration describes it. One of three
 * shapes, each mapping one-to-one onto ioredis's own options, so nothing is
 * guessed from a URL: a single server, a Sentinel-managed master, or a
 * Cluster.
 */
export interface HostPort {
  host: string;
  port: number;
}

export type RedisTopology =
  /** One server (or a managed endpoint that moves on failover). `redis://` or `rediss://` URL; credentials may be in it. */
  | { kind: 'standalone'; url: string }
  /** A master found through Sentinel: the sentinels' addresses and the name they monitor it by. */
  | { kind: 'sentinel'; sentinels: HostPort[]; masterName: string; sentinelUsername?: string; sentinelPassword?: string }
  /** A Redis Cluster: any few of its nodes; the rest are discovered. */
  | { kind: 'cluster'; nodes: HostPort[] };

export interface RedisSettings {
  topology: RedisTopology;
  /**
   * Prefix of every key csrbot and BullMQ write, without a trailing `:`.
   * On a Cluster it holds a `{hash tag}`, so all keys share one slot.
   */
  prefix: string;
  /** ACL user of the data nodes (Sentinel, Cluster; standalone may put it in the URL). */
  username?: string;
  /** Password of the data nodes (Sentinel, Cluster; standalone may put it in the URL). */
  password?: string;
  /** TLS to the data nodes (and to the sentinels). Standalone says so with `rediss://`. */
  tls: boolean;
  /**
   * A command without an answer this long fails (every role but BullMQ's
   * blocking workers), so that a job retries instead of waiting for ever on a
   * connection that will not come back. Default: none (ioredis's).
   */
  commandTimeoutMs?: number;
}

/** The prefix csrbot uses when REDIS_PREFIX is unset: tagged on a Cluster, unchanged elsewhere so existing keys stay where they are. */
export function defaultPrefix(kind: RedisTopology['kind']): string {
  return kind === 'cluster' ? '{csrbot}' : 'csrbot';
}

/**
 * The hash tag of a key prefix as Redis Cluster reads it: the text between
 * the first `{` and the next `}`, when not empty. Undefined when the prefix
 * has none (its keys would spread over slots).
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open < 0) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return prefix.slice(open + 1, close);
}

/** Where the connection goes, for logs and warnings: never a password. */
export function describeTopology(t: RedisTopology): string {
  const list = (hs: HostPort[]) => hs.map((h) => `${h.host}:${h.port}`).join(',');
  switch (t.kind) {
    case 'standalone': {
      try {
        const u = new URL(t.url);
        return `${u.protocol}//${u.host}`;
      } catch {
        return 'redis (unparsable URL)';
      }
    }
    case 'sentinel':
      return `sentinel master ${t.masterName} via ${list(t.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(t.nodes)}`;
  }
}
