import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { actOnCertificate } from '../../../src/app/certificate-actions.js';
import { drainReminders } from '../../../src/app/remind.js';
import { RedisAuditLog } from '../../../src/adapters/store/redis-audit-log.js';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/io.js';
import type { AuditEvent } from '../../../src/ports.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { cleanupPrefix, redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { issuedCertificate } from '../../unit/app/flow.js';

let redis: Redis;
let pki: TestPki;
const prefix = uniquePrefix('audit-export');

beforeAll(async () => {
  redis = new Redis(await redisUrlForTests());
  pki = TestPki.create();
});
afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  await redis.quit();
  pki.cleanup();
});

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    readFile: () => new Uint8Array(),
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { REDIS_URL: await redisUrlForTests(), REDIS_PREFIX: prefix },
  };
  return { code: await main(args, io), out, err };
}

describe('csrbot audit export', () => {
  it('writes a full flow as valid JSON Lines, one line per event, and as CSV', async () => {
    const audit = RedisAuditLog.create({ redis, prefix });
    // Requested, approved in Slack, issued; reminded; snoozed; renewal requested; then the renewal denied... and the old one dismissed.
    const t = await issuedCertificate(pki, 30, { audit });
    t.clock.set(new Date(t.notAfter - 7 * 86_400_000));
    await drainReminders(t.deps);
    const jane = { userId: people.jane.userId, channel: 'DJANE' };
    await actOnCertificate(t.flow, 'snooze', t.serial, jane);
    await actOnCertificate(t.flow, 'renew', t.serial, jane);
    await actOnCertificate(t.flow, 'dismiss', t.serial, jane);

    const { code, out, err } = await run(['audit', 'export', '--since', '7d']);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const events = out.map((line) => JSON.parse(line) as AuditEvent);
    expect(events.map((e) => e.type)).toEqual(['requested', 'approved', 'issued', 'reminded', 'snoozed', 'renewal-requested', 'dismissed']);
    expect(out).toHaveLength(await redis.xlen(`${prefix}:audit`));
    expect(events[1]).toMatchObject({ actor: people.alice.userId, via: 'slack', requestId: t.id });
    expect(events[2]).toMatchObject({ serial: t.serial, via: 'kubernetes' });
    for (const line of out) expect(line).not.toContain('\n');

    const csv = await run(['audit', 'export', '--format', 'csv']);
    expect(csv.out[0]).toBe('at,type,requestId,serial,actor,via,detail');
    expect(csv.out).toHaveLength(events.length + 1);
    expect(csv.out[2]).toContain(`,approved,${t.id},,${people.alice.userId},slack,`);
  });

  it('refuses a bad option with how to fix it', async () => {
    expect((await run(['audit', 'export', '--since', 'a week'])).err.join('')).toContain('is not a duration');
    expect((await run(['audit', 'export', '--format', 'xml'])).code).toBe(64);
    expect((await run(['audit', 'list'])).err.join('')).toContain('use "csrbot audit export"');
  });
});
