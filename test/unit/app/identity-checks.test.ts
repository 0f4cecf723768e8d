import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { receiveCsr, submitDraft, type IntakeFlow } from '../../../src/app/dm-intake.js';
import type { IntakeDeps } from '../../../src/app/intake.js';
import { approvalCard } from '../../../src/adapters/slack/blocks/approval-card.js';
import { CsrbotError } from '../../../src/domain/errors.js';
import { defaultPolicyConfig } from '../../../src/domain/policy/index.js';
import type { Ability, Identity } from '../../../src/domain/privilege.js';
import type { PermissionsReview } from '../../../src/ports.js';
import { InMemoryDraftStore } from '../../support/fakes/in-memory-draft-store.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** A PermissionsReview answering from a table: group or username -> abilities. */
function review(grants: Record<string, Ability[]>, asked: Identity[] = []): PermissionsReview {
  return {
    preview: (identity) => {
      asked.push(identity);
      const abilities = [identity.username, ...identity.groups].flatMap((k) => grants[k] ?? []);
      return Promise.resolve({ identity, abilities: [...new Set(abilities)] });
    },
  };
}

function flow(intake: Partial<IntakeDeps> = {}, settings = {}) {
  const t = makeDeps({ settings });
  const drafts = InMemoryDraftStore.create();
  const deps: IntakeDeps = {
    directory: t.chat,
    policy: { ...defaultPolicyConfig, allowedGroups: ['developers', 'platform-admins', 'csr-approvers'] },
    usernameRule: { kind: 'email-local-part' },
    ...intake,
  };
  const f: IntakeFlow = { deps: t.deps, intake: deps, drafts };
  return { ...t, drafts, flow: f };
}

async function send(t: ReturnType<typeof flow>, subject: string, ts = '1700000000.000100') {
  await receiveCsr(t.flow, { userId: people.jane.userId, channel: 'DJANE', ts, text: pki.userKey(subject).csrPem });
  return t.chat.dmReplies.at(-1)!.reply;
}

const problemsOf = (reply: unknown) => ((reply as { problems?: string[] }).problems ?? []).join('\n');

describe('reserved identities', () => {
  it("a request for csrbot's own username is refused, whatever the case", async () => {
    const t = flow({
      usernameRule: { kind: 'mapping', mapping: new Map([['UJANE', 'CSRBot']]) },
      identity: { self: 'csrbot', reserved: [], allowCsrbotPowers: false },
    });
    const reply = await send(t, '/CN=CSRBot');
    expect(reply.kind).toBe('problems');
    expect(problemsOf(reply)).toContain("csrbot's own identity");
    expect(t.drafts.drafts.size).toBe(0);
  });

  it('a username on RESERVED_USERNAMES is refused; others pass', async () => {
    const t = flow({ identity: { reserved: ['jane', 'break-glass'], allowCsrbotPowers: false } });
    expect(problemsOf(await send(t, '/CN=jane'))).toContain('RESERVED_USERNAMES');
    const other = flow({ identity: { reserved: ['break-glass'], allowCsrbotPowers: false } });
    expect((await send(other, '/CN=jane')).kind).toBe('draft');
  });
});

