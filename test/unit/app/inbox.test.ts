import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { answerDm, inboxPass, recordDm, type InboxFlow } from '../../../src/app/inbox.js';
import { defaultPolicyConfig } from '../../../src/domain/policy/index.js';
import { InMemoryDraftStore } from '../../support/fakes/in-memory-draft-store.js';
import { InMemoryEventInbox } from '../../support/fakes/in-memory-event-inbox.js';
import { makeDeps, people, type TestDeps } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

const GRACE_MS = 5 * 60_000;

function flow(): TestDeps & { flow: InboxFlow; inbox: InMemoryEventInbox } {
  const t = makeDeps();
  const inbox = InMemoryEventInbox.create();
  const intake = { directory: t.chat, policy: { ...defaultPolicyConfig, allowedGroups: ['developers'] }, usernameRule: { kind: 'email-local-part' as const } };
  return { ...t, inbox, flow: { deps: t.deps, intake, drafts: InMemoryDraftStore.create(), inbox } };
}

const event = { eventId: 'Ev1', teamId: 'T1', channel: 'DJANE', userId: people.jane.userId, ts: '1700000000.000100' };
const upload = { ...event, fileIds: ['F1'] };
const uploadedDm = { userId: event.userId, channel: event.channel, ts: event.ts, file: { id: 'F1', name: 'jane.csr' } };
const summaries = (t: TestDeps) => t.chat.dmReplies.filter((r) => r.reply.kind === 'draft');

