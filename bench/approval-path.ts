/**
 * The Redis work of one Approve click: count the approval (HSETNX), win the
 * pending->approved compare-and-set (Lua), take a once-flag (SET NX), read
 * the request back. Measured as clicks/s against the raw round trips the same
 * commands need (one PING per command), in the same run and on the same
 * connection, so the ratio is what csrbot's encoding and scripting cost on
 * top of Redis itself.
 *
 *   npm run bench -- approval-path
 *   REDIS_URL=redis://host:6379 BENCH_SECONDS=3 npx node --import tsx bench/approval-path.ts
 */
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { RedisRequestStore } from '../src/adapters/store/redis-request-store.js';
import type { CertificateRequest } from '../src/domain/lifecycle.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 1);

function request(id: string): CertificateRequest {
  return {
    id,
    csrName: `csrbot-jane-${id.slice(0, 12)}`,
    state: 'pending',
    requester: { userId: 'U0JANE', teamId: 'T0TEAM', name: 'jane', realName: 'Jane Doe', email: 'jane@example.com' },
    kubernetesUsername: 'jane',
    csr: {
      pem: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(600)}\n-----END CERTIFICATE REQUEST-----\n`,
      commonName: 'jane',
      groups: ['dev-team'],
      keyDescription: 'ECDSA P-256',
      fingerprint: 'ab'.repeat(32),
      warnings: [],
    },
    signerName: 'kubernetes.io/kube-apiserver-client',
    lifetimeSeconds: 86400,
    createdAt: new Date().toISOString(),
    approvals: [],
    quorum: 1,
  };
}

/** ops/s over `seconds`, `concurrency` operations in flight. */
async function measure(op: (i: number) => Promise<unknown>, concurrency: number): Promise<number> {
  let i = 0;
  for (let w = 0; w < 200; w++) await op(i++);
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await op(i++);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

export async function run(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const store = RedisRequestStore.create({ redis, prefix });
  try {
    // Requests made up front, so the timed part is only the click.
    const ids: string[] = [];
    for (let n = 0; n < 20_000; n++) ids.push(`r${n.toString(16).padStart(12, '0')}`);
    await Promise.all(ids.map((id) => store.create(request(id))));
    const click = async (i: number) => {
      const id = ids[i % ids.length]!;
      await store.addApproval(id, { userId: `U${i}`, name: 'Alice Admin', at: new Date().toISOString() });
      await store.transition(id, ['pending'], 'approving', { decision: { by: [{ userId: `U${i}`, name: 'Alice Admin' }], at: new Date().toISOString() } });
      await store.once(id, `bench-${i}`);
      await store.get(id);
    };
    // Baseline: the same number of round trips (4), each a bare PING.
    const baseline = async () => {
      await redis.ping();
      await redis.ping();
      await redis.ping();
      await redis.ping();
    };
    console.log(
      `approval-path: ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}, Redis at ${redis.options.host}:${redis.options.port}`,
    );
    console.log('| concurrency | clicks/s (csrbot store) | 4 PINGs/s (baseline) | ratio |');
    console.log('|---:|---:|---:|---:|');
    for (const c of [1, 16]) {
      const base = await measure(baseline, c);
      const ours = await measure(click, c);
      console.log(`| ${c} | ${Math.round(ours).toLocaleString('en')} | ${Math.round(base).toLocaleString('en')} | ${(base / ours).toFixed(2)}x |`);
    }
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
