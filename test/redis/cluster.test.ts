import { describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { BullMqJobs } from '../../src/adapters/queue/bullmq-jobs.js';
import { startWorker } from '../../src/adapters/queue/start-worker.js';
import { createRedisClient, type RedisSettings } from '../../src/adapters/redis/index.js';
import { RedisDraftStore } from '../../src/adapters/store/redis-draft-store.js';
import { RedisRequestStore } from '../../src/adapters/store/redis-request-store.js';
import { RedisCertificateInventory } from '../../src/adapters/store/redis-certificate-inventory.js';
import { RedisReminderSchedule } from '../../src/adapters/store/redis-reminder-schedule.js';
import { RedisAuditLog } from '../../src/adapters/store/redis-audit-log.js';
import { aCertificateRecord } from '../support/contracts/certificate-inventory.contract.js';
import { createLogger } from '../../src/log/logger.js';
import { RedisClusterHarness, waitUntil, withNode } from '../support/redis-ha/index.js';
import { aRequest, anIssuedCertificate } from '../support/contracts/request-store.contract.js';
import { clusterKeys, haSuite, uniquePrefix } from './ha-suite.js';

let harness: RedisClusterHarness;
const settings = (prefix: string): RedisSettings => ({ topology: { kind: 'cluster', nodes: harness.seeds }, prefix, tls: false });

describe('Redis Cluster: 3 masters, 3 replicas', () => {
  haSuite(async () => {
    harness = await RedisClusterHarness.start({ basePort: 7000 });
    return {
      name: 'Cluster',
      settings,
      prefix: (name) => `{${uniquePrefix(name)}}`,
      failover: (key) => harness.failover(key),
      dataPorts: () => harness.ports,
      stop: () => harness.stop(),
    };
  });

  it('every key the store, the drafts, the inventory, the reminders, the audit trail and BullMQ write shares the hash slot of the prefix', async () => {
    const prefix = `{${uniquePrefix('one-slot')}}`;
    const redis = createRedisClient(settings(prefix), 'store') as Cluster;
    const worker = createRedisClient(settings(prefix), 'worker');
    const jobs = BullMqJobs.create({ connection: redis, prefix, queueName: 'csrbot' });
    let ran = 0;
    const w = startWorker({
      connection: worker,
      prefix,
      queueName: 'csrbot',
      log: createLogger({ level: 'silent' }),
      handlers: {
        submit: async () => void ran++,
        approve: async () => void ran++,
        deny: async () => void ran++,
        issue: async () => void ran++,
        card: async () => void ran++,
        decide: async () => void ran++,
      },
    });
    try {
      const store = RedisRequestStore.create({ redis, prefix });
      const r = aRequest();
      await store.create(r);
      await store.addApproval(r.id, { userId: 'U1', name: 'amy', at: r.createdAt });
      await store.once(r.id, 'announced');
      await store.saveIssued(r.id, anIssuedCertificate());
      await RedisDraftStore.create({ redis, prefix }).put('d1', {
        requester: r.requester,
        kubernetesUsername: 'jane',
        csr: r.csr,
        dmChannel: 'D1',
        signerName: r.signerName,
      });
      const inventory = RedisCertificateInventory.create({ redis, prefix });
      const cert = aCertificateRecord();
      await inventory.record(cert);
      await inventory.markReminded(cert.serial, 1);
      await inventory.setStatus(cert.serial, ['active'], 'renewed', '0abc');
      expect((await inventory.byRequester(cert.requesterId)).map((c) => c.status)).toEqual(['renewed']);
      const reminders = RedisReminderSchedule.create({ redis, prefix });
      await reminders.schedule([{ serial: cert.serial, dueMs: 1 }]);
      const [due] = await reminders.claimDue(new Date(10), 10, 60_000);
      await reminders.complete(due!, 5000);
      const audit = RedisAuditLog.create({ redis, prefix });
      await audit.append({ type: 'issued', at: r.createdAt, serial: cert.serial, via: 'kubernetes' });
      const read: unknown[] = [];
      for await (const e of audit.read(new Date(0))) read.push(e);
      expect(read).toHaveLength(1);
      await jobs.enqueue('submit', r.id);
      await waitUntil('the job to run', async () => (ran === 1 ? true : undefined));

      const keys = await clusterKeys(redis, prefix);
      // request, approvals, once, draft, certificate, its indexes, the due-set, the leases, the audit stream, and BullMQ's own (job hash, completed, meta, ...)
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.some((k) => k.startsWith(`${prefix}:csrbot:`))).toBe(true);
      const slots = new Set(await Promise.all(keys.map((k) => withNode(harness.ports[0]!, (n) => n.call('CLUSTER', 'KEYSLOT', k)))));
      expect(slots.size).toBe(1);
    } finally {
      await w.close();
      await jobs.close();
      redis.disconnect();
      worker.disconnect();
    }
  });

  it('without a hash tag the store cannot work on a Cluster: its scripts span slots (why the prefix needs one)', async () => {
    const prefix = uniquePrefix('untagged');
    const redis = createRedisClient(settings(prefix), 'store');
    try {
      await expect(RedisRequestStore.create({ redis, prefix }).create(aRequest())).rejects.toThrow(/CROSSSLOT/);
    } finally {
      redis.disconnect();
    }
  });
});
