/**
 * What every RequestStore must do, run against RedisRequestStore and
 * InMemoryRequestStore so the fake the use-case tests rely on cannot drift
 * from the real thing.
 */
import { describe, expect, it, beforeEach, afterEach } from '@jest/globals';
import type { CertificateRequest, IssuedCertificate } from '../../../src/domain/lifecycle.js';
import type { RequestStore } from '../../../src/ports.js';

export interface StoreHarness {
  store: RequestStore;
  close(): Promise<void>;
}

let seq = 0;
export function aRequest(overrides: Partial<CertificateRequest> = {}): CertificateRequest {
  seq += 1;
  const id = `req${Date.now().toString(36)}${seq}`;
  return {
    id,
    csrName: `csrbot-jane-${id}`,
    state: 'pending',
    requester: { userId: 'U01JANE', teamId: 'T01', name: 'jane', realName: 'Jane Doe', email: 'jane@example.com' },
    kubernetesUsername: 'jane',
    csr: {
      pem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
      commonName: 'jane',
      groups: [],
      keyDescription: 'ECDSA P-256',
      fingerprint: 'ab:cd',
      warnings: [],
    },
    signerName: 'kubernetes.io/kube-apiserver-client',
    lifetimeSeconds: 86_400,
    createdAt: '2025-01-01T00:00:00.000Z',
    approvals: [],
    quorum: 1,
    ...overrides,
  };
}

export function anIssuedCertificate(overrides: Partial<IssuedCertificate> = {}): IssuedCertificate {
  return {
    serial: `5f${Math.random().toString(16).slice(2, 10)}`,
    fingerprint: 'sha256:00',
    notBefore: '2025-01-01T00:00:00.000Z',
    notAfter: '2025-01-02T00:00:00.000Z',
    subject: 'CN=jane',
    username: 'jane',
    groups: [],
    ...overrides,
  };
}

