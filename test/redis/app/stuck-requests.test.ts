/**
 * Issue 11, items 2 and 3 on real BullMQ and the real store: a decision whose
 * job was lost, and a job that failed for good, both end delivered once the
 * stuck-requests sweep pass has run. Slack and the cluster are the fakes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { BullMqJobs } from '../../../src/adapters/queue/bullmq-jobs.js';
import { startWorker } from '../../../src/adapters/queue/start-worker.js';
import { RedisRequestStore } from '../../../src/adapters/store/redis-request-store.js';
import { approveRequest } from '../../../src/app/decide.js';
import { stuckRequestsPass } from '../../../src/app/stuck-requests.js';
import { submitRequest } from '../../../src/app/submit.js';
import { isRetryable } from '../../../src/domain/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import type { JobKind } from '../../../src/ports.js';
import { makeDeps, people, type TestDeps } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { waitForQuiet } from '../../support/wait-for-quiet.js';
import { newRequest } from '../../unit/app/flow.js';

const MINUTE = 60_000;
let url: string;
let redis: Redis;
let pki: TestPki;
const prefixes: string[] = [];
const toClose: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  url = await redisUrlForTests();
  redis = new Redis(url);
  pki = TestPki.create();
});
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(redis, p);
  await redis.quit();
  pki.cleanup();
});

/** The fakes' deps with the real store and queue, and a worker running the real use cases (two attempts per job). */
function realQueue(name: string): Omit<TestDeps, 'jobs'> & { jobs: BullMqJobs; idle: () => Promise<void> } {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const t = makeDeps({ settings: { signerWatchMs: 0 } });
  const jobs = BullMqJobs.create({ connection: url, prefix, queueName: 'csrbot', attempts: 2 });
  toClose.push(jobs);
  t.deps.store = RedisRequestStore.create({ redis, prefix: `${prefix}-store` });
  prefixes.push(`${prefix}-store`);
  t.deps.jobs = jobs;
  const handlers = Object.fromEntries((['submit', 'approve', 'deny', 'issue', 'card'] as const).map((k) => [k, (id: string) => t.handlers[k]!(id)])) as Record<
    JobKind,
    (id: string) => Promise<void>
  >;
  const w = startWorker({
    connection: url,
    prefix,
    queueName: 'csrbot',
    log: createLogger({ level: 'silent' }),
    backoff: { baseMs: 20, capMs: 50 },
    retryable: isRetryable,
    handlers,
  });
  toClose.push(w);
  return { ...t, jobs, idle: () => waitForQuiet({ queues: [jobs.bullQueue] }, { quietMs: 150, timeoutMs: 15_000 }) };
}

describe('stuck-requests pass on real BullMQ', () => {
  it('an approve job that failed for good (the cluster was down past its attempts) runs again, and the certificate goes out', async () => {
    const t = realQueue('stuck-failed');
    const key = pki.userKey();
    const { request } = await submitRequest(t.deps, newRequest(key));
    await t.idle();
    t.csrApi.failNext('approve', 'CLUSTER_UNREACHABLE', { message: 'connect ECONNREFUSED' }, 2);
    await approveRequest(t.deps, request.id, { userId: people.alice.userId, channel: 'CADMINS' });
    await t.idle();
    expect(await (await t.jobs.bullQueue.getJob(`approve-${request.id}`))?.getState()).toBe('failed');
    expect((await t.deps.store.get(request.id))?.state).toBe('approving');

    // The cluster is back, and will sign as soon as the approval reaches it.
    t.csrApi.issue(request.csrName, pki.sign(key.csrPem));
    const now = new Date(Date.now() + 31 * MINUTE);
    expect(await stuckRequestsPass(t.deps).run(now)).toMatchObject({ redriven: 1, stuck: 1 });
    await t.idle();
    expect((await t.deps.store.get(request.id))?.state).toBe('issued');
    expect(t.chat.deliveries).toHaveLength(1);
    expect(t.chat.adminMessages.filter((m) => m.includes('has waited'))).toEqual([expect.stringContaining('CLUSTER_UNREACHABLE')]);
  });
});
