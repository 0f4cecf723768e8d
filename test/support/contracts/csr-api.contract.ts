/**
 * What every CsrApi must do, run against KubernetesCsrApi on the real control
 * plane (test/integration/kubernetes) and FakeCsrApi (test/unit), so the fake
 * the use-case tests rely on cannot drift from the cluster.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { inspectCertificate } from '../../../src/domain/certificate.js';
import { CLIENT_SIGNER } from '../../../src/domain/kubernetes-rules.js';
import type { CreateCsr, CsrApi, CsrEventType, CsrObject } from '../../../src/ports.js';
import { TestPki, type UserKey } from '../fakes/test-pki.js';

export interface CsrApiHarness {
  api: CsrApi;
  /** Someone else's CSR (kubectl create): the same request, without csrbot's label. */
  createUnmanaged(spec: CreateCsr): Promise<void>;
  /** kubectl delete csr (csrbot itself may not delete). */
  remove(name: string): Promise<void>;
  /** The signer answers an approved CSR. On a real cluster kube-controller-manager does it by itself. */
  sign(name: string, csrPem: string): Promise<void>;
  /** How long the signer and a watch may take to answer. */
  patienceMs: number;
  close(): Promise<void>;
}

const approval = { reason: 'CsrbotApproved', message: 'Approved in Slack by Alice (U0ALICE)' };
const denial = { reason: 'CsrbotDenied', message: 'Denied in Slack by Alice (U0ALICE): not on call' };

