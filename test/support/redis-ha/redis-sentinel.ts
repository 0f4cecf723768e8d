/**
 * A real Sentinel deployment on loopback: a master, a replica and 3
 * sentinels (quorum 2) monitoring it as `mymaster`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, ServerSet, replicaCaughtUp, waitUntil, withNode } from './servers.js';

export const MASTER_NAME = 'mymaster';

export interface StartRedisSentinelOptions {
  /** Ports basePort, +1 for the data nodes; +2, +3, +4 for the sentinels. */
  basePort: number;
  /**
   * How long the master may be silent before the sentinels call it down. Default 5000: with 1000,
   * on a loaded machine (load ~8 on 2 cores), a sentinel found a master promoted a second earlier
   * silent for a second and failed over again, to the crashed master just brought back empty
   * (its log: +new-epoch, +switch-master back), and every key was gone. Production's default is 30 s.
   */
  downAfterMs?: number;
  /** Data nodes keep an append-only file (fsync always), so a killed node restarts with what it had. Default false. */
  aof?: boolean;
}

export interface SentinelFailoverResult {
  from: number;
  to: number;
  /** From the command (or the kill) until every sentinel names the new master and it takes writes. */
  ms: number;
}

export class RedisSentinelHarness {
  private constructor(
    private readonly set: ServerSet,
    readonly dataPorts: [number, number],
    readonly sentinelPorts: number[],
  ) {}