describe('the permission preview at intake', () => {
  it('asks for the username and the requested groups, and records the answer on the request', async () => {
    const asked: Identity[] = [];
    const t = flow({ permissions: review({ developers: ['read-secrets'] }, asked) });
    const reply = await send(t, '/CN=jane/O=developers');
    expect(reply).toMatchObject({ kind: 'draft', csr: { permissions: { abilities: ['read-secrets'] } } });
    expect(asked).toEqual([{ username: 'jane', groups: ['developers'] }]);
  });

  it("refuses an identity that would hold csrbot's own approve powers, unless ALLOW_CSRBOT_POWERS", async () => {
    const grants: Record<string, Ability[]> = { 'csr-approvers': ['approve-signers', 'update-csr-approval'] };
    const t = flow({ permissions: review(grants), identity: { reserved: [], allowCsrbotPowers: false } });
    const reply = await send(t, '/CN=jane/O=csr-approvers');
    expect(reply.kind).toBe('problems');
    expect(problemsOf(reply)).toMatch(/would be able to approve certificates/);
    const allowed = flow({ permissions: review(grants), identity: { reserved: [], allowCsrbotPowers: true } });
    expect((await send(allowed, '/CN=jane/O=csr-approvers')).kind).toBe('draft');
  });

  it('a cluster that does not answer at intake leaves it unchecked, never "none": the submit job asks again and waits out the outage', async () => {
    let down = true;
    const grants: Record<string, Ability[]> = { 'platform-admins': ['cluster-admin'] };
    const up = review(grants);
    const flaky: PermissionsReview = {
      preview: (i) => (down ? Promise.reject(new CsrbotError('CLUSTER_UNREACHABLE', { server: 'https://k8s' })) : up.preview(i)),
    };
    const t = flow({ permissions: flaky, identity: { reserved: [], allowCsrbotPowers: true } }, { allowCsrbotPowers: true });
    t.deps.permissions = flaky;
    const reply = await send(t, '/CN=jane/O=platform-admins');
    expect(reply.kind).toBe('draft');
    expect((reply as { csr: { permissions?: unknown } }).csr.permissions).toBeUndefined();
    const outcome = await submitDraft(t.flow, { draftId: (reply as { draftId: string }).draftId, userId: 'UJANE' });
    if (outcome.kind !== 'submitted') throw new Error(outcome.kind);
    await expect(t.handlers.submit!(outcome.request.id)).rejects.toMatchObject({ code: 'CLUSTER_UNREACHABLE' });
    expect(t.csrApi.names).toEqual([]);
    down = false;
    await t.handlers.submit!(outcome.request.id);
    const r = await t.store.get(outcome.request.id);
    expect(r).toMatchObject({ quorum: 2, csr: { permissions: { abilities: ['cluster-admin'] } } });
    expect(t.csrApi.names).toEqual([r!.csrName]);
    expect(JSON.stringify(approvalCard(r!).blocks)).toContain('(cluster-admin)');
  });

  it("the submit job refuses csrbot's own powers too, when intake could not check them", async () => {
    let down = true;
    const up = review({ 'csr-approvers': ['approve-signers', 'update-csr-approval'] });
    const flaky: PermissionsReview = { preview: (i) => (down ? Promise.reject(new CsrbotError('CLUSTER_TIMEOUT', {})) : up.preview(i)) };
    const t = flow({ permissions: flaky, identity: { reserved: [], allowCsrbotPowers: false } });
    t.deps.permissions = flaky;
    const reply = await send(t, '/CN=jane/O=csr-approvers');
    const outcome = await submitDraft(t.flow, { draftId: (reply as { draftId: string }).draftId, userId: 'UJANE' });
    if (outcome.kind !== 'submitted') throw new Error(outcome.kind);
    down = false;
    await t.handlers.submit!(outcome.request.id);
    expect(await t.store.get(outcome.request.id)).toMatchObject({ state: 'failed', failure: { code: 'IDENTITY_HOLDS_CSRBOT_POWERS' } });
    expect(t.csrApi.names).toEqual([]);
  });

  it('cluster-admin level needs a quorum of 2 by default (CLUSTER_ADMIN_QUORUM), others keep APPROVAL_QUORUM', async () => {
    const grants: Record<string, Ability[]> = { 'platform-admins': ['cluster-admin', 'read-secrets'] };
    for (const [subject, quorum, settings] of [
      ['/CN=jane/O=platform-admins', 2, {}],
      ['/CN=jane/O=platform-admins', 3, { clusterAdminQuorum: 3 }],
      ['/CN=jane/O=developers', 1, {}],
    ] as const) {
      const t = flow({ permissions: review(grants), identity: { reserved: [], allowCsrbotPowers: true } }, settings);
      const reply = await send(t, subject);
      const outcome = await submitDraft(t.flow, { draftId: (reply as { draftId: string }).draftId, userId: 'UJANE' });
      expect(outcome).toMatchObject({ kind: 'submitted', request: { quorum } });
    }
  });
});

describe('the permission preview on the card', () => {
  async function card(grants: Record<string, Ability[]>, subject: string) {
    const t = flow({ permissions: review(grants), identity: { reserved: [], allowCsrbotPowers: true } });
    const reply = await send(t, subject);
    const outcome = await submitDraft(t.flow, { draftId: (reply as { draftId: string }).draftId, userId: 'UJANE' });
    if (outcome.kind !== 'submitted') throw new Error(`not submitted: ${outcome.kind}`);
    return JSON.stringify(approvalCard(outcome.request).blocks);
  }

  it('says "none … cluster-wide" with the namespaced caveat when nothing sensitive is held', async () => {
    const text = await card({}, '/CN=jane');
    expect(text).toContain('none of the checked abilities cluster-wide (namespaced grants are not visible to this check)');
  });

  it('lists what the identity could do and flags the dangerous ones', async () => {
    const text = await card({ 'platform-admins': ['cluster-admin', 'read-secrets'] }, '/CN=jane/O=platform-admins');
    expect(text).toContain('This identity would be able to:');
    expect(text).toContain(':rotating_light: everything in every API group (cluster-admin)');
    expect(text).toContain(':warning: read Secrets');
  });
});
