/**
 * What people see of their certificates, through csrbot as main.ts wires it:
 * /cert list, /cert status, /cert pending and /cert holders, the App Home
 * (kept up to date), and offboarding when a holder's account is deactivated.
 * Real Redis, the real control plane, the Slack emulator's Block Kit checks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { RedisCertificateInventory } from '../../../src/adapters/store/redis-certificate-inventory.js';
import { RedisRequestStore } from '../../../src/adapters/store/redis-request-store.js';
import { validateMessage, validateView, type Ephemeral, type UserDriver } from '@csrbot/slack-emulator';
import { aCertificateRecord } from '../../support/contracts/certificate-inventory.contract.js';
import { uniqueName } from '../kubernetes/support.js';
import { WAIT, isCertificateDm, janesKeyAndCsr, mark, requestViaDm, startWorld, waitForNewEphemeral, type World } from './world.js';

const text = (x: unknown) => JSON.stringify(x);

/** Runs a /cert subcommand and returns the answer (sent through response_url after the ack). */
async function cert(w: World, user: UserDriver, args: string, pred: (e: Ephemeral) => boolean = () => true): Promise<Ephemeral> {
  const since = mark(w);
  const res = await user.slash('/cert', args);
  expect(res.ok).toBe(true);
  const answer = await waitForNewEphemeral(w, user, since, pred);
  expect(validateMessage(answer)).toEqual([]);
  return answer;
}

/** Opens the Home tab and waits for the published view to satisfy `pred`. */
async function home(w: World, user: UserDriver, pred: (blocks: string) => boolean): Promise<string> {
  await user.openHome();
  const v = await w.emu.waitFor(
    () => {
      const h = user.homeView();
      return h && pred(text(h.blocks)) ? h : undefined;
    },
    `@${user.name}'s home tab`,
    WAIT,
  );
  expect(validateView({ type: 'home', blocks: v.blocks })).toEqual([]);
  return text(v.blocks);
}

