/**
 * A real Redis Cluster of 3 masters and 3 replicas on loopback, made the way
 * an operator makes one (`redis-cli --cluster create --cluster-replicas 1`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HOST, ServerSet, replicaCaughtUp, waitUntil, withNode } from './servers.js';

const run = promisify(execFile);

export interface ClusterNodeInfo {
  port: number;
  id: string;
  role: 'master' | 'replica';
  /** For a replica, its master's id. */
  masterId?: string;
  /** For a master, its slot ranges. */
  slots: Array<[number, number]>;
  failed: boolean;
}

export interface FailoverResult {
  from: number;
  to: number;
  /** From the command until every live node agrees on the new master. */
  ms: number;
}

export interface StartRedisClusterOptions {
  /** First of 6 consecutive ports. */
  basePort: number;
  /** How long a master may be silent before it is failed over (redis default 15000). Default 2000. */
  nodeTimeoutMs?: number;
  /** Data nodes keep an append-only file (fsync always), so a killed node restarts with what it had. Default false. */
  aof?: boolean;
}

export class RedisClusterHarness {
  private constructor(
    private readonly set: ServerSet,
    readonly ports: number[],
  ) {}

  static async start(o: StartRedisClusterOptions): Promise<RedisClusterHarness> {
    const ports = Array.from({ length: 6 }, (_, i) => o.basePort + i);
    const set = await ServerSet.create(`redis-cluster-${o.basePort}`, ports);
    const h = new RedisClusterHarness(set, ports);
    try {
      const args = [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(o.nodeTimeoutMs ?? 2000),
        // A replica may always take over, however long it was cut off (tests kill masters on purpose).
        '--cluster-replica-validity-factor',
        '0',
        '--maxmemory-policy',
        'noeviction',
        ...(o.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : []),
      ];
      await Promise.all(ports.map((p, i) => set.start(`cluster node ${i}`, p, args)));
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
      await h.waitHealthy();
      return h;
    } catch (e) {
      await set.stop();
      throw e;
    }
  }

