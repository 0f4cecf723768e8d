import { describe, expect, it } from '@jest/globals';
import { offboardHolder, offboardingPass, offboardingSweepPass, type OffboardDeps } from '../../../src/app/offboard.js';
import { CsrbotError } from '../../../src/domain/errors.js';
import type { BindingRef, RbacBindings } from '../../../src/ports.js';
import { aCertificateRecord } from '../../support/contracts/certificate-inventory.contract.js';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { makeDeps, people } from '../../support/fakes/make-deps.js';

const NOW = '2025-06-01T12:00:00.000Z';

class FakeBindings implements RbacBindings {
  calls: string[] = [];
  fail?: Error;
  constructor(private readonly byUser: Record<string, BindingRef[]>) {}
  async namingUser(username: string): Promise<BindingRef[]> {
    this.calls.push(username);
    if (this.fail) throw this.fail;
    return this.byUser[username] ?? [];
  }
}

async function world() {
  const t = makeDeps({ now: NOW });
  const bindings = new FakeBindings({
    jane: [
      { kind: 'ClusterRoleBinding', name: 'jane-view', role: 'ClusterRole/view' },
      { kind: 'RoleBinding', namespace: 'team-a', name: 'jane-edit', role: 'ClusterRole/edit' },
    ],
  });
  const deps: OffboardDeps = { ...t.deps, bindings };
  const valid = aCertificateRecord({ requesterId: people.jane.userId, username: 'jane', notAfter: '2025-06-02T00:00:00.000Z' });
  const expired = aCertificateRecord({ requesterId: people.jane.userId, username: 'jane', notAfter: '2025-05-01T00:00:00.000Z' });
  const other = aCertificateRecord({ requesterId: people.mallory.userId, username: 'mallory', notAfter: '2025-06-02T00:00:00.000Z' });
  for (const c of [valid, expired, other]) await t.inventory.record(c);
  return { ...t, deps, bindings, valid, expired, other };
}

describe('offboarding', () => {
  it('stops reminders and renewals, and tells the admins what stays valid and which bindings to remove', async () => {
    const w = await world();
    await w.store.create(aRequest({ requester: people.jane }));
    const o = await offboardHolder(w.deps, people.jane.userId, 'user_change');
    expect(o).toMatchObject({ kind: 'offboarded', stopped: expect.arrayContaining([w.valid.serial, w.expired.serial]) });
    expect((await w.inventory.get(w.valid.serial))!.status).toBe('offboarded');
    expect((await w.inventory.get(w.other.serial))!.status).toBe('active');
    expect(w.chat.adminMessages).toHaveLength(1);
    const text = w.chat.adminMessages[0]!;
    expect(text).toContain(`<@${people.jane.userId}>`);
    expect(text).toContain(w.valid.serial);
    expect(text).not.toContain(w.expired.serial);
    expect(text).toContain('kubectl delete clusterrolebinding jane-view');
    expect(text).toContain('kubectl delete rolebinding jane-edit -n team-a');
    expect(text).toContain('open requests');
    expect(w.bindings.calls).toEqual(['jane']);
  });

  it('is idempotent: a second event or the sweep after it does not alert again', async () => {
    const w = await world();
    await offboardHolder(w.deps, people.jane.userId, 'user_change');
    expect(await offboardHolder(w.deps, people.jane.userId, 'sweep')).toEqual({ kind: 'not-a-holder' });
    expect(w.chat.adminMessages).toHaveLength(1);
  });

  it('ignores someone who never held a certificate', async () => {
    const w = await world();
    expect(await offboardHolder(w.deps, people.bob.userId, 'user_change')).toEqual({ kind: 'not-a-holder' });
    expect(w.chat.adminMessages).toEqual([]);
  });

  it('still alerts, saying why, when the bindings cannot be listed', async () => {
    const w = await world();
    w.bindings.fail = new CsrbotError('CLUSTER_FORBIDDEN', { verb: 'list', resource: 'rolebindings' });
    const o = await offboardHolder(w.deps, people.jane.userId, 'user_change');
    expect(o).toMatchObject({ kind: 'offboarded', bindings: { error: expect.any(String) } });
    expect(w.chat.adminMessages[0]).toContain('could not list them');
    expect((await w.inventory.get(w.valid.serial))!.status).toBe('offboarded');
  });

  it('leaves the certificates active when the admins could not be told, so the sweep tries again', async () => {
    const w = await world();
    w.chat.failNext('tellAdmins');
    await expect(offboardHolder(w.deps, people.jane.userId, 'user_change')).rejects.toThrow(/injected/);
    expect((await w.inventory.get(w.valid.serial))!.status).toBe('active');
    w.chat.deactivated.add(people.jane.userId);
    expect(await offboardingPass(w.deps)).toEqual({ checked: 2, offboarded: 1 });
    expect(w.chat.adminMessages).toHaveLength(1);
  });

  it('the sweep backstop offboards deactivated holders of active certificates only', async () => {
    const w = await world();
    w.chat.deactivated.add(people.jane.userId);
    expect(await offboardingPass(w.deps)).toEqual({ checked: 2, offboarded: 1 });
    expect((await w.inventory.get(w.valid.serial))!.status).toBe('offboarded');
    expect((await w.inventory.get(w.other.serial))!.status).toBe('active');
    // Jane's certificate is no longer active: the next pass does not look her up again.
    expect(await offboardingPass(w.deps)).toEqual({ checked: 1, offboarded: 0 });
    expect(w.chat.adminMessages).toHaveLength(1);
  });

  it('as a sweep pass asks Slack at most once per interval', async () => {
    const w = await world();
    const pass = offboardingSweepPass(w.deps, 3600_000);
    const t0 = new Date(NOW);
    expect(await pass.run(t0)).toEqual({ checked: 2, offboarded: 0 });
    expect(await pass.run(new Date(t0.getTime() + 60_000))).toEqual({ skipped: 1 });
    w.chat.deactivated.add(people.mallory.userId);
    expect(await pass.run(new Date(t0.getTime() + 3600_000))).toEqual({ checked: 2, offboarded: 1 });
    expect(w.chat.calls.filter((c) => c === 'isDeactivated')).toHaveLength(4);
  });
});
