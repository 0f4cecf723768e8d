import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { prepareDeny } from '../../../src/app/decide.js';
import { REASON_MAX_CHARS, receiveCsr, requestForm, submitDraft, submitForm, type IntakeFlow } from '../../../src/app/dm-intake.js';
import { defaultPolicyConfig } from '../../../src/domain/policy/index.js';
import { InMemoryDraftStore } from '../../support/fakes/in-memory-draft-store.js';
import { makeDeps, people, type TestDeps } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

function flow(): TestDeps & { flow: IntakeFlow; drafts: InMemoryDraftStore } {
  const t = makeDeps();
  const drafts = InMemoryDraftStore.create();
  const intake = { directory: t.chat, policy: { ...defaultPolicyConfig, allowedGroups: ['developers'] }, usernameRule: { kind: 'email-local-part' as const } };
  return { ...t, drafts, flow: { deps: t.deps, intake, drafts } };
}

const dm = (over: Partial<Parameters<typeof receiveCsr>[1]> = {}) => ({ userId: people.jane.userId, channel: 'DJANE', ts: '1700000000.000100', ...over });

describe('receiveCsr: a CSR sent in a DM', () => {
  it('a message without a CSR gets the how-to', async () => {
    const t = flow();
    await receiveCsr(t.flow, dm({ text: 'hello, how do I get access?' }));
    expect(t.chat.dmReplies).toEqual([{ channel: 'DJANE', reply: { kind: 'how-to' } }]);
  });

  it('a good pasted CSR becomes a draft with a summary; a redelivered event answers once', async () => {
    const t = flow();
    const key = pki.userKey();
    await receiveCsr(t.flow, dm({ text: key.csrPem }));
    await receiveCsr(t.flow, dm({ text: key.csrPem }));
    expect(t.chat.dmReplies).toHaveLength(1);
    const reply = t.chat.dmReplies[0]!.reply;
    expect(reply).toMatchObject({ kind: 'draft', username: 'jane', csr: { groups: ['developers'] }, lifetime: defaultPolicyConfig.lifetime });
    const draftId = (reply as { draftId: string }).draftId;
    expect(await t.drafts.get(draftId)).toMatchObject({ kubernetesUsername: 'jane', dmChannel: 'DJANE', requester: { userId: 'UJANE' } });
  });

  it('an uploaded file is read through the chat port; a bad one gets every problem with its fix', async () => {
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey('/CN=jane/O=system:masters').csrPem));
    await receiveCsr(t.flow, dm({ file: { id: 'F1', name: 'jane.csr' } }));
    const reply = t.chat.dmReplies[0]!.reply;
    expect(reply.kind).toBe('problems');
    expect((reply as { problems: string[] }).problems.join('\n')).toContain('system:masters');
    expect(t.drafts.drafts.size).toBe(0);
  });
});

describe('submitDraft: Submit on the DM summary', () => {
  async function drafted() {
    const t = flow();
    await receiveCsr(t.flow, dm({ text: pki.userKey().csrPem }));
    return { ...t, draftId: (t.chat.dmReplies[0]!.reply as { draftId: string }).draftId };
  }

  it('stores the request under the draft id, with the chosen lifetime and a capped reason, and enqueues its job', async () => {
    const t = await drafted();
    const outcome = await submitDraft(t.flow, { draftId: t.draftId, userId: 'UJANE', lifetimeSeconds: 3600, reason: `  ${'x'.repeat(2000)}  ` });
    expect(outcome.kind).toBe('submitted');
    const r = await t.store.get(t.draftId);
    expect(r).toMatchObject({ state: 'pending', lifetimeSeconds: 3600, dmChannel: 'DJANE' });
    expect(r!.reason).toHaveLength(REASON_MAX_CHARS);
    expect(t.jobs.enqueued).toEqual([{ kind: 'submit', requestId: t.draftId }]);
    // A second click (or a redelivered payload) lands on the same request.
    await submitDraft(t.flow, { draftId: t.draftId, userId: 'UJANE' });
    expect(t.jobs.enqueued).toHaveLength(1);
  });

  it("someone else's click, an expired draft and a lifetime above the policy change nothing", async () => {
    const t = await drafted();
    expect(await submitDraft(t.flow, { draftId: t.draftId, userId: 'UMALLORY' })).toEqual({ kind: 'not-yours' });
    expect(await submitDraft(t.flow, { draftId: 'gone', userId: 'UJANE' })).toEqual({ kind: 'expired' });
    expect(await submitDraft(t.flow, { draftId: t.draftId, userId: 'UJANE', lifetimeSeconds: 365 * 86400 })).toEqual({ kind: 'refused' });
    expect(t.chat.dmReplies.at(-1)!.reply.kind).toBe('problems');
    expect(await t.store.get(t.draftId)).toBeUndefined();
    expect(t.jobs.enqueued).toEqual([]);
  });
});

describe('requestForm / submitForm: /cert request', () => {
  it('the form shows the username and groups the requester may ask for', async () => {
    const t = flow();
    // The profile rides along in the modal, so its submission is checked without a users.info before the ack.
    expect(await requestForm(t.flow, 'UJANE')).toEqual({
      username: 'jane',
      groups: ['developers'],
      lifetime: defaultPolicyConfig.lifetime,
      person: expect.objectContaining({ userId: 'UJANE', teamId: 'T1' }),
    });
  });

  it('a refused CSR keeps the modal open with the problems; a good one is stored under an id from the view, once', async () => {
    const t = flow();
    const bad = await submitForm(t.flow, { userId: 'UJANE', viewId: 'V1', pem: 'not a csr' });
    expect(bad.kind).toBe('refused');
    const pem = pki.userKey().csrPem;
    const first = await submitForm(t.flow, { userId: 'UJANE', viewId: 'V2', pem, reason: 'on-call' });
    const again = await submitForm(t.flow, { userId: 'UJANE', viewId: 'V2', pem, reason: 'on-call' });
    expect(first.kind).toBe('submitted');
    expect(again).toEqual(first);
    expect(t.jobs.enqueued).toHaveLength(1);
  });
});

describe('prepareDeny: the Deny button', () => {
  it('asks an admin for a reason, and refuses a non-admin privately before any modal', async () => {
    const t = await submitted(pki);
    expect(await prepareDeny(t.deps, t.id, admin(people.alice))).toEqual({ kind: 'ask-reason', username: 'jane' });
    expect(await prepareDeny(t.deps, t.id, admin(people.mallory))).toEqual({ kind: 'refused' });
    expect(t.chat.ephemerals.at(-1)).toMatchObject({ userId: 'UMALLORY' });
  });
});
