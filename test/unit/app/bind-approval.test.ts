import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approvalCard } from '../../../src/adapters/slack/blocks/approval-card.js';
import { approveRequest } from '../../../src/app/decide.js';
import { submitRequest } from '../../../src/app/submit.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { admin, newRequest, state, submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

describe('approval is bound to the CSR on the card', () => {
  it("records the created CSR's uid, and the name has a random part stored with the request", async () => {
    const t = await submitted(pki);
    const r = await state(t, t.id);
    expect(r.csrName).toMatch(/^csrbot-jane-req-0001-[0-9a-f]{10}$/);
    expect(r.csrUid).toBe(t.csrApi.object(r.csrName)!.uid);
    // A redelivered submission keeps the stored name: the chain of ids still holds.
    const again = await submitRequest(t.deps, newRequest(t.key));
    expect(again.request.csrName).toBe(r.csrName);
  });

  it('a CSR swapped under the name after the card is not approved: the request fails, the card says so, the admins are told', async () => {
    const t = await submitted(pki);
    const r = await state(t, t.id);
    const spec = t.csrApi.spec(r.csrName)!;
    t.csrApi.swap({ ...spec, csrPem: pki.userKey('/CN=cluster-ops/O=platform-admins').csrPem });
    expect(await approveRequest(t.deps, t.id, admin(people.alice))).toEqual({ kind: 'decided' });
    await t.jobs.runAll(t.handlers);
    const after = await state(t, t.id);
    expect(after.state).toBe('failed');
    expect(after.failure).toMatchObject({ code: 'CSR_CONTENT_CHANGED', details: { field: 'uid' } });
    expect(t.csrApi.object(r.csrName)!.state).toBe('pending');
    expect(t.csrApi.approvals).toEqual([]);
    expect(t.chat.adminMessages.join('\n')).toContain('is no longer the one on the card');
    const card = JSON.stringify(approvalCard(t.chat.cardUpdates.at(-1)!).blocks);
    expect(card).toContain(':x: Failed');
    expect(card).toContain('no longer the one on the card');
  });

  it('every approve carries the expectation: uid, request, signer, usages, lifetime', async () => {
    const t = makeDeps();
    const key = pki.userKey();
    await submitRequest(t.deps, newRequest(key));
    await t.jobs.runAll(t.handlers);
    const r = await state(t, 'req-0001');
    await approveRequest(t.deps, r.id, admin(people.alice));
    await t.jobs.runAll(t.handlers);
    expect(t.csrApi.approveExpectations).toEqual([
      { uid: r.csrUid, csrPem: key.csrPem, signerName: r.signerName, usages: ['client auth'], expirationSeconds: r.lifetimeSeconds },
    ]);
  });
});
