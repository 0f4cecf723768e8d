import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denyRequest } from '../../../src/app/decide.js';
import { submitForm, type IntakeFlow } from '../../../src/app/dm-intake.js';
import { isLoopbackUrl } from '../../../src/config/schema.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { parseCsr } from '../../../src/domain/csr/index.js';
import { defaultPolicyConfig } from '../../../src/domain/policy/index.js';
import { InMemoryDraftStore } from '../../support/fakes/in-memory-draft-store.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

function flow(limits?: { maxPendingPerUser: number; requestsPerHour: number }) {
  const t = makeDeps({ settings: limits ? { limits } : {} });
  const f: IntakeFlow = {
    deps: t.deps,
    intake: { directory: t.chat, policy: { ...defaultPolicyConfig, allowedGroups: ['developers'] }, usernameRule: { kind: 'email-local-part' } },
    drafts: InMemoryDraftStore.create(),
  };
  return { ...t, flow: f };
}

const keyBlock = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';

describe('the CSR size cap', () => {
  it('refuses a CSR above 16 KiB by default (300 OUs), naming the limit; a policy may raise it', () => {
    const subject = `/CN=jane${Array.from({ length: 300 }, (_, i) => `/OU=unit-${i}-${'x'.repeat(50)}`).join('')}`;
    const dir = mkdtempSync(join(tmpdir(), 'csrbot-big-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, env: { ...process.env, OPENSSL_CONF: '/dev/null' }, stdio: 'pipe' });
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'k.pem');
    openssl('req', '-new', '-key', 'k.pem', '-subj', subject, '-out', 'r.csr');
    const pem = readFileSync(join(dir, 'r.csr'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    let thrown: unknown;
    try {
      parseCsr(pem);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'CSR_TOO_LARGE', details: { limit: 16384 } });
    expect(parseCsr(pem, { maxCsrBytes: 65536 }).subject.commonName).toBe('jane');
  });
});

describe('per-user limits', () => {
  it('a requester with MAX_PENDING_PER_USER requests waiting gets a message, not another request', async () => {
    const t = flow({ maxPendingPerUser: 2, requestsPerHour: 100 });
    const pem = () => pki.userKey().csrPem;
    expect((await submitForm(t.flow, { userId: 'UJANE', viewId: 'V1', pem: pem() })).kind).toBe('submitted');
    expect((await submitForm(t.flow, { userId: 'UJANE', viewId: 'V2', pem: pem() })).kind).toBe('submitted');
    const third = await submitForm(t.flow, { userId: 'UJANE', viewId: 'V3', pem: pem() });
    expect(third).toEqual({ kind: 'refused', problems: [expect.stringContaining('You already have 2 requests waiting')] });
    // A redelivered submission of an existing request is not a new one.
    expect((await submitForm(t.flow, { userId: 'UJANE', viewId: 'V2', pem: pem() })).kind).toBe('submitted');
  });

  it('more than MAX_REQUESTS_PER_HOUR in an hour is refused until the hour has passed', async () => {
    const t = flow({ maxPendingPerUser: 100, requestsPerHour: 2 });
    for (const v of ['V1', 'V2']) expect((await submitForm(t.flow, { userId: 'UJANE', viewId: v, pem: pki.userKey().csrPem })).kind).toBe('submitted');
    expect(await submitForm(t.flow, { userId: 'UJANE', viewId: 'V3', pem: pki.userKey().csrPem })).toEqual({
      kind: 'refused',
      problems: [expect.stringContaining('You made 2 requests in the last hour')],
    });
    t.clock.advance(3601_000);
    expect((await submitForm(t.flow, { userId: 'UJANE', viewId: 'V4', pem: pki.userKey().csrPem })).kind).toBe('submitted');
  });

  it('defaults: 3 pending', async () => {
    const t = flow();
    for (const v of ['V1', 'V2', 'V3']) expect((await submitForm(t.flow, { userId: 'UJANE', viewId: v, pem: pki.userKey().csrPem })).kind).toBe('submitted');
    expect((await submitForm(t.flow, { userId: 'UJANE', viewId: 'V4', pem: pki.userKey().csrPem })).kind).toBe('refused');
  });
});

describe('key material in reasons', () => {
  it('a request reason holding a PRIVATE KEY block is refused with a message, and nothing is stored', async () => {
    const t = flow();
    const out = await submitForm(t.flow, { userId: 'UJANE', viewId: 'V1', pem: pki.userKey().csrPem, reason: `need access\n${keyBlock}` });
    expect(out).toEqual({ kind: 'refused', problems: [expect.stringContaining('The reason contains a PRIVATE KEY block')] });
    expect(t.jobs.enqueued).toEqual([]);
  });

  it('a deny reason holding one is refused privately; the request stays pending', async () => {
    const t = await submitted(pki);
    expect(await denyRequest(t.deps, t.id, admin(people.alice), keyBlock)).toEqual({ kind: 'refused', code: 'REASON_HAS_PRIVATE_KEY' });
    expect(t.chat.ephemerals.at(-1)).toMatchObject({ userId: people.alice.userId, text: expect.stringContaining('nothing was saved') });
    expect((await state(t, t.id)).state).toBe('pending');
    expect(await denyRequest(t.deps, t.id, admin(people.alice), 'the words PRIVATE KEY alone are fine')).toEqual({ kind: 'decided' });
  });
});

describe('SLACK_API_URL', () => {
  const valid = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_ADMIN_CHANNEL: 'C0ADMIN', SLACK_ADMIN_USERS: 'U0A' };
  it('must be https:// unless it is a loopback test server', () => {
    expect(() => loadConfig({ ...valid, SLACK_API_URL: 'http://slack.example.com/api/' })).toThrow(/SLACK_API_URL must use https:\/\//);
    expect(loadConfig({ ...valid, SLACK_API_URL: 'http://127.0.0.1:4000/api/' }).slack.apiUrl).toBe('http://127.0.0.1:4000/api/');
    expect(loadConfig({ ...valid, SLACK_API_URL: 'https://slack.example.com/api/' }).slack.apiUrl).toBe('https://slack.example.com/api/');
    expect(isLoopbackUrl('http://localhost:1/')).toBe(true);
    expect(isLoopbackUrl('http://127.0.0.1.evil.example/')).toBe(false);
  });
});