describe('the DM inbox: events durable before the ack', () => {
  it('an answered event closes its entry; a redelivery of it (same message) is neither recorded nor answered again', async () => {
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey().csrPem));
    expect(await recordDm({ inbox: t.inbox, clock: t.clock }, upload)).toBe(true);
    await answerDm(t.flow, uploadedDm);
    expect(await recordDm({ inbox: t.inbox, clock: t.clock }, { ...upload, eventId: 'Ev1' })).toBe(false);
    await answerDm(t.flow, uploadedDm);
    expect(summaries(t)).toHaveLength(1);
    t.clock.advance(GRACE_MS + 1);
    expect(await inboxPass(t.flow, GRACE_MS).run(t.clock.now())).toEqual({ open: 0, answered: 0, dropped: 0, failed: 0 });
    expect(summaries(t)).toHaveLength(1);
  });

  it('an event acked but never answered (the process died) is answered by the pass once the grace period is over, once', async () => {
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey().csrPem));
    t.chat.dmMessages.set('DJANE/1700000000.000100', { text: '' });
    await recordDm({ inbox: t.inbox, clock: t.clock }, upload);
    const pass = inboxPass(t.flow, GRACE_MS);
    // Still within the grace period: the first answer may be under way.
    t.clock.advance(GRACE_MS - 1000);
    expect(await pass.run(t.clock.now())).toEqual({ open: 0, answered: 0, dropped: 0, failed: 0 });
    t.clock.advance(2000);
    expect(await pass.run(t.clock.now())).toEqual({ open: 1, answered: 1, dropped: 0, failed: 0 });
    expect(summaries(t)).toHaveLength(1);
    expect(summaries(t)[0]).toMatchObject({ channel: 'DJANE', reply: { username: 'jane' } });
    expect(await pass.run(t.clock.now())).toEqual({ open: 0, answered: 0, dropped: 0, failed: 0 });
    expect(summaries(t)).toHaveLength(1);
  });

  it('a summary that failed to post after the draft was stored is still posted by the pass', async () => {
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey().csrPem));
    t.chat.dmMessages.set('DJANE/1700000000.000100', { text: '' });
    await recordDm({ inbox: t.inbox, clock: t.clock }, upload);
    t.chat.failNext('replyInDm');
    await expect(answerDm(t.flow, uploadedDm)).rejects.toThrow('replyInDm failed');
    expect(t.flow.drafts instanceof InMemoryDraftStore && t.flow.drafts.drafts.size).toBe(1);
    t.clock.advance(GRACE_MS + 1);
    expect(await inboxPass(t.flow, GRACE_MS).run(t.clock.now())).toMatchObject({ answered: 1 });
    expect(summaries(t)).toHaveLength(1);
  });

  it('a redelivery while the first answer is still posting leaves the entry open: if that answer dies, the pass posts the summary', async () => {
    // Found by the short chaos run: the first answer stored the draft and was waiting out a 429 storm on
    // chat.postMessage; Slack's redelivery of the same event found the draft, took the summary as posted and closed
    // the entry; then the replica was SIGKILLed and the upload was never answered.
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey().csrPem));
    t.chat.dmMessages.set('DJANE/1700000000.000100', { text: '' });
    await recordDm({ inbox: t.inbox, clock: t.clock }, upload);
    t.chat.failNext('replyInDm'); // the first answer dies after storing the draft, before its summary is out
    await expect(answerDm(t.flow, uploadedDm)).rejects.toThrow('replyInDm failed');
    expect(await recordDm({ inbox: t.inbox, clock: t.clock }, upload)).toBe(false);
    await answerDm(t.flow, uploadedDm); // the redelivery: the draft exists, so it posts nothing itself
    expect(summaries(t)).toHaveLength(0);
    t.clock.advance(GRACE_MS + 1);
    expect(await inboxPass(t.flow, GRACE_MS).run(t.clock.now())).toEqual({ open: 1, answered: 1, dropped: 0, failed: 0 });
    expect(summaries(t)).toHaveLength(1);
  });

  it('a pasted CSR is read again from Slack (the inbox holds no text); a refusal is an answer too', async () => {
    const t = flow();
    t.chat.dmMessages.set('DJANE/1700000000.000100', { text: pki.userKey('/CN=jane/O=system:masters').csrPem });
    await recordDm({ inbox: t.inbox, clock: t.clock }, { ...event, fileIds: [] });
    t.clock.advance(GRACE_MS + 1);
    expect(await inboxPass(t.flow, GRACE_MS).run(t.clock.now())).toMatchObject({ answered: 1 });
    expect(t.chat.dmReplies).toHaveLength(1);
    expect(JSON.stringify(t.chat.dmReplies[0]!.reply)).toContain('system:masters');
    expect(await t.inbox.openBefore(t.clock.now().getTime(), 10)).toEqual([]);
  });

  it('a deleted message is dropped without an answer; a failing one stays open for the next pass and does not stop the others', async () => {
    const t = flow();
    t.chat.uploads.set('F1', new TextEncoder().encode(pki.userKey().csrPem));
    t.chat.dmMessages.set('DJANE/2.0', { text: '' });
    await recordDm({ inbox: t.inbox, clock: t.clock }, { ...event, ts: '1.0', fileIds: [] });
    await recordDm({ inbox: t.inbox, clock: t.clock }, { ...upload, ts: '2.0' });
    t.clock.advance(GRACE_MS + 1);
    t.chat.failNext('readUpload');
    const pass = inboxPass(t.flow, GRACE_MS);
    expect(await pass.run(t.clock.now())).toEqual({ open: 2, answered: 0, dropped: 1, failed: 1 });
    expect(t.chat.dmReplies).toHaveLength(0);
    expect(await pass.run(t.clock.now())).toEqual({ open: 1, answered: 1, dropped: 0, failed: 0 });
    expect(summaries(t)).toHaveLength(1);
  });

  it('gives up on an entry older than a day: the answer would be stale', async () => {
    const t = flow();
    t.chat.dmMessages.set('DJANE/1700000000.000100', { text: pki.userKey().csrPem });
    await recordDm({ inbox: t.inbox, clock: t.clock }, { ...event, fileIds: [] });
    t.clock.advance(24 * 3600_000 + 1);
    expect(await inboxPass(t.flow, GRACE_MS).run(t.clock.now())).toMatchObject({ answered: 0, dropped: 1 });
    expect(t.chat.dmReplies).toHaveLength(0);
  });
});