  /** REDIS_CLUSTER_NODES for csrbot: two seeds are enough, the rest is discovered. */
  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.ports.map((p) => `${HOST}:${p}`).join(',') };
  }

  get seeds(): Array<{ host: string; port: number }> {
    return this.ports.map((port) => ({ host: HOST, port }));
  }

  /** The cluster as one live node sees it. */
  async nodes(viaPort?: number): Promise<ClusterNodeInfo[]> {
    const via = viaPort ?? (await this.livePorts())[0]!;
    const text = await withNode(via, (r) => r.call('CLUSTER', 'NODES') as Promise<string>);
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const f = line.split(' ');
        const port = Number(/:(\d+)@/.exec(f[1]!)![1]);
        const flags = f[2]!.split(',');
        const slots = f.slice(8).flatMap((s): Array<[number, number]> => {
          if (s.startsWith('[')) return [];
          const [a, b] = s.split('-').map(Number);
          return [[a!, b ?? a!]];
        });
        return {
          port,
          id: f[0]!,
          role: flags.includes('master') ? 'master' : 'replica',
          ...(f[3] !== '-' ? { masterId: f[3] } : {}),
          slots,
          failed: flags.includes('fail') || flags.includes('fail?'),
        } as ClusterNodeInfo;
      });
  }

  private async livePorts(): Promise<number[]> {
    const out: number[] = [];
    for (const p of this.ports) {
      try {
        await withNode(p, (r) => r.ping());
        out.push(p);
      } catch {
        /* down */
      }
    }
    return out;
  }

  /** The master currently serving `key`'s slot, and its replica. */
  async ownerOf(key: string): Promise<{ master: number; replica: number; slot: number }> {
    const live = await this.livePorts();
    const slot = await withNode(live[0]!, (r) => r.call('CLUSTER', 'KEYSLOT', key) as Promise<number>);
    const nodes = await this.nodes(live[0]);
    const master = nodes.find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    const replica = nodes.find((n) => n.role === 'replica' && n.masterId === master.id && !n.failed);
    if (!replica) throw new Error(`master ${master.port} (slot ${slot}) has no live replica`);
    return { master: master.port, replica: replica.port, slot };
  }

  /**
   * A coordinated failover of the master serving `key`: `CLUSTER FAILOVER` on
   * its replica. The master stops taking writes, the replica catches up with
   * it, then takes over; no acknowledged write is lost.
   */
  async failover(key: string): Promise<FailoverResult> {
    await this.waitHealthy();
    const { master, replica, slot } = await this.ownerOf(key);
    const t0 = Date.now();
    // A manual failover gives up after 5 s when the replica is not in step
    // (e.g. still resyncing after the previous one); then it is asked again.
    for (let attempt = 1; ; attempt++) {
      await withNode(replica, (r) => r.call('CLUSTER', 'FAILOVER'));
      try {
        await this.waitOwner(slot, replica, 8_000);
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await this.waitHealthy();
      }
    }
    const ms = Date.now() - t0;
    // The old master now replicates from the new one: the next failover has a replica to go to.
    await this.waitHealthy();
    return { from: master, to: replica, ms };
  }

  /**
   * A crash: SIGKILL the master serving `key` (no coordination). Its replica
   * takes over after the node timeout; writes it had not received are lost.
   */
  async crashMaster(key: string): Promise<FailoverResult> {
    await this.waitHealthy();
    const { master, replica, slot } = await this.ownerOf(key);
    // Nothing acknowledged before the crash is lost: the crash that loses writes is loseWritesDuring().
    await replicaCaughtUp(master, replica);
    const t0 = Date.now();
    await this.set.kill(master, 'SIGKILL');
    await this.waitOwner(slot, replica);
    const ms = Date.now() - t0;
    // Back as a replica, so the next failover has somewhere to go.
    await this.restart(master);
    return { from: master, to: replica, ms };
  }

  /**
   * The crash that loses writes, made deterministic: the replica of the
   * master holding `key` stops (SIGKILL), `during` runs (what it writes
   * reaches the master only), the master crashes (SIGKILL), and the replica
   * restarts from its append-only file and takes over. Redis has then
   * forgotten everything written during `during`, as after a crash with
   * replication lag. The old master comes back as a replica. Needs `aof`.
   */
  async loseWritesDuring(key: string, during: () => Promise<void>): Promise<FailoverResult> {
    await this.waitHealthy();
    const { master, replica, slot } = await this.ownerOf(key);
    // What was written before `during` survives; only `during`'s writes are lost.
    await replicaCaughtUp(master, replica);
    await this.set.kill(replica, 'SIGKILL');
    await during();
    const t0 = Date.now();
    await this.set.kill(master, 'SIGKILL');
    await this.set.restart(replica);
    await this.waitOwner(slot, replica);
    const ms = Date.now() - t0;
    await this.restart(master);
    return { from: master, to: replica, ms };
  }

  /** Brings a killed node back; it rejoins (as a replica of whoever took over). */
  async restart(port: number): Promise<void> {
    await this.set.restart(port);
    await this.waitHealthy();
  }

  logTail(port: number): string {
    return this.set.logTail(port);
  }

  private async waitOwner(slot: number, port: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `port ${port} to serve slot ${slot} on every live node`,
      async () => {
        for (const p of await this.livePorts()) {
          const state = await withNode(p, (r) => r.call('CLUSTER', 'INFO') as Promise<string>);
          if (!state.includes('cluster_state:ok')) return undefined;
          const owner = (await this.nodes(p)).find((n) => n.role === 'master' && n.slots.some(([a, b]) => slot >= a && slot <= b));
          if (owner?.port !== port) return undefined;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /**
   * Every live node says cluster_state:ok and sees 3 masters with slots, and
   * every live replica is in sync with its master (a CLUSTER FAILOVER before
   * that would wait for the first sync).
   */
  async waitHealthy(): Promise<void> {
    await waitUntil(
      'the Redis Cluster to be ok on every node, replicas in sync',
      async () => {
        const live = await this.livePorts();
        for (const p of live) {
          const info = await withNode(p, (r) => r.call('CLUSTER', 'INFO') as Promise<string>);
          if (!info.includes('cluster_state:ok')) return undefined;
          const nodes = await this.nodes(p);
          const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && !n.failed);
          if (masters.length !== 3) return undefined;
          // Every other live node is known, here too, as the replica of one of them.
          const replicas = nodes.filter((n) => n.role === 'replica' && !n.failed && masters.some((m) => m.id === n.masterId));
          if (replicas.length !== live.length - 3) return undefined;
          const me = nodes.find((n) => n.port === p);
          if (me?.role === 'replica' && !(await withNode(p, (r) => r.info('replication'))).includes('master_link_status:up')) return undefined;
        }
        return true;
      },
      60_000,
    );
  }

  async stop(): Promise<void> {
    await this.set.stop();
  }
}
