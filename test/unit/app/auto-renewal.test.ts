import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { actOnCertificate } from '../../../src/app/certificate-actions.js';
import { AUTO_RENEWAL_REASON } from '../../../src/app/deps.js';
import type { PermissionPreview, Identity } from '../../../src/domain/privilege.js';
import type { PermissionsReview } from '../../../src/ports.js';
import { people } from '../../support/fakes/make-deps.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { issuedCertificate, state, type Issued } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

/** A permission review that answers from a table (the real one is a SubjectAccessReview adapter). */
function fakeReview(abilities: PermissionPreview['abilities']): PermissionsReview & { asked: Identity[] } {
  const asked: Identity[] = [];
  return {
    asked,
    preview: async (identity) => (asked.push(identity), { identity, abilities }),
  };
}

const jane = { userId: people.jane.userId, channel: 'DJANE' };
const renewal = { autoApprove: true, maxAuto: 1, graceMs: 3_600_000 };

/** Renew, run the jobs, and let the cluster sign the renewal if it was approved. */
async function renew(t: Issued, serial: string): Promise<{ id: string; serial?: string }> {
  await actOnCertificate(t.flow, 'renew', serial, jane);
  await t.jobs.runAll(t.handlers);
  const r = await state(t, `renew-${serial}`);
  if (r.state !== 'approved') return { id: r.id };
  t.clock.advance(60_000);
  const pem = pki.sign(t.key.csrPem, 1);
  t.csrApi.issue(r.csrName, pem);
  await t.jobs.runAll(t.handlers);
  return { id: r.id, serial: new X509Certificate(pem).serialNumber.toLowerCase() };
}

describe('automatic renewal', () => {
  it('when on and every rule holds: approved by csrbot with its own reason, an informational card, and in the audit trail', async () => {
    const t = await issuedCertificate(pki, 1);
    const review = fakeReview([]);
    t.deps.settings.renewal = renewal;
    t.deps.permissions = review;
    const { id, serial } = await renew(t, t.serial);
    const r = await state(t, id);
    expect(r.state).toBe('issued');
    expect(review.asked).toEqual([{ username: 'jane', groups: ['developers'] }]);
    const obj = t.csrApi.object(r.csrName)!;
    expect(obj.decision).toMatchObject({ type: 'Approved', reason: AUTO_RENEWAL_REASON, message: expect.stringContaining('RENEWAL_AUTO_APPROVE') });
    // The card went up already decided: no buttons for anyone to click.
    expect(t.chat.cards.at(-1)?.request).toMatchObject({ state: 'approving', decision: { auto: expect.stringContaining('RENEWAL_AUTO_APPROVE') } });
    expect(t.audit.events.find((e) => e.type === 'auto-approved')).toMatchObject({ requestId: id, serial: t.serial, via: 'csrbot' });
    expect(await t.inventory.get(serial!)).toMatchObject({ autoRenewals: 1, renewalOf: t.serial });

    // RENEWAL_MAX_AUTO=1: the next one in a row goes to people.
    const next = await renew(t, serial!);
    expect((await state(t, next.id)).state).toBe('pending');
    expect(t.audit.events.find((e) => e.type === 'auto-approval-refused')?.detail).toContain('RENEWAL_MAX_AUTO=1');
  });

  it('refused for a privileged identity, and without a permission review (unknown counts as privileged)', async () => {
    for (const permissions of [fakeReview(['read-secrets']), undefined]) {
      const t = await issuedCertificate(pki, 1);
      t.deps.settings.renewal = renewal;
      if (permissions) t.deps.permissions = permissions;
      const { id } = await renew(t, t.serial);
      const r = await state(t, id);
      expect(r.state).toBe('pending');
      expect(t.chat.cards.at(-1)?.request.state).toBe('pending');
      expect(t.audit.events.filter((e) => e.type === 'auto-approval-refused').map((e) => e.detail)).toEqual([
        permissions ? 'the identity is privileged' : 'its permissions could not be checked, so it counts as privileged',
      ]);
    }
  });

  it('off by default: a renewal waits for people and nothing is recorded about automatic approval', async () => {
    const t = await issuedCertificate(pki, 1);
    t.deps.permissions = fakeReview([]);
    const { id } = await renew(t, t.serial);
    expect((await state(t, id)).state).toBe('pending');
    expect(t.audit.types().filter((x) => x.startsWith('auto-'))).toEqual([]);
  });
});
