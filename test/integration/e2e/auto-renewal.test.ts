/**
 * RENEWAL_AUTO_APPROVE end to end: csrbot as main.ts wires it (the real
 * SubjectAccessReview permission review, the real apiserver and signer), the
 * Slack emulator, real Redis. Renewals are started from `/cert list`. The
 * audit trail is read as an operator reads it: `csrbot audit export`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthorizationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { Ephemeral, Message, UserDriver } from '@csrbot/slack-emulator';
import { X509Certificate } from 'node:crypto';
import { auditCommand } from '../../../src/cli/audit-export.js';
import type { AuditEvent } from '../../../src/ports.js';
import { uniqueName } from '../kubernetes/support.js';
import {
  WAIT,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  mark,
  readCsr,
  requestViaDm,
  startWorld,
  waitForCard,
  waitForNewDm,
  waitForNewEphemeral,
  waitForQuiet,
  type World,
} from './world.js';

/** A 10-minute certificate; nothing here waits for a reminder (renewals come from /cert list). */
const ENV = { CERT_DEFAULT_LIFETIME: '10m' };

interface Issued {
  x509: X509Certificate;
  serial: string;
}

const issuedBy = (w: World, dm: Message): Issued => {
  const x509 = new X509Certificate(deliveredKubeconfig(w, dm).certificate);
  return { x509, serial: x509.serialNumber.toLowerCase() };
};
const spki = (c: Issued) => c.x509.publicKey.export({ type: 'spki', format: 'der' });
const isRenewalCardOf = (serial: string) => (m: Message) => JSON.stringify(m.blocks ?? []).includes(`Renewal of:* \`${serial}\``);
const hasButtons = (m: Message) => JSON.stringify(m.blocks ?? []).includes('"type":"button"');

/** A requester of the test's own (username = the email's local part), so RBAC bound to it touches no other test. */
function addRequester(w: World, name: string): UserDriver {
  return w.emu.addUser({ name, email: `${name}@example.com`, realName: name });
}

/** `user` requests a certificate for their own name (in `group`) by the normal flow, and alice approves it. */
async function issue(w: World, user: UserDriver, group = 'dev-team'): Promise<Issued> {
  const since = mark(w);
  const card = await requestViaDm(w, user, janesKeyAndCsr(w, { cn: user.name, o: [group] }).csrPem);
  await w.alice.click(card, 'csrbot_approve');
  return issuedBy(w, await waitForNewDm(w, user, since, isCertificateDm));
}

/**
 * Waits until a certificate issued now would end in a later second than `c`
 * (X.509 times have whole seconds; the signer gives each the same 10 minutes),
 * so "later notAfter" is a fact of the renewal, not of the clock.
 */
async function untilLaterNotAfter(c: Issued): Promise<void> {
  const issuedAtSecond = Date.parse(c.x509.validTo) - 600_000;
  while (Date.now() < issuedAtSecond + 1000) await new Promise((r) => setTimeout(r, 50));
}

/** Presses Renew next to `serial` in the holder's `/cert list`, and waits for the reply that the renewal was submitted. */
async function renewFromList(w: World, user: UserDriver, serial: string): Promise<void> {
  const since = mark(w);
  const res = await user.slash('/cert', 'list');
  expect(res.ok).toBe(true);
  const list = await waitForNewEphemeral(w, user, since, (e: Ephemeral) => JSON.stringify(e.blocks ?? []).includes(`"value":"${serial}"`));
  const block = (list.blocks as Array<{ block_id?: string; accessory?: { action_id?: string; value?: string } }>).find(
    (b) => b.accessory?.action_id === 'csrbot_renew' && b.accessory.value === serial,
  );
  expect(block?.block_id).toBeDefined();
  await user.click(list, 'csrbot_renew', { blockId: block!.block_id });
}

/** The audit trail as `csrbot audit export` writes it (JSON Lines), for this world's Redis prefix. */
async function auditExport(w: World): Promise<AuditEvent[]> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await auditCommand(['export'], {
    readFile: () => new Uint8Array(),
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    env: { REDIS_URL: w.env.REDIS_URL, REDIS_PREFIX: w.prefix },
  });
  expect({ code, err }).toEqual({ code: 0, err: [] });
  return out.map((line) => JSON.parse(line) as AuditEvent);
}

