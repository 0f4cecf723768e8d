import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { kubeconfigPaths } from '@csrbot/control-plane';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  dmsSince,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  mark,
  readCsr,
  requestIdOf,
  requestViaDm,
  startWorld,
  waitForCard,
  waitForNewDm,
  waitForNewEphemeral,
  waitForNewView,
  waitForQuiet,
  type World,
} from './world.js';

const cardSays = (w: World, card: Parameters<typeof currentCard>[1], text: string) =>
  w.emu.waitFor(() => (JSON.stringify(currentCard(w, card).blocks).includes(text) ? true : undefined), `card says "${text}"`, WAIT);

/** The notice's opening, as jane reads it: which request, and whose username. */
const yourRequest = (id: string) => `Your request \`${id}\` (jane)`;
const kubectl = (args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfigPaths().admin, ...args], { stdio: 'pipe' });

describe('requests and decisions', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('the modal path: /cert request shows the openssl commands, a pasted CSR gets a certificate', async () => {
    const since = mark(w);
    const openBefore = w.jane.openViews();
    const slash = await w.jane.slash('/cert', 'request');
    expect(slash.ok).toBe(true);
    const modal = await waitForNewView(w.jane, openBefore, (v) => v.callback_id === 'csrbot_request_modal');
    const text = JSON.stringify(modal.blocks);
    expect(text).toContain('openssl genpkey');
    expect(text).toContain('/CN=jane/O=dev-team');

    // A private key pasted by mistake is refused in the modal, which stays open.
    const refused = await w.jane.submitView(modal, { csr_input: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOo\n-----END PRIVATE KEY-----' });
    expect(refused.responseAction).toBe('errors');
    expect(refused.errors?.csr_block).toMatch(/private key/i);

    const { csrPem } = janesKeyAndCsr(w);
    const ok = await w.jane.submitView(modal, { csr_input: csrPem, reason_input: 'on-call this week' });
    expect(ok.responseAction).toBe('close');
    const card = await waitForCard(w, (m) => JSON.stringify(m.blocks).includes('on-call this week') && hasAction('csrbot_approve')(m), since);
    await w.bob.click(card, 'csrbot_approve');
    const dm = await waitForNewDm(w, w.jane, since, isCertificateDm);
    expect(deliveredKubeconfig(w, dm).certificate).toContain('BEGIN CERTIFICATE');
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
  });

  it('deny: the admin gives a reason, jane reads it, the CSR is Denied', async () => {
    const since = mark(w);
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const id = requestIdOf(card);
    const openBefore = w.alice.openViews();
    await w.alice.click(card, 'csrbot_deny');
    const modal = await waitForNewView(w.alice, openBefore, (v) => v.callback_id === 'csrbot_deny_modal');
    await w.alice.submitView(modal, { deny_reason_input: 'use the dev-readonly group instead' });
    const dm = await waitForNewDm(w, w.jane, since, (m) => m.text.includes('was denied'));
    expect(dm.text).toBe(`${yourRequest(id)} was denied by Alice Admin. Reason: use the dev-readonly group instead`);
    const csr = await readCsr(w, csrNameOf(card));
    const denied = csr.status?.conditions?.find((c) => c.type === 'Denied');
    expect(denied?.message).toContain('use the dev-readonly group instead');
    await cardSays(w, card, 'Denied by Alice Admin');
    expect(JSON.stringify(currentCard(w, card).blocks)).not.toContain('csrbot_approve');
    await waitForQuiet(w);
    expect(dmsSince(w, w.jane, since).filter(isCertificateDm)).toHaveLength(0);
    expect(dmsSince(w, w.jane, since).filter((m) => m.text.includes('was denied'))).toEqual([dm]);
    expect(await conditionCount(w, csrNameOf(card), 'Denied')).toBe(1);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(0);
  });

  it("a non-admin's click is refused privately and changes nothing", async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const beforeApprove = mark(w);
    await w.mallory.click(card, 'csrbot_approve');
    const eph = await waitForNewEphemeral(w, w.mallory, beforeApprove, (e) => e.text.includes('Only csrbot admins'));
    expect(eph.channel).toBe(w.emu.adminChannelId);
    const beforeDeny = mark(w);
    await w.mallory.click(card, 'csrbot_deny');
    const eph2 = await waitForNewEphemeral(w, w.mallory, beforeDeny, (e) => e.text.includes('Only csrbot admins'));
    expect(eph2.channel).toBe(w.emu.adminChannelId);
    // "Changes nothing" is checked once nothing else is under way: no job, no late update.
    await waitForQuiet(w);
    expect(w.mallory.openViews()).toHaveLength(0);
    expect(w.mallory.ephemerals().filter((e) => e.text.includes('Only csrbot admins'))).toEqual([eph, eph2]);
    const csr = await readCsr(w, csrNameOf(card));
    expect(csr.status?.conditions ?? []).toEqual([]);
    expect(hasAction('csrbot_approve')(currentCard(w, card))).toBe(true);
    expect(currentCard(w, card).edited).toBeUndefined();
    expect(dmsSince(w, w.jane, beforeApprove)).toEqual([]);
  });

  it('outside Slack: kubectl certificate approve updates the card, and jane gets her certificate once', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const id = requestIdOf(card);
    const since = mark(w);
    kubectl(['certificate', 'approve', csrNameOf(card)]);
    const notice = await waitForNewDm(w, w.jane, since, (m) => m.text.includes('was approved by'));
    expect(notice.text).toBe(
      `${yourRequest(id)} was approved by the cluster, outside Slack (KubectlApprove: This CSR was approved by kubectl certificate approve.). The certificate is on its way.`,
    );
    const delivered = await waitForNewDm(w, w.jane, since, isCertificateDm);
    expect(deliveredKubeconfig(w, delivered).certificate).toContain('BEGIN CERTIFICATE');
    await cardSays(w, card, 'outside Slack');
    await cardSays(w, card, 'Approved and issued');
    // A late duplicate (a second watch event, a second job) would keep things busy or show up by now.
    await waitForQuiet(w);
    expect(dmsSince(w, w.jane, since).filter(isCertificateDm)).toEqual([delivered]);
    expect(dmsSince(w, w.jane, since).filter((m) => m.text.includes('was approved by'))).toEqual([notice]);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
  });

  it('outside Slack: kubectl certificate deny and a deleted CSR reach the card and jane', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const id = requestIdOf(card);
    // requestViaDm returned after "was sent to the admins", which names the request too: only later DMs count.
    const beforeDeny = mark(w);
    kubectl(['certificate', 'deny', csrNameOf(card)]);
    await cardSays(w, card, 'Denied');
    const denied = await waitForNewDm(w, w.jane, beforeDeny, (m) => m.text.includes(id) && m.text.includes('was denied'));
    expect(denied.text).toBe(
      `${yourRequest(id)} was denied by the cluster, outside Slack (KubectlDeny: This CSR was denied by kubectl certificate deny.). Reason: This CSR was denied by kubectl certificate deny.`,
    );

    const second = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    const secondId = requestIdOf(second);
    const beforeDelete = mark(w);
    kubectl(['delete', 'csr', csrNameOf(second)]);
    await cardSays(w, second, 'CSR deleted in the cluster');
    const deleted = await waitForNewDm(w, w.jane, beforeDelete, (m) => m.text.includes(secondId) && m.text.includes('was deleted'));
    expect(deleted.text).toBe(`${yourRequest(secondId)} was deleted in the cluster before a certificate was issued. Send the CSR again if you still need one.`);

    await waitForQuiet(w);
    // Each outside decision reached jane once, and nothing else did: no certificate, no second notice.
    expect(dmsSince(w, w.jane, beforeDeny).filter((m) => m.text.includes(id))).toEqual([denied]);
    expect(dmsSince(w, w.jane, beforeDelete)).toEqual([deleted]);
    expect(dmsSince(w, w.jane, beforeDeny).filter(isCertificateDm)).toEqual([]);
    expect(await conditionCount(w, csrNameOf(card), 'Denied')).toBe(1);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(0);
  });
});
