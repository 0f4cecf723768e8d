import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processDecision, recordDecision } from '../../../src/app/decide.js';
import { submitForm } from '../../../src/app/dm-intake.js';
import type { DecisionClick } from '../../../src/ports.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { intakeFlow, state, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

const click = (over: Partial<DecisionClick> & Pick<DecisionClick, 'requestId' | 'userId'>): DecisionClick => ({
  kind: 'approve',
  channel: 'CADMINS',
  clickId: '1700000000.000200',
  ...over,
});

describe('decision clicks: recorded before the ack, authorised in the decide job', () => {
  it('recording an Approve touches neither Slack nor the request: one decide job per click', async () => {
    const t = await submitted(pki);
    const callsBefore = t.chat.calls.length;
    await recordDecision(t.deps, click({ requestId: t.id, userId: people.alice.userId }));
    await recordDecision(t.deps, click({ requestId: t.id, userId: people.alice.userId }));
    expect(t.chat.calls.slice(callsBefore)).toEqual([]);
    expect((await state(t, t.id)).approvals).toEqual([]);
    expect(t.jobs.pending.filter((j) => j.kind === 'decide')).toEqual([{ kind: 'decide', requestId: t.id }]);
  });

  it('the job approves for an admin, and refuses a non-admin privately with the request unchanged', async () => {
    const t = await submitted(pki);
    await recordDecision(t.deps, click({ requestId: t.id, userId: people.mallory.userId }));
    await t.jobs.runAll({ decide: (_id, data) => processDecision(t.deps, data?.click), approve: async () => undefined, card: async () => undefined });
    expect(t.chat.ephemerals.at(-1)).toMatchObject({ userId: people.mallory.userId, channel: 'CADMINS', text: expect.stringContaining('Only csrbot admins') });
    expect((await state(t, t.id)).state).toBe('pending');
    await recordDecision(t.deps, click({ requestId: t.id, userId: people.alice.userId, clickId: '1700000001.000300' }));
    await t.jobs.runAll({ decide: (_id, data) => processDecision(t.deps, data?.click), approve: async () => undefined, card: async () => undefined });
    expect((await state(t, t.id)).state).toBe('approving');
  });

  it('a Deny click carries its reason to the job', async () => {
    const t = await submitted(pki);
    await recordDecision(t.deps, click({ kind: 'deny', requestId: t.id, userId: people.bob.userId, clickId: 'V123', reason: 'wrong team' }));
    await t.jobs.runAll({ decide: (_id, data) => processDecision(t.deps, data?.click), deny: async () => undefined, card: async () => undefined });
    expect(await state(t, t.id)).toMatchObject({ state: 'denying', decision: { reason: 'wrong team', by: [{ userId: people.bob.userId }] } });
  });

  it('a decide job without its click fails instead of deciding anything', async () => {
    const t = await submitted(pki);
    await expect(processDecision(t.deps, undefined)).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
  });
});

describe('the /cert request form carries the profile it was opened with', () => {
  it('its submission is checked without asking Slack again; a profile of someone else is ignored', async () => {
    const t = await submitted(pki);
    const flow = intakeFlow(t);
    const pem = pki.userKey().csrPem;
    const before = t.chat.calls.length;
    const mine = await submitForm(flow, { userId: 'UJANE', viewId: 'V9', pem, person: people.jane });
    expect(mine.kind).toBe('submitted');
    expect(t.chat.calls.slice(before)).not.toContain('person');
    await submitForm(flow, { userId: 'UJANE', viewId: 'V10', pem, person: { ...people.mallory } });
    expect(t.chat.calls.slice(before)).toContain('person');
  });
});