/** Reads until `ok` holds (or WAIT runs out, then fails saying what it last read). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + WAIT.timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not come; last read: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the audit trail holds an event that matches (the verdict is written by the submit job, beside the card). */
async function waitForAudit(w: World, pred: (e: AuditEvent) => boolean): Promise<AuditEvent> {
  return (
    await eventually(
      () => auditExport(w),
      (events) => events.some(pred),
      'the audit event',
    )
  ).find(pred)!;
}

/** The renewal's card as people see it: with Approve/Deny, and no automatic verdict on it. */
async function expectCardForPeople(w: World, serial: string, since: string): Promise<Message> {
  const card = await waitForCard(w, (m) => isRenewalCardOf(serial)(m) && hasAction('csrbot_approve')(m), since);
  expect(hasAction('csrbot_deny')(card)).toBe(true);
  expect(JSON.stringify(card.blocks)).not.toContain('automatic renewal');
  return card;
}

describe('automatic renewal on the real control plane (RENEWAL_AUTO_APPROVE=true, RENEWAL_MAX_AUTO=1)', () => {
  let w: World;
  const rbac = () => w.admin.makeApiClient(RbacAuthorizationV1Api);
  const created: { roles: string[]; bindings: string[] } = { roles: [], bindings: [] };
  // A group of this test's own (bound to read secrets below), allowed besides dev-team.
  const privilegedGroup = uniqueName('e2e-ops');

  beforeAll(async () => {
    w = await startWorld({ env: { ...ENV, RENEWAL_AUTO_APPROVE: 'true', RENEWAL_MAX_AUTO: '1', ALLOWED_GROUPS: `dev-team,${privilegedGroup}` } });
  });
  afterAll(async () => {
    for (const name of created.bindings) await rbac().deleteClusterRoleBinding({ name });
    for (const name of created.roles) await rbac().deleteClusterRole({ name });
    await w?.stop();
  });

  it('jane renews: approved by csrbot under the rule (on the CSR, the card, the audit trail), same key, later notAfter; the next renewal is past RENEWAL_MAX_AUTO and goes to people', async () => {
    const first = await issue(w, w.jane);

    // 1. The renewal is approved automatically.
    await untilLaterNotAfter(first);
    let since = mark(w);
    await renewFromList(w, w.jane, first.serial);
    const dm = await waitForNewDm(w, w.jane, since, isCertificateDm);
    const renewed = issuedBy(w, dm);
    expect(renewed.serial).not.toBe(first.serial);
    expect(Date.parse(renewed.x509.validTo)).toBeGreaterThan(Date.parse(first.x509.validTo));
    expect(spki(renewed)).toEqual(spki(first));

    // The admin channel got a card to read, not to act on.
    const info = currentCard(w, await waitForCard(w, isRenewalCardOf(first.serial), since));
    expect(hasButtons(info)).toBe(false);
    expect(JSON.stringify(info.blocks)).toContain('csrbot (automatic renewal: RENEWAL_AUTO_APPROVE');
    // Only alice's approval of the first request was ever clicked: nobody approved this one in Slack.
    expect(w.emu.workspace.messages.filter((m) => isRenewalCardOf(first.serial)(m))).toHaveLength(1);

    // The cluster's record: csrbot approved it, naming the rule.
    const approved = ((await readCsr(w, csrNameOf(info))).status?.conditions ?? []).filter((c) => c.type === 'Approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({ reason: 'CsrbotAutoRenewal', status: 'True' });
    expect(approved[0]!.message).toContain(`Renewal of ${first.serial} approved by csrbot under RENEWAL_AUTO_APPROVE: same subject, groups and key for jane`);
    expect(approved[0]!.message).toContain('renewal 1 of at most 1 in a row, not privileged');

    const auto = await waitForAudit(w, (e) => e.type === 'auto-approved' && e.serial === first.serial);
    expect(auto).toMatchObject({ requestId: `renew-${first.serial}`, via: 'csrbot', detail: expect.stringContaining('RENEWAL_AUTO_APPROVE') });
    expect(auto.actor).toBeUndefined();
    // The decision itself is on record as csrbot's, not a person's.
    const decided = (await auditExport(w)).filter((e) => e.type === 'approved' && e.requestId === `renew-${first.serial}`);
    expect(decided).toEqual([expect.objectContaining({ via: 'csrbot', detail: auto.detail })]);
    expect(decided[0]!.actor).toBeUndefined();

    // 2b. The renewed certificate is one automatic renewal in: RENEWAL_MAX_AUTO=1 sends the next to people.
    since = mark(w);
    await renewFromList(w, w.jane, renewed.serial);
    const second = await expectCardForPeople(w, renewed.serial, since);
    const refused = await waitForAudit(w, (e) => e.type === 'auto-approval-refused' && e.serial === renewed.serial);
    expect(refused).toMatchObject({
      requestId: `renew-${renewed.serial}`,
      via: 'csrbot',
      detail: '1 renewals in a row were automatic (RENEWAL_MAX_AUTO=1): people approve the next one',
    });
    await waitForQuiet(w);
    // Nothing approved it behind people's backs: its CSR waits in the cluster, the card keeps its buttons.
    expect((await readCsr(w, csrNameOf(second))).status?.conditions ?? []).toEqual([]);
    expect(hasAction('csrbot_approve')(currentCard(w, second))).toBe(true);
  }, 90_000);

  /** Grants `get secrets` cluster-wide to a user or group, and waits until the apiserver's authorizer answers "allowed" for `probe`. */
  async function grantReadSecrets(subject: { kind: 'User' | 'Group'; name: string }, probe: { user: string; groups: string[] }): Promise<void> {
    const role = uniqueName('e2e-read-secrets');
    await rbac().createClusterRole({ body: { metadata: { name: role }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] } });
    created.roles.push(role);
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ ...subject, apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    created.bindings.push(role);
    // RBAC takes effect through the authorizer's informer: the renewal starts once the binding is in force.
    const authz = w.admin.makeApiClient(AuthorizationV1Api);
    await eventually(
      async () =>
        (await authz.createSubjectAccessReview({ body: { spec: { ...probe, resourceAttributes: { verb: 'get', resource: 'secrets' } } } })).status?.allowed,
      (allowed) => allowed === true,
      `the binding of ${subject.kind} ${subject.name} to ${role} in force`,
    );
  }

  it.each(['User', 'Group'] as const)(
    'an identity that can read secrets cluster-wide through a %s binding (per the real SubjectAccessReview) is refused automatic renewal, with the reason',
    async (kind) => {
      const name = uniqueName('jp').replace(/[^a-z0-9-]/g, '');
      const holder = addRequester(w, name);
      const group = kind === 'Group' ? privilegedGroup : 'dev-team';
      const first = await issue(w, holder, group);

      // After issuance, the identity gains `get secrets` cluster-wide.
      await grantReadSecrets(kind === 'User' ? { kind, name } : { kind, name: group }, { user: name, groups: [group] });

      const since = mark(w);
      await renewFromList(w, holder, first.serial);
      const card = await expectCardForPeople(w, first.serial, since);
      // The card shows why, from the same preview the verdict used.
      expect(JSON.stringify(card.blocks)).toContain('read Secrets');
      const refused = await waitForAudit(w, (e) => e.type === 'auto-approval-refused' && e.serial === first.serial);
      expect(refused).toMatchObject({ requestId: `renew-${first.serial}`, via: 'csrbot', detail: 'the identity is privileged' });
      expect((await auditExport(w)).filter((e) => e.type === 'auto-approved' && e.serial === first.serial)).toEqual([]);
      await waitForQuiet(w);
    },
    60_000,
  );
});