export function requestStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`RequestStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: RequestStore;
    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await h.close();
    });

    it('round-trips a request exactly, empty arrays and optional fields included', async () => {
      const req = aRequest({ reason: 'on-call', csr: { ...aRequest().csr, groups: [], warnings: [] } });
      const { created, request } = await store.create(req);
      expect(created).toBe(true);
      expect(request).toEqual(req);
      expect(await store.get(req.id)).toEqual(req);
      expect((await store.get(req.id))?.csr.groups).toEqual([]);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.get('nope')).toBeUndefined();
    });

    it('creates once: a second create returns the stored record, not the new one', async () => {
      const req = aRequest();
      await store.create(req);
      const again = await store.create({ ...req, reason: 'different' });
      expect(again.created).toBe(false);
      expect(again.request.reason).toBeUndefined();
    });

    it('creates once under concurrency: 20 concurrent creates, exactly one created', async () => {
      const req = aRequest();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create({ ...req, reason: `r${i}` })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)?.request.reason;
      for (const r of results) expect(r.request.reason).toBe(winner);
    });

    it('transitions only from a listed state, applying the patch', async () => {
      const req = aRequest();
      await store.create(req);
      expect(await store.transition(req.id, ['approved'], 'issued')).toBeUndefined();
      const by = [{ userId: 'U02BOSS', name: 'Boss' }];
      const decided = await store.transition(req.id, ['pending'], 'approving', { decision: { by, at: '2025-01-01T00:01:00Z' } });
      expect(decided?.state).toBe('approving');
      expect(decided?.decision).toEqual({ by, at: '2025-01-01T00:01:00Z' });
      expect(await store.transition(req.id, ['pending'], 'denied')).toBeUndefined();
      expect((await store.get(req.id))?.state).toBe('approving');
    });

    it('transition on an unknown id is undefined', async () => {
      expect(await store.transition('unknown', ['pending'], 'approved')).toBeUndefined();
    });

    it('has exactly one winner among 20 concurrent transitions', async () => {
      const req = aRequest();
      await store.create(req);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transition(req.id, ['pending'], i % 2 ? 'approving' : 'denying', {
            decision: { by: [{ userId: `U${i}`, name: `n${i}` }], at: '2025-01-01T00:00:00Z' },
          }),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      const stored = await store.get(req.id);
      expect(stored?.state).toBe(winners[0]?.state);
      expect(stored?.decision).toEqual(winners[0]?.decision);
    });

    it('refuses an illegal transition as a bug, not as a lost race', async () => {
      const req = aRequest();
      await store.create(req);
      await expect(store.transition(req.id, ['denied'], 'approved')).rejects.toThrow(/Illegal transition/);
      await expect(store.transition(req.id, [], 'approved')).rejects.toThrow(/from/);
    });

    it('update sets and removes fields but never the state', async () => {
      const req = aRequest({ failure: { code: 'ISSUANCE_TIMEOUT', details: { name: 'old' } } });
      await store.create(req);
      const updated = await store.update(req.id, { card: { channel: 'C01', ts: '1.2' }, dmChannel: 'D01', failure: undefined });
      expect(updated.card).toEqual({ channel: 'C01', ts: '1.2' });
      expect(updated.dmChannel).toBe('D01');
      expect('failure' in updated).toBe(false);
      expect(await store.get(req.id)).toEqual(updated);
      await expect(store.update(req.id, { state: 'approved' })).rejects.toThrow(/state/);
      await expect(store.transition(req.id, ['pending'], 'approved', { state: 'denied' })).rejects.toThrow(/state/);
      await expect(store.update(req.id, { approvals: [] })).rejects.toThrow(/addApproval/);
      await expect(store.update('unknown', { dmChannel: 'D01' })).rejects.toThrow(/no request/);
      expect((await store.get(req.id))?.state).toBe('pending');
    });

    it('counts each approver once, returns approvals oldest first, also on the record', async () => {
      const req = aRequest({ quorum: 2 });
      await store.create(req);
      await store.addApproval(req.id, { userId: 'U2', name: 'bob', at: '2025-01-01T00:02:00Z' });
      const again = await store.addApproval(req.id, { userId: 'U2', name: 'bob', at: '2025-01-01T00:09:00Z' });
      expect(again).toEqual([{ userId: 'U2', name: 'bob', at: '2025-01-01T00:02:00Z' }]);
      const all = await store.addApproval(req.id, { userId: 'U1', name: 'amy', at: '2025-01-01T00:01:00Z' });
      expect(all.map((a) => a.userId)).toEqual(['U1', 'U2']);
      expect((await store.get(req.id))?.approvals).toEqual(all);
      await expect(store.addApproval('unknown', { userId: 'U1', name: 'amy', at: 'x' })).rejects.toThrow(/no request/);
    });

    it('counts an approver once under concurrency', async () => {
      const req = aRequest();
      await store.create(req);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.addApproval(req.id, { userId: `U${i % 3}`, name: 'x', at: `2025-01-01T00:00:${String(i).padStart(2, '0')}Z` }),
        ),
      );
      const final = results.reduce((a, b) => (a.length >= b.length ? a : b));
      expect(final.map((a) => a.userId).sort()).toEqual(['U0', 'U1', 'U2']);
    });

    it('once() is true for the first caller only, also under concurrency', async () => {
      const req = aRequest();
      await store.create(req);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.once(req.id, 'announce-approved')));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.once(req.id, 'announce-approved')).toBe(false);
      expect(await store.once(req.id, 'deliver')).toBe(true);
    });

    it('forget() clears a once() flag so a failed step can be retried', async () => {
      const req = aRequest();
      await store.create(req);
      expect(await store.once(req.id, 'deliver')).toBe(true);
      await store.forget(req.id, 'deliver');
      await store.forget(req.id, 'never-set');
      expect(await store.once(req.id, 'deliver')).toBe(true);
      expect(await store.once(req.id, 'deliver')).toBe(false);
    });

    it('saveIssued puts the certificate on the request', async () => {
      const req = aRequest();
      await store.create(req);
      const cert = anIssuedCertificate();
      await store.saveIssued(req.id, cert);
      expect((await store.get(req.id))?.issued).toEqual(cert);
      await expect(store.saveIssued('unknown', cert)).rejects.toThrow(/no request/);
      // Reminders will schedule from notAfter: a record without a readable one is refused, and the stored one stays.
      await expect(store.saveIssued(req.id, anIssuedCertificate({ notAfter: 'soon' }))).rejects.toThrow(/not a date/);
      expect((await store.get(req.id))?.issued).toEqual(cert);
    });

    it('refuses to store anything containing a PRIVATE KEY', async () => {
      const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
      const req = aRequest();
      await expect(store.create({ ...req, reason: key })).rejects.toThrow(/PRIVATE KEY/);
      expect(await store.get(req.id)).toBeUndefined();
      await store.create(req);
      await expect(store.update(req.id, { failure: { code: 'CSR_SIGNING_FAILED', details: { message: `-----BEGIN EC PRIVATE KEY-----` } } })).rejects.toThrow(
        /PRIVATE KEY/,
      );
      await expect(store.transition(req.id, ['pending'], 'failed', { failure: { code: 'CSR_SIGNING_FAILED', details: { message: key } } })).rejects.toThrow(
        /PRIVATE KEY/,
      );
      await expect(store.addApproval(req.id, { userId: 'U1', name: key, at: 'x' })).rejects.toThrow(/PRIVATE KEY/);
      await expect(store.saveIssued(req.id, anIssuedCertificate({ subject: key }))).rejects.toThrow(/PRIVATE KEY/);
      expect(await store.get(req.id)).toEqual(req);
    });

    it('counts open requests and knows since when the oldest has waited, for the metrics', async () => {
      expect(await store.openRequests()).toEqual({ pending: { count: 0 }, approved: { count: 0 } });
      const older = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
      const newer = aRequest({ createdAt: '2025-01-01T01:00:00.000Z' });
      await store.create(newer);
      await store.create(older);
      await store.create({ ...older, createdAt: '2024-01-01T00:00:00.000Z' }); // not created again: counts once, keeps its time
      expect(await store.openRequests()).toEqual({
        pending: { count: 2, oldestSince: new Date('2025-01-01T00:00:00.000Z') },
        approved: { count: 0 },
      });

      // Approving: decided in Slack, waiting for the cluster since the decision, no longer waiting for admins.
      const by = [{ userId: 'U02BOSS', name: 'Boss' }];
      await store.transition(older.id, ['pending'], 'approving', { decision: { by, at: '2025-01-02T00:00:00.000Z' } });
      expect(await store.openRequests()).toEqual({
        pending: { count: 1, oldestSince: new Date('2025-01-01T01:00:00.000Z') },
        approved: { count: 1, oldestSince: new Date('2025-01-02T00:00:00.000Z') },
      });
      // Approved in the cluster: still waiting for the cluster (the signer), counted once.
      await store.transition(older.id, ['approving'], 'approved', { decision: { by, at: '2025-01-02T00:00:00.000Z' } });
      expect((await store.openRequests()).approved.count).toBe(1);

      // A lost race changes nothing; final states leave the indexes.
      expect(await store.transition(older.id, ['pending'], 'denied')).toBeUndefined();
      await store.transition(older.id, ['approved'], 'issued');
      await store.transition(newer.id, ['pending'], 'denied', { decision: { by: [], outside: 'kubectl', at: '2025-01-02T00:00:00.000Z' } });
      expect(await store.openRequests()).toEqual({ pending: { count: 0 }, approved: { count: 0 } });
    });

    it('lists the open requests that entered their state before a time, oldest first: what the sweep re-drives', async () => {
      const a = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
      const b = aRequest({ createdAt: '2025-01-01T02:00:00.000Z' });
      const c = aRequest({ createdAt: '2025-01-01T01:00:00.000Z' });
      for (const r of [a, b, c]) await store.create(r);
      expect(await store.openSince('pending', new Date('2025-01-01T01:30:00.000Z'), 10)).toEqual([
        { id: a.id, since: new Date('2025-01-01T00:00:00.000Z') },
        { id: c.id, since: new Date('2025-01-01T01:00:00.000Z') },
      ]);
      expect(await store.openSince('pending', new Date('2025-01-01T03:00:00.000Z'), 1)).toEqual([{ id: a.id, since: new Date('2025-01-01T00:00:00.000Z') }]);
      // The same write that wins the decision moves it to the other index: no moment where it is in neither.
      await store.transition(a.id, ['pending'], 'approving', { decision: { by: [{ userId: 'U1', name: 'n' }], at: '2025-01-01T00:30:00.000Z' } });
      expect(await store.openSince('approved', new Date('2025-01-02T00:00:00.000Z'), 10)).toEqual([{ id: a.id, since: new Date('2025-01-01T00:30:00.000Z') }]);
      expect((await store.openSince('pending', new Date('2025-01-02T00:00:00.000Z'), 10)).map((o) => o.id)).toEqual([c.id, b.id]);
    });

    it('puts a request that reaches a final state in the unannounced outbox, by the same write, until announced()', async () => {
      const a = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
      const b = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
      for (const r of [a, b]) await store.create(r);
      const later = () => new Date(Date.now() + 60_000);
      // Open states are the open indexes' business, not the outbox's.
      await store.transition(a.id, ['pending'], 'approving', { decision: { by: [{ userId: 'U1', name: 'n' }], at: '2025-01-01T00:30:00.000Z' } });
      expect(await store.unannounced(later(), 10)).toEqual([]);
      const before = Date.now();
      await store.transition(b.id, ['pending'], 'denied', { decision: { by: [], outside: 'kubectl', at: '2025-01-01T00:30:00.000Z' } });
      const listed = await store.unannounced(later(), 10);
      expect(listed.map((o) => o.id)).toEqual([b.id]);
      // Scored by when it became final (now), not by the decision's time: the grace runs from the state change.
      expect(listed[0]!.since.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await store.unannounced(new Date(before - 60_000), 10)).toEqual([]);
      await store.transition(a.id, ['approving'], 'approved');
      await store.transition(a.id, ['approved'], 'issued');
      expect((await store.unannounced(later(), 10)).map((o) => o.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.unannounced(later(), 1)).toHaveLength(1);
      await store.announced(b.id);
      expect((await store.unannounced(later(), 10)).map((o) => o.id)).toEqual([a.id]);
      // A lost race writes nothing.
      expect(await store.transition(b.id, ['pending'], 'denied')).toBeUndefined();
      expect((await store.unannounced(later(), 10)).map((o) => o.id)).toEqual([a.id]);
    });

    it('lists the open requests themselves, longest-waiting first, for the views and the pending pass', async () => {
      expect(await store.listOpen()).toEqual([]);
      const older = aRequest({ createdAt: '2025-01-01T00:00:00.000Z' });
      const newer = aRequest({ createdAt: '2025-01-01T01:00:00.000Z' });
      const done = aRequest({ createdAt: '2024-12-31T00:00:00.000Z' });
      await store.create(newer);
      await store.create(older);
      await store.create(done);
      await store.transition(done.id, ['pending'], 'denied', { decision: { by: [], outside: 'kubectl', at: '2025-01-01T00:00:00.000Z' } });
      expect((await store.listOpen()).map((r) => r.id)).toEqual([older.id, newer.id]);
      // Waiting for the cluster counts as open too, since its decision.
      const by = [{ userId: 'U02BOSS', name: 'Boss' }];
      await store.transition(older.id, ['pending'], 'approving', { decision: { by, at: '2025-01-02T00:00:00.000Z' } });
      const open = await store.listOpen();
      expect(open.map((r) => [r.id, r.state])).toEqual([
        [newer.id, 'pending'],
        [older.id, 'approving'],
      ]);
      expect(open[1]).toEqual(await store.get(older.id));
    });

    it("counts one requester's requests since a time, and those pending now, for the per-user limits", async () => {
      const who = `U0LIM${Date.now().toString(36).toUpperCase()}`;
      const requester = { userId: who, teamId: 'T01', name: 'lim' };
      const old = aRequest({ requester, createdAt: '2025-01-01T00:00:00.000Z' });
      const recent = aRequest({ requester, createdAt: '2025-01-01T05:00:00.000Z' });
      const someoneElse = aRequest({ createdAt: '2025-01-01T05:00:00.000Z' });
      for (const r of [old, recent, someoneElse]) await store.create(r);
      expect(await store.byRequester(who, new Date('2025-01-01T04:00:00.000Z'))).toEqual({ submitted: 1, pending: 2 });
      await store.transition(old.id, ['pending'], 'denied', { decision: { by: [], outside: 'kubectl', at: '2025-01-02T00:00:00.000Z' } });
      expect(await store.byRequester(who, new Date('2024-01-01T00:00:00.000Z'))).toEqual({ submitted: 2, pending: 1 });
      expect(await store.byRequester('U0NOBODY', new Date(0))).toEqual({ submitted: 0, pending: 0 });
    });

    it('refuses ids that could reach other keys', async () => {
      await expect(store.create(aRequest({ id: 'a:approvals' }))).rejects.toThrow(/Invalid request id/);
      await expect(store.get('')).rejects.toThrow(/Invalid request id/);
    });
  });
}
