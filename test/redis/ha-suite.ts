/**
 * What csrbot's Redis layer must do on a Redis that fails over, run against
 * a real Cluster (3 masters, 3 replicas) and a real Sentinel deployment
 * (master, replica, 3 sentinels): the store contract, BullMQ jobs, the
 * maxmemory-policy check, and a coordinated failover in the middle of work.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { BullMqJobs } from '../../src/adapters/queue/bullmq-jobs.js';
import { startWorker, type JobHandler, type RunningWorker } from '../../src/adapters/queue/start-worker.js';
import { checkRedisReachable, createRedisClient, maxmemoryPolicyWarning, type RedisClient, type RedisSettings } from '../../src/adapters/redis/index.js';
import { RedisDraftStore } from '../../src/adapters/store/redis-draft-store.js';
import { RedisRequestStore } from '../../src/adapters/store/redis-request-store.js';
import { createLogger } from '../../src/log/logger.js';
import type { JobKind } from '../../src/ports.js';
import { uniquePrefix } from '../support/redis.js';
import { waitUntil, withNode } from '../support/redis-ha/index.js';
import { aRequest, anIssuedCertificate, requestStoreContract } from '../support/contracts/request-store.contract.js';

export interface Topology {
  name: string;
  /** Settings for csrbot with this key prefix. */
  settings(prefix: string): RedisSettings;
  /** A fresh key prefix that works here (hash-tagged on a Cluster). */
  prefix(name: string): string;
  /** A coordinated failover of the master holding `key`. */
  failover(key: string): Promise<{ from: number; to: number; ms: number }>;
  /** Data nodes, to set a policy on (CONFIG SET). */
  dataPorts(): number[];
  stop(): Promise<void>;
}

const log = createLogger({ level: 'silent' });
const noop: JobHandler = async () => {};
const handlers = (o: Partial<Record<JobKind, JobHandler>>): Record<JobKind, JobHandler> => ({
  submit: noop,
  approve: noop,
  deny: noop,
  issue: noop,
  card: noop,
  decide: noop,
  ...o,
});