  static async start(o: StartRedisSentinelOptions): Promise<RedisSentinelHarness> {
    const b = o.basePort;
    const dataPorts: [number, number] = [b, b + 1];
    const sentinelPorts = [b + 2, b + 3, b + 4];
    const set = await ServerSet.create(`redis-sentinel-${b}`, [...dataPorts, ...sentinelPorts]);
    const h = new RedisSentinelHarness(set, dataPorts, sentinelPorts);
    try {
      const data = ['--maxmemory-policy', 'noeviction', ...(o.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [])];
      await set.start('master', dataPorts[0], data);
      await set.start('replica', dataPorts[1], [...data, '--replicaof', HOST, String(dataPorts[0])]);
      await waitUntil('the replica to sync', async () => ((await h.info(dataPorts[1], 'replication')).includes('master_link_status:up') ? true : undefined));
      await Promise.all(
        sentinelPorts.map((p, i) => {
          // Sentinel rewrites its config file, so each gets its own, in its own dir.
          const file = join(set.dir, `sentinel-${p}.conf`);
          writeFileSync(
            file,
            [
              `sentinel monitor ${MASTER_NAME} ${HOST} ${dataPorts[0]} 2`,
              `sentinel down-after-milliseconds ${MASTER_NAME} ${o.downAfterMs ?? 5000}`,
              `sentinel failover-timeout ${MASTER_NAME} 10000`,
              `sentinel parallel-syncs ${MASTER_NAME} 1`,
              '',
            ].join('\n'),
          );
          return set.start(`sentinel ${i}`, p, [file, '--sentinel']);
        }),
      );
      await h.waitSettled(dataPorts[0]);
      return h;
    } catch (e) {
      await set.stop();
      throw e;
    }
  }

  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for csrbot. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinelPorts.map((p) => `${HOST}:${p}`).join(','), REDIS_SENTINEL_NAME: MASTER_NAME };
  }

  get sentinels(): Array<{ host: string; port: number }> {
    return this.sentinelPorts.map((port) => ({ host: HOST, port }));
  }

  async info(port: number, section: string): Promise<string> {
    return withNode(port, (r) => r.info(section));
  }

  /** The master port the sentinels agree on (undefined while they disagree). */
  async agreedMaster(): Promise<number | undefined> {
    const seen = new Set<number>();
    for (const s of this.sentinelPorts) {
      const addr = (await withNode(s, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME))) as [string, string] | null;
      if (!addr) return undefined;
      seen.add(Number(addr[1]));
    }
    return seen.size === 1 ? [...seen][0] : undefined;
  }

  async master(): Promise<{ master: number; replica: number }> {
    const master = await waitUntil('the sentinels to agree on a master', () => this.agreedMaster());
    return { master, replica: this.dataPorts.find((p) => p !== master)! };
  }

  /**
   * A failover on purpose. `SENTINEL FAILOVER mymaster` alone promotes the
   * replica without asking the master, which keeps taking writes until the
   * sentinels demote it (up to ~10 s later) and then drops them
   * (redis/redis#6062). `coordinated` (the default) makes it lossless, as an
   * operator would for maintenance:
   *   1. CLIENT PAUSE WRITE on the master, and wait for the replica's offset;
   *   2. SENTINEL FAILOVER, and wait until every sentinel names the replica;
   *   3. on the old master, CLIENT KILL TYPE normal (paused commands die
   *      unexecuted; clients reconnect through the sentinels and resend), then
   *      CLIENT UNPAUSE.
   * Resolves once the new master takes writes; waitSettled() waits for the
   * old one to replicate from it.
   */
  async failover(o: { coordinated?: boolean } = {}): Promise<SentinelFailoverResult> {
    const coordinated = o.coordinated ?? true;
    // Until the sentinels have made the previous master a replica in sync, it
    // still holds the data from before the last failover, and SENTINEL
    // FAILOVER would happily promote it (measured: a second failover 2 s after
    // the first brought back the state before the first).
    await this.waitSettled();
    const { master, replica } = await this.master();
    const t0 = Date.now();
    if (coordinated) {
      // Longer than every wait below, so the old master never takes a write again before it is demoted.
      await withNode(master, (r) => r.call('CLIENT', 'PAUSE', '120000', 'WRITE'));
      await replicaCaughtUp(master, replica);
    }
    await withNode(this.sentinelPorts[0]!, (r) => r.call('SENTINEL', 'FAILOVER', MASTER_NAME));
    await waitUntil(`the sentinels to name ${replica}`, async () => ((await this.agreedMaster()) === replica ? true : undefined));
    // A first promotion can fail and be retried after failover-timeout (10 s); seen taking over 30 s in a
    // loaded CI run (load ~10 on 2 cores), so this wait allows 90 s.
    await waitUntil(`${replica} to take writes`, async () => ((await this.info(replica, 'replication')).includes('role:master') ? true : undefined), 90_000);
    if (coordinated) {
      await withNode(master, async (r) => {
        await r.call('CLIENT', 'KILL', 'TYPE', 'normal');
        await r.call('CLIENT', 'UNPAUSE');
      });
    }
    return { from: master, to: replica, ms: Date.now() - t0 };
  }

  /** A crash: SIGKILL the master. The sentinels see it down, agree, and promote the replica. */
  async crashMaster(): Promise<SentinelFailoverResult> {
    await this.waitSettled();
    const { master, replica } = await this.master();
    // Nothing acknowledged before the crash is lost: the crash that loses writes is loseWritesDuring().
    await replicaCaughtUp(master, replica);
    const t0 = Date.now();
    await this.set.kill(master, 'SIGKILL');
    await waitUntil(`the sentinels to promote ${replica}`, async () => ((await this.agreedMaster()) === replica ? true : undefined), 60_000);
    // A first promotion can fail and be retried after failover-timeout (10 s); seen taking over 30 s in a
    // loaded CI run (load ~10 on 2 cores), so this wait allows 90 s.
    await waitUntil(`${replica} to take writes`, async () => ((await this.info(replica, 'replication')).includes('role:master') ? true : undefined), 90_000);
    const ms = Date.now() - t0;
    // Back as a replica, so the next failover has somewhere to go.
    await this.restart(master);
    return { from: master, to: replica, ms };
  }

  /**
   * The crash that loses writes, made deterministic: the replica stops
   * (SIGKILL), `during` runs (what it writes reaches the master only), the
   * master crashes (SIGKILL), and the replica restarts from its append-only
   * file and is promoted. Redis has then forgotten everything written during
   * `during`, as after a crash with replication lag. The old master comes
   * back as a replica. Needs `aof`.
   */
  async loseWritesDuring(during: () => Promise<void>): Promise<SentinelFailoverResult> {
    await this.waitSettled();
    const { master, replica } = await this.master();
    // What was written before `during` survives; only `during`'s writes are lost.
    await replicaCaughtUp(master, replica);
    await this.set.kill(replica, 'SIGKILL');
    await during();
    const t0 = Date.now();
    await this.set.kill(master, 'SIGKILL');
    await this.set.restart(replica);
    await waitUntil(`the sentinels to promote ${replica}`, async () => ((await this.agreedMaster()) === replica ? true : undefined), 60_000);
    // A first promotion can fail and be retried after failover-timeout (10 s); seen taking over 30 s in a
    // loaded CI run (load ~10 on 2 cores), so this wait allows 90 s.
    await waitUntil(`${replica} to take writes`, async () => ((await this.info(replica, 'replication')).includes('role:master') ? true : undefined), 90_000);
    const ms = Date.now() - t0;
    await this.restart(master);
    return { from: master, to: replica, ms };
  }

  /**
   * Brings a killed master back as an empty replica of the master the
   * sentinels now name. Restarted with its old data, it would be a master
   * until the sentinels demote it (up to 10 s), and measured here with
   * `down-after-milliseconds 1000` on a loaded machine, the sentinels can
   * flap in that window: they found the just-promoted replica slow for a
   * second and promoted the restarted old master, bringing back what the
   * crash had lost and losing what came after.
   */
  async restart(port: number): Promise<void> {
    const { master } = await this.master();
    await this.set.restart(port, { asReplicaOf: master });
    await this.waitSettled(master);
  }

  /**
   * Every sentinel names `master`, which says role:master; the other data
   * node replicates from it; each sentinel knows the replica and the other
   * two sentinels (so a crash can be agreed on).
   */
  async waitSettled(expected?: number): Promise<void> {
    const master = expected ?? (await this.master()).master;
    const replica = this.dataPorts.find((p) => p !== master)!;
    // Each unmet condition throws, so a timeout names the one still missing.
    await waitUntil(
      `Sentinel to settle on master ${master}`,
      async () => {
        const agreed = await this.agreedMaster();
        if (agreed !== master) throw new Error(`the sentinels name ${agreed ?? 'different masters'}`);
        if (!(await this.info(master, 'replication')).includes('role:master')) throw new Error(`${master} is not a master yet`);
        const r = await this.info(replica, 'replication');
        if (!r.includes(`master_port:${master}`) || !r.includes('master_link_status:up')) throw new Error(`${replica} does not replicate from ${master} yet`);
        for (const s of this.sentinelPorts) {
          const replicas = (await withNode(s, (c) => c.call('SENTINEL', 'REPLICAS', MASTER_NAME))) as string[][];
          const known = replicas.some(
            (fields) => fields[fields.indexOf('port') + 1] === String(replica) && !fields[fields.indexOf('flags') + 1]!.includes('down'),
          );
          if (!known)
            throw new Error(
              `sentinel ${s} does not see ${replica} as a live replica: ${JSON.stringify(replicas.map((f) => [f[f.indexOf('port') + 1], f[f.indexOf('flags') + 1]]))}`,
            );
          const others = (await withNode(s, (c) => c.call('SENTINEL', 'SENTINELS', MASTER_NAME))) as unknown[];
          if (others.length < 2) throw new Error(`sentinel ${s} knows ${others.length} other sentinel(s)`);
        }
        return true;
      },
      60_000,
      200,
    );
  }

  logTail(port: number): string {
    return this.set.logTail(port);
  }

  async stop(): Promise<void> {
    await this.set.stop();
  }
}