describe('automatic renewal off (the default) on the real control plane', () => {
  let w: World | undefined;
  afterAll(async () => {
    await w?.stop();
  });

  it('a renewal gets the normal card with Approve/Deny, and alice approving it issues the new certificate', async () => {
    w = await startWorld({ env: ENV });
    const first = await issue(w, w.jane);
    const since = mark(w);
    await renewFromList(w, w.jane, first.serial);
    const card = await expectCardForPeople(w, first.serial, since);
    await w.alice.click(card, 'csrbot_approve');
    const renewed = issuedBy(w, await waitForNewDm(w, w.jane, since, isCertificateDm));
    expect(spki(renewed)).toEqual(spki(first));
    const approved = ((await readCsr(w, csrNameOf(card))).status?.conditions ?? []).filter((c) => c.type === 'Approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]!.reason).not.toBe('CsrbotAutoRenewal');
    await waitForQuiet(w);
    // With the policy off there is no automatic verdict to record, either way.
    const events = await auditExport(w);
    expect(events.filter((e) => e.type === 'auto-approved' || e.type === 'auto-approval-refused')).toEqual([]);
    expect(events.filter((e) => e.type === 'approved').map((e) => e.actor)).toEqual([w.alice.id, w.alice.id]);
  }, 60_000);
});