/** Polls `read` until it returns something (a read, not a proof of absence). */
async function eventually<T>(what: string, read: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function csrApiContract(name: string, open: () => Promise<CsrApiHarness>): void {
  describe(`CsrApi contract: ${name}`, () => {
    let pki: TestPki;
    let h: CsrApiHarness;
    let api: CsrApi;
    beforeAll(() => {
      pki = TestPki.create();
    });
    afterAll(() => pki.cleanup());
    beforeEach(async () => {
      h = await open();
      api = h.api;
    });
    afterEach(async () => {
      await h.close();
    });

    const uniqueName = (what: string) => `contract-${what}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const aSpec = (what: string, key: UserKey = pki.userKey('/CN=jane/O=dev-team')): CreateCsr => ({
      name: uniqueName(what),
      csrPem: key.csrPem,
      signerName: CLIENT_SIGNER,
      usages: ['client auth'],
      expirationSeconds: 3600,
      annotations: { 'csrbot.io/request-id': `req-${what}` },
    });

    /** Records the watch's events for the given CSRs. */
    function record(names: string[], filter: { name?: string; resourceVersion?: string }) {
      const events: Array<{ type: CsrEventType; csr: CsrObject }> = [];
      const w = api.watch(filter, (type, csr) => {
        if (names.includes(csr.name)) events.push({ type, csr });
      });
      const seen = (type: CsrEventType, csrName: string) =>
        eventually(`${type} ${csrName}`, () => (events.some((e) => e.type === type && e.csr.name === csrName) ? true : undefined), h.patienceMs);
      return { events, seen, stop: () => w.stop() };
    }

    it('create returns the CSR pending with its annotations, and get reads the same object', async () => {
      const spec = aSpec('create');
      const created = await api.create(spec);
      expect(created).toMatchObject({ name: spec.name, state: 'pending', annotations: spec.annotations });
      expect(created.decision).toBeUndefined();
      expect(created.certificatePem).toBeUndefined();
      expect(Date.parse(created.createdAt ?? '')).not.toBeNaN();
      expect(await api.get(spec.name)).toEqual(created);
    });

    it('create is idempotent for the same request; another request under that name is CSR_NAME_TAKEN', async () => {
      const spec = aSpec('idem');
      const first = await api.create(spec);
      expect(await api.create(spec)).toEqual(first);
      // A PEM with other line endings is the same request.
      expect(await api.create({ ...spec, csrPem: spec.csrPem.replace(/\n/g, '\r\n') })).toEqual(first);
      const other = pki.userKey('/CN=jane/O=dev-team');
      await expect(api.create({ ...spec, csrPem: other.csrPem })).rejects.toMatchObject({ code: 'CSR_NAME_TAKEN', details: { name: spec.name } });
      expect(await api.get(spec.name)).toEqual(first);
    });

    const expectation = (spec: CreateCsr, uid: string) => ({
      uid,
      csrPem: spec.csrPem,
      signerName: spec.signerName,
      usages: spec.usages,
      expirationSeconds: spec.expirationSeconds,
    });

    it('swap after the card: a CSR deleted and re-created under the name (cluster-ops/platform-admins) is never approved', async () => {
      const spec = aSpec('swap');
      const shown = await api.create(spec);
      expect(shown.uid).not.toBe('');
      await h.remove(spec.name);
      const evil = { ...spec, csrPem: pki.userKey('/CN=cluster-ops/O=platform-admins').csrPem };
      await h.createUnmanaged(evil);
      await expect(api.approve(spec.name, approval, expectation(spec, shown.uid))).rejects.toMatchObject({
        code: 'CSR_CONTENT_CHANGED',
        details: { name: spec.name, field: 'uid' },
      });
      // The same request bytes re-created by someone else (another uid, another creator) are refused too.
      await h.remove(spec.name);
      await h.createUnmanaged(spec);
      await expect(api.approve(spec.name, approval, expectation(spec, shown.uid))).rejects.toMatchObject({ code: 'CSR_CONTENT_CHANGED' });
      const now = await api.get(spec.name);
      expect(now?.state).toBe('pending');
      expect(now?.decision).toBeUndefined();
      // The object csrbot created, unchanged, is approved.
      const mine = aSpec('swap-ok');
      const created = await api.create(mine);
      expect(await api.approve(mine.name, approval, expectation(mine, created.uid))).toEqual({ changed: true });
    });

    it('pre-created name: an object csrbot did not create is never reused, even with the same request', async () => {
      for (const [what, over] of [
        ['same', {}],
        ['longer', { expirationSeconds: 365 * 86400 }],
      ] as const) {
        const spec = aSpec(`squat-${what}`);
        await h.createUnmanaged({ ...spec, ...over });
        await expect(api.create(spec)).rejects.toMatchObject({ code: 'CSR_NAME_TAKEN', details: { name: spec.name } });
        const squatted = await api.get(spec.name);
        expect(squatted?.state).toBe('pending');
        expect(squatted?.decision).toBeUndefined();
      }
    });

    it('get of a missing CSR is undefined; approving or denying it is CSR_NOT_FOUND', async () => {
      const missing = uniqueName('missing');
      expect(await api.get(missing)).toBeUndefined();
      await expect(api.approve(missing, approval)).rejects.toMatchObject({ code: 'CSR_NOT_FOUND' });
      await expect(api.deny(missing, denial)).rejects.toMatchObject({ code: 'CSR_NOT_FOUND' });
    });

    it('approve records the decision once: a second approve is a no-op, a deny after it CSR_ALREADY_DECIDED', async () => {
      const spec = aSpec('approve');
      await api.create(spec);
      expect(await api.approve(spec.name, approval)).toEqual({ changed: true });
      const approved = await api.get(spec.name);
      // The signer may already have issued.
      expect(['approved', 'issued']).toContain(approved?.state);
      expect(approved?.decision).toMatchObject({ type: 'Approved', ...approval });
      expect(Date.parse(approved?.decision?.at ?? '')).not.toBeNaN();

      expect(await api.approve(spec.name, { reason: 'CsrbotApproved', message: 'double click by Bob' })).toEqual({ changed: false });
      expect((await api.get(spec.name))?.decision).toMatchObject({ type: 'Approved', message: approval.message });
      await expect(api.deny(spec.name, denial)).rejects.toMatchObject({
        code: 'CSR_ALREADY_DECIDED',
        details: { name: spec.name, decision: 'approved', attempted: 'deny', by: approval.message },
      });
      expect((await api.get(spec.name))?.decision?.type).toBe('Approved');
    });

    it('deny records the decision with its message; approve after it is CSR_ALREADY_DECIDED; a second deny is a no-op', async () => {
      const spec = aSpec('deny');
      await api.create(spec);
      expect(await api.deny(spec.name, denial)).toEqual({ changed: true });
      const denied = await api.get(spec.name);
      expect(denied).toMatchObject({ state: 'denied', failureMessage: denial.message, decision: { type: 'Denied', ...denial } });
      await expect(api.approve(spec.name, approval)).rejects.toMatchObject({
        code: 'CSR_ALREADY_DECIDED',
        details: { name: spec.name, decision: 'denied', attempted: 'approve', by: denial.message },
      });
      expect(await api.deny(spec.name, { reason: 'CsrbotDenied', message: 'again' })).toEqual({ changed: false });
      expect(await api.get(spec.name)).toEqual(denied);
    });

    it("listManaged returns csrbot's CSRs, not others', with a resourceVersion to watch from", async () => {
      const mine = aSpec('mine');
      const theirs = aSpec('theirs');
      await api.create(mine);
      await h.createUnmanaged(theirs);
      const listed = await api.listManaged();
      const names = listed.items.map((c) => c.name);
      expect(names).toContain(mine.name);
      expect(names).not.toContain(theirs.name);
      expect(listed.items.find((c) => c.name === mine.name)).toEqual(await api.get(mine.name));
      expect(typeof listed.resourceVersion).toBe('string');
      expect(listed.resourceVersion).not.toBe('');
      // Someone else's CSR is still readable by name.
      expect((await api.get(theirs.name))?.state).toBe('pending');
    });

    it("a watch from the list's version reports ADDED, MODIFIED and DELETED for csrbot's CSRs only", async () => {
      const mine = aSpec('watched');
      const theirs = aSpec('unwatched');
      const { resourceVersion } = await api.listManaged();
      const w = record([mine.name, theirs.name], { resourceVersion });
      try {
        await h.createUnmanaged(theirs);
        await api.create(mine);
        await api.approve(mine.name, approval);
        await h.remove(theirs.name);
        await h.remove(mine.name);
        await w.seen('DELETED', mine.name);
      } finally {
        w.stop();
      }
      // Events arrive in the order of the changes: theirs, had it been reported, would be before mine's DELETED.
      expect(w.events.map((e) => e.csr.name)).not.toContain(theirs.name);
      expect(w.events[0]).toMatchObject({ type: 'ADDED', csr: { name: mine.name, state: 'pending', annotations: mine.annotations } });
      expect(w.events.some((e) => e.type === 'MODIFIED' && e.csr.decision?.type === 'Approved')).toBe(true);
      expect(w.events.at(-1)?.type).toBe('DELETED');
      expect(w.events.filter((e) => e.type === 'ADDED' || e.type === 'DELETED')).toHaveLength(2);
    });

    it('a watch without a version first replays the CSR as it is (ADDED); one with a name reports only that CSR', async () => {
      const a = aSpec('named');
      const b = aSpec('other');
      await api.create(a);
      await api.create(b);
      await api.approve(a.name, approval);
      const w = record([a.name, b.name], { name: a.name });
      try {
        await w.seen('ADDED', a.name);
        expect(w.events[0]?.csr.decision).toMatchObject({ type: 'Approved', ...approval });
        await api.deny(b.name, denial);
        await h.remove(b.name);
        await h.remove(a.name);
        await w.seen('DELETED', a.name);
      } finally {
        w.stop();
      }
      expect(w.events.map((e) => e.csr.name)).not.toContain(b.name);
    });

    it('the certificate appears once the signer answers, for the key in the request', async () => {
      const key = pki.userKey('/CN=jane/O=dev-team');
      const spec = aSpec('signed', key);
      await api.create(spec);
      await api.approve(spec.name, approval);
      await h.sign(spec.name, spec.csrPem);
      const issued = await eventually(
        'the certificate',
        async () => {
          const c = await api.get(spec.name);
          return c?.state === 'issued' ? c : undefined;
        },
        h.patienceMs,
      );
      expect(issued.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
      expect(inspectCertificate(issued.certificatePem ?? '').spkiFingerprint).toBe(key.summary.fingerprint);
      expect(issued.decision).toMatchObject({ type: 'Approved', ...approval });
      expect(issued.failureMessage).toBeUndefined();
    });
  });
}
