import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveRequest } from '../../../src/app/decide.js';
import { checkCsr, type IntakeDeps } from '../../../src/app/intake.js';
import { CsrbotError } from '../../../src/domain/errors.js';
import type { SlackPerson } from '../../../src/domain/lifecycle.js';
import { defaultPolicyConfig, kubernetesUsernameFor, parseUsernameMapping } from '../../../src/domain/policy/index.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, state, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** Alice's second account: another Slack id, the same Kubernetes identity under email-local-part. */
const alice2: SlackPerson = { userId: 'UALICE2', teamId: 'T1', name: 'alice2', email: 'alice@corp.example.com' };
const aliceK8s: SlackPerson = { ...people.alice, email: 'alice@example.com' };
const emailLocalPart = { kind: 'email-local-part' as const, allowedDomains: ['example.com', 'corp.example.com'] };

describe('the username mapping file', () => {
  it('refuses two Slack accounts mapped to one Kubernetes username, naming both', () => {
    const text = JSON.stringify({ U0JANE: 'jane', 'jane@partner.org': 'Jane', U0BOB: 'bob' });
    expect(() => parseUsernameMapping(text, 'users.json')).toThrow(/"Jane" is already the username of "U0JANE"/);
    expect(parseUsernameMapping(JSON.stringify({ U0JANE: 'jane', U0BOB: 'bob' })).size).toBe(2);
  });
});

describe('ALLOWED_EMAIL_DOMAINS', () => {
  it('an email outside the allowed domains yields no username', () => {
    const partner = { id: 'U0X', email: 'jane@partner.org' };
    let thrown: unknown;
    try {
      kubernetesUsernameFor(partner, { kind: 'email-local-part', allowedDomains: ['example.com'] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'USERNAME_DOMAIN_NOT_ALLOWED' });
    expect((thrown as CsrbotError).userMessage).toContain('jane@partner.org is not in a domain csrbot issues for (example.com)');
    expect(kubernetesUsernameFor({ id: 'U0J', email: 'Jane@Example.com' }, { kind: 'email-local-part', allowedDomains: ['example.com'] })).toBe('jane');
  });
});

describe('accounts that may not request', () => {
  const intake = (homeTeamId = 'T1'): IntakeDeps => ({
    directory: {
      person: () => Promise.reject(new Error('unused')),
      isDeactivated: () => Promise.reject(new Error('unused')),
      groupMembers: () => Promise.resolve([]),
      timeZone: () => Promise.reject(new Error('unused')),
    },
    policy: defaultPolicyConfig,
    usernameRule: { kind: 'email' },
    identity: { reserved: [], allowCsrbotPowers: false, homeTeamId },
  });
  const jane = { ...people.jane, email: 'jane@example.com' };
  it.each([
    ['a multi-channel guest', { guest: 'multi-channel' as const }, /multi-channel guest/],
    ['a single-channel guest', { guest: 'single-channel' as const }, /single-channel guest/],
    ['a user of another team (Slack Connect)', { teamId: 'TOTHER' }, /belongs to another workspace or organisation \(TOTHER\)/],
    ['a bot', { isBot: true }, /Bots and app users cannot request/],
    ['a deactivated user', { deleted: true }, /is deactivated/],
  ])('%s is refused with a message that says why', async (_what, over, message) => {
    const result = await checkCsr(intake(), pki.userKey('/CN=jane@example.com').csrPem, { ...jane, ...over });
    expect(result).toMatchObject({ ok: false });
    expect((result as { problems: string[] }).problems.join('\n')).toMatch(message);
  });

  it('a full member of the home team passes', async () => {
    expect(await checkCsr(intake(), pki.userKey('/CN=jane@example.com').csrPem, jane)).toMatchObject({ ok: true });
  });
});

describe('self-approval and the quorum compare Kubernetes identities', () => {
  it('an admin cannot approve a request for their own Kubernetes username from a second account', async () => {
    const t = await submitted(pki, {
      settings: { usernameRule: emailLocalPart, adminUsers: [alice2.userId, people.bob.userId] },
      request: { requester: aliceK8s, kubernetesUsername: 'alice' },
    });
    t.chat.addPerson(alice2);
    expect(await approveRequest(t.deps, t.id, admin(alice2))).toEqual({ kind: 'refused', code: 'SELF_APPROVAL_SAME_IDENTITY' });
    expect(t.chat.ephemerals.at(-1)?.text).toContain('which is yours too');
    expect((await state(t, t.id)).approvals).toEqual([]);
  });

  it('two accounts of one identity count once towards a quorum of 2', async () => {
    const t = await submitted(pki, {
      settings: { usernameRule: emailLocalPart, quorum: 2, adminUsers: [people.alice.userId, alice2.userId, people.bob.userId] },
    });
    t.chat.addPerson(aliceK8s);
    t.chat.addPerson(alice2);
    expect(await approveRequest(t.deps, t.id, admin(aliceK8s))).toMatchObject({ kind: 'recorded', approvals: 1 });
    expect(await approveRequest(t.deps, t.id, admin(alice2))).toMatchObject({ kind: 'recorded', approvals: 1, quorum: 2 });
    expect((await state(t, t.id)).state).toBe('pending');
    expect(await approveRequest(t.deps, t.id, admin(people.bob))).toEqual({ kind: 'decided' });
  });

  it('an approver removed from the admins before the quorum is reached does not count', async () => {
    const t = await submitted(pki, { settings: { quorum: 2, adminUsers: [], adminGroup: 'SADMINS' } });
    t.chat.setGroup('SADMINS', [people.alice.userId, people.bob.userId, people.gina.userId]);
    expect(await approveRequest(t.deps, t.id, admin(people.alice))).toMatchObject({ kind: 'recorded', approvals: 1 });
    t.chat.setGroup('SADMINS', [people.bob.userId, people.gina.userId]);
    expect(await approveRequest(t.deps, t.id, admin(people.bob))).toMatchObject({ kind: 'recorded', approvals: 1, quorum: 2 });
    expect((await state(t, t.id)).state).toBe('pending');
    expect(await approveRequest(t.deps, t.id, admin(people.gina))).toEqual({ kind: 'decided' });
    expect((await state(t, t.id)).decision?.by.map((d) => d.userId)).toEqual([people.bob.userId, people.gina.userId]);
  });

  it('an approver deactivated before the quorum is reached does not count', async () => {
    const t = await submitted(pki, { settings: { quorum: 2 } });
    expect(await approveRequest(t.deps, t.id, admin(people.alice))).toMatchObject({ kind: 'recorded', approvals: 1 });
    t.chat.addPerson({ ...people.alice, deleted: true });
    expect(await approveRequest(t.deps, t.id, admin(people.bob))).toMatchObject({ kind: 'recorded', approvals: 1 });
    expect((await state(t, t.id)).state).toBe('pending');
  });
});