describe('views and offboarding', () => {
  let w: World;
  let redis: Redis;
  const bindingName = uniqueName('jane-view');
  const rbac = () => w.admin.makeApiClient(RbacAuthorizationV1Api);
  beforeAll(async () => {
    w = await startWorld({ events: ['message.im', 'app_home_opened', 'user_change'] });
    redis = new Redis(w.env['REDIS_URL']!);
  });
  afterAll(async () => {
    await rbac()
      .deleteClusterRoleBinding({ name: bindingName })
      .catch(() => undefined);
    redis?.disconnect();
    await w?.stop();
  });

  it('the request shows in the requester home, and in the admin queue for admins only; issuance refreshes the homes', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const janeHome = await home(w, w.jane, (b) => b.includes('Your pending requests') && b.includes('waiting for an admin'));
    expect(janeHome).not.toContain('Admin: requests waiting');
    const malloryHome = await home(w, w.mallory, (b) => b.includes('You hold no certificates'));
    expect(malloryHome).not.toContain('Admin: requests waiting');
    const aliceHome = await home(w, w.alice, (b) => b.includes('Admin: requests waiting'));
    // A link to the card, as chat.getPermalink gives it.
    expect(aliceHome).toContain(`/archives/${card.channel}/p${card.ts.replace('.', '')}|open the card>`);

    const pending = await cert(w, w.alice, 'pending', (e) => e.text.includes('waiting for an admin'));
    expect(pending.text).toContain('1 request waiting');
    const refused = await cert(w, w.mallory, 'pending', (e) => e.text.includes('for csrbot admins'));
    expect(text(refused)).not.toContain('jane');

    await w.alice.click(card, 'csrbot_approve');
    await w.jane.waitForDm(isCertificateDm, WAIT);
    // Refreshed without jane reopening it: her certificate, with Renew, and nothing pending.
    await w.emu.waitFor(
      () => {
        const b = text(w.jane.homeView()?.blocks ?? []);
        return b.includes('csrbot_renew') && b.includes('None waiting') ? b : undefined;
      },
      "jane's refreshed home",
      WAIT,
    );
    await w.emu.waitFor(() => (text(w.alice.homeView()?.blocks ?? []).includes('Nothing is waiting') ? true : undefined), "alice's refreshed queue", WAIT);
  });

  it('/cert list, status and holders: the holder sees hers with Renew, others are refused, admins see holders', async () => {
    const list = await cert(w, w.jane, 'list', (e) => e.text.includes('You hold 1 certificate'));
    expect(text(list.blocks)).toContain('csrbot_renew');
    const serial = /"value":"([0-9a-f]+)"/.exec(text(list.blocks))![1]!;

    // Mallory holds a certificate of her own; a tampered client sends jane's serial with her Renew: refused, nothing renewed.
    const inventory = RedisCertificateInventory.create({ redis, prefix: w.env['REDIS_PREFIX']! });
    await inventory.record(aCertificateRecord({ requesterId: w.mallory.id, username: 'mallory', notAfter: new Date(Date.now() + 3600_000).toISOString() }));
    const malloryList = await cert(w, w.mallory, 'list', (e) => e.text.includes('You hold 1 certificate'));
    const since = mark(w);
    await w.mallory.click(malloryList, 'csrbot_renew', { forgedValue: serial });
    const refusal = await waitForNewEphemeral(w, w.mallory, since, (e) => e.text.includes('Only the holder'));
    expect(refusal.text).toContain(serial);
    // The refusal is told after the decision: by now a renewal would exist under its deterministic id.
    const store = RedisRequestStore.create({ redis, prefix: w.env['REDIS_PREFIX']! });
    expect(await store.get(`renew-${serial}`)).toBeUndefined();
    expect((await inventory.get(serial))!.status).toBe('active');

    const mine = await cert(w, w.jane, `status ${serial}`, (e) => e.text.startsWith('Certificate for'));
    expect(text(mine.blocks)).toContain('csrbot_renew');
    const theirs = await cert(w, w.mallory, `status ${serial}`, (e) => e.text.includes('belongs to someone else'));
    expect(text(theirs)).not.toContain(w.jane.id);
    const adminView = await cert(w, w.alice, `status ${serial}`, (e) => e.text.startsWith('Certificate for'));
    expect(text(adminView.blocks)).not.toContain('csrbot_renew');

    const who = await cert(w, w.bob, 'holders', (e) => e.text.includes('valid certificate'));
    expect(text(who.blocks)).toContain(`<@${w.jane.id}>`);
    await cert(w, w.mallory, 'holders', (e) => e.text.includes('for csrbot admins'));

    const none = await cert(w, w.bob, 'list', (e) => e.text.includes('You hold 0 certificates'));
    expect(text(none.blocks)).toContain('/cert request');
  });

  it('/cert list and the App Home stay within Slack limits with 50 certificates and names at the length limits', async () => {
    const inventory = RedisCertificateInventory.create({ redis, prefix: w.env['REDIS_PREFIX']! });
    const huge = `<!channel> ${'ü'.repeat(3000)}`;
    for (let i = 0; i < 50; i++) {
      await inventory.record(
        aCertificateRecord({
          requesterId: w.jane.id,
          username: huge,
          subject: `CN=${huge}`,
          groups: [huge.slice(0, 500), huge.slice(0, 400)],
          notAfter: new Date(Date.now() + (i + 2) * 3600_000).toISOString(),
        }),
      );
    }
    const list = await cert(w, w.jane, 'list', (e) => e.text.includes('You hold 51 certificates'));
    expect(list.blocks!.length).toBeLessThanOrEqual(50);
    expect(text(list.blocks)).toContain('and 31 more');
    expect(text(list.blocks)).not.toContain('<!channel>');
    const h = await home(w, w.jane, (b) => b.includes('and 11 more'));
    expect(h).not.toContain('<!channel>');
  });

  it('deactivating a holder alerts the admins with her bindings on the real API server, and stops her reminders', async () => {
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: bindingName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    w.emu.deactivateUser('jane');
    const alert = await w.emu.waitForMessage(w.emu.adminChannelId, (m) => m.text.includes('was deactivated'), WAIT);
    expect(alert.text).toContain(`<@${w.jane.id}>`);
    expect(alert.text).toContain(`kubectl delete clusterrolebinding ${bindingName}`);
    expect(alert.text).toContain('Still valid');
    const inventory = RedisCertificateInventory.create({ redis, prefix: w.env['REDIS_PREFIX']! });
    // Reminders stop: every certificate of hers leaves `active` (the alert goes first, then the statuses).
    const deadline = Date.now() + WAIT.timeoutMs;
    let held = await inventory.byRequester(w.jane.id);
    while (!held.every((c) => c.status === 'offboarded') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      held = await inventory.byRequester(w.jane.id);
    }
    expect(held).toHaveLength(51);
    expect(held.filter((c) => c.status !== 'offboarded')).toEqual([]);
  });
});

describe('undecided requests, through the sweep', () => {
  let w: World;
  afterAll(async () => {
    await w?.stop();
  });

  it('get one nudge on the card, then are closed as expired and the requester told how to ask again', async () => {
    // Seconds instead of hours: the same pass, run by the same sweep.
    w = await startWorld({ env: { PENDING_REMINDER: '1s', PENDING_EXPIRY: '5s', SWEEP_INTERVAL: '1s' } });
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const nudge = await w.emu.waitForMessage(w.emu.adminChannelId, (m) => m.thread_ts === card.ts && m.ts !== card.ts, WAIT);
    expect(nudge.text).toContain('waited');
    const told = await w.jane.waitForDm((m) => m.text.includes('expired'), WAIT);
    expect(told.text).toContain('send me the same .csr file');
    const closed = await w.emu.waitFor(
      () => {
        const c = w.emu.messagesIn(w.emu.adminChannelId).find((m) => m.ts === card.ts);
        return c && text(c.blocks).includes('Expired') ? c : undefined;
      },
      'the card marked expired',
      WAIT,
    );
    // No buttons left: a late click cannot decide it.
    expect(text(closed.blocks)).not.toContain('csrbot_approve');
    // One nudge, however many sweeps ran meanwhile.
    expect(w.emu.messagesIn(w.emu.adminChannelId).filter((m) => m.thread_ts === card.ts && m.ts !== card.ts)).toHaveLength(1);
  });
});