export function haSuite(start: () => Promise<Topology>): void {
  let topo: Topology;
  const clients: RedisClient[] = [];
  const closers: Array<{ close(): Promise<void> }> = [];
  let shared: RedisClient;

  const client = (prefix: string, role: 'store' | 'probe' | 'worker' = 'store') => {
    const c = createRedisClient(topo.settings(prefix), role);
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    topo = await start();
    shared = client(topo.prefix('shared'));
  }, 120_000);
  afterAll(async () => {
    for (const c of closers.splice(0).reverse()) await c.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
    await topo?.stop();
  }, 60_000);

  requestStoreContract('RedisRequestStore', async () => ({
    store: RedisRequestStore.create({ redis: shared, prefix: topo.prefix('contract') }),
    close: async () => {},
  }));

  describe('BullMQ', () => {
    it('runs jobs enqueued through the store connection, on workers duplicated from the worker template', async () => {
      const prefix = topo.prefix('jobs');
      const jobs = BullMqJobs.create({ connection: client(prefix), prefix, queueName: 'csrbot' });
      closers.push(jobs);
      const ran: string[] = [];
      const w = startWorker({
        connection: client(prefix, 'worker'),
        prefix,
        queueName: 'csrbot',
        log,
        handlers: handlers({ submit: async (id) => void ran.push(`submit ${id}`), issue: async (id) => void ran.push(`issue ${id}`) }),
      });
      closers.push(w);
      await jobs.enqueue('submit', 'r1');
      await jobs.enqueue('issue', 'r1');
      await jobs.enqueue('submit', 'r1'); // same id: added once
      await waitUntil('both jobs to run', async () => (ran.length >= 2 ? true : undefined), 15_000);
      expect(ran.sort()).toEqual(['issue r1', 'submit r1']);
    });
  });

  describe('maxmemory-policy', () => {
    it('is quiet with noeviction, and names the node and the fix otherwise', async () => {
      expect(await maxmemoryPolicyWarning(shared)).toBeUndefined();
      const port = topo.dataPorts()[0]!;
      await withNode(port, (r) => r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'));
      try {
        // Sentinel: only the master is asked, so make sure it is the one changed.
        for (const p of topo.dataPorts().slice(1)) await withNode(p, (r) => r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'));
        const warning = await maxmemoryPolicyWarning(shared);
        expect(warning).toMatch(/maxmemory-policy is allkeys-lru on 127\.0\.0\.1:\d+/);
        expect(warning).toContain(`allkeys-lru on 127.0.0.1:${port}`);
        expect(warning).toContain('set maxmemory-policy noeviction');
      } finally {
        for (const p of topo.dataPorts()) await withNode(p, (r) => r.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction'));
      }
      expect(await maxmemoryPolicyWarning(shared)).toBeUndefined();
    });
  });

  describe('readiness', () => {
    it('the probe connection answers', async () => {
      const prefix = topo.prefix('probe');
      const probe = client(prefix, 'probe');
      await waitUntil('the probe to connect', async () => (probe.status === 'ready' ? true : undefined));
      await expect(checkRedisReachable(probe, prefix)).resolves.toBeUndefined();
    });
  });

  describe('a coordinated failover in the middle of work', () => {
    it('loses no acknowledged write and no job', async () => {
      const prefix = topo.prefix('failover');
      const redis = client(prefix);
      const store = RedisRequestStore.create({ redis, prefix });
      const drafts = RedisDraftStore.create({ redis, prefix });
      const jobs = BullMqJobs.create({ connection: redis, prefix, queueName: 'csrbot' });
      closers.push(jobs);
      const runs = new Map<string, number>();
      let w: RunningWorker | undefined = startWorker({
        connection: client(prefix, 'worker'),
        prefix,
        queueName: 'csrbot',
        log,
        backoff: { baseMs: 50, capMs: 500 },
        handlers: handlers({
          approve: async (id) => {
            runs.set(id, (runs.get(id) ?? 0) + 1);
            // What processApprove does: re-read, then move on.
            expect((await store.get(id))?.state).toBe('approved');
          },
        }),
      });
      closers.push(w);

      const acknowledged: string[] = [];
      const errors: string[] = [];
      let stop = false;
      // One request after another through the steps a click takes: create, approve, transition, enqueue, once-flag.
      const writer = (async () => {
        while (!stop) {
          const r = aRequest();
          try {
            await drafts.put(r.id, { requester: r.requester, kubernetesUsername: r.kubernetesUsername, csr: r.csr, dmChannel: 'D1', signerName: r.signerName });
            await store.create(r);
            await store.addApproval(r.id, { userId: 'U1', name: 'amy', at: r.createdAt });
            expect(await store.transition(r.id, ['pending'], 'approved')).toBeDefined();
            await jobs.enqueue('approve', r.id);
            expect(await store.once(r.id, 'announced')).toBe(true);
            await store.saveIssued(r.id, anIssuedCertificate());
            acknowledged.push(r.id);
          } catch (e) {
            errors.push(`${r.id}: ${(e as Error).message}`);
          }
        }
      })();

      await waitUntil('some work before the failover', async () => (acknowledged.length >= 20 ? true : undefined));
      const f = await topo.failover(`${prefix}:x`);
      const atFailover = acknowledged.length;
      await waitUntil('more work after the failover', async () => (acknowledged.length >= atFailover + 20 ? true : undefined), 30_000);
      stop = true;
      await writer;

      // Every write acknowledged before, during and after the failover is there, as written.
      for (const id of acknowledged) {
        const r = await store.get(id);
        expect(r?.state).toBe('approved');
        expect(r?.approvals).toHaveLength(1);
        expect(r?.issued).toBeDefined();
        expect(await store.once(id, 'announced')).toBe(false);
        expect(await drafts.get(id)).toBeDefined();
      }
      // Every job enqueued ran once.
      await waitUntil('every job to run', async () => (acknowledged.every((id) => runs.has(id)) ? true : undefined), 30_000);
      expect(acknowledged.filter((id) => runs.get(id) !== 1)).toEqual([]);
      // A coordinated failover shows no error to the caller.
      expect(errors).toEqual([]);
      expect(f.from).not.toBe(f.to);
      await w.close();
      w = undefined;
    }, 120_000);
  });
}

/** Every key csrbot wrote under `prefix`, from every master of a Cluster. */
export async function clusterKeys(redis: Cluster, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of redis.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

export { uniquePrefix };
