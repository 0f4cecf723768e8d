import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { kubeconfigPaths } from '../../support/cluster/cluster.js';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  readCsr,
  requestViaDm,
  startWorld,
  waitForCard,
  type World,
} from './world.js';

const cardSays = (w: World, card: Parameters<typeof currentCard>[1], text: string) =>
  w.emu.waitFor(() => (JSON.stringify(currentCard(w, card).blocks).includes(text) ? true : undefined), `card says "${text}"`, WAIT);

describe('requests and decisions', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('the modal path: /cert request shows the openssl commands, a pasted CSR gets a certificate', async () => {
    const slash = await w.jane.slash('/cert', 'request');
    expect(slash.ok).toBe(true);
    const modal = await w.jane.waitForView((v) => v.callback_id === 'csrbot_request_modal', WAIT);
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
    const card = await waitForCard(w, (m) => JSON.stringify(m.blocks).includes('on-call this week') && hasAction('csrbot_approve')(m));
    await w.bob.click(card, 'csrbot_approve');
    const dm = await w.jane.waitForDm(isCertificateDm, WAIT);
    expect(deliveredKubeconfig(w, dm).certificate).toContain('BEGIN CERTIFICATE');
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
  });

  it('deny: the admin gives a reason, jane reads it, the CSR is Denied', async () => {
    const before = w.jane.dms().length;
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    await w.alice.click(card, 'csrbot_deny');
    const modal = await w.alice.waitForView((v) => v.callback_id === 'csrbot_deny_modal', WAIT);
    await w.alice.submitView(modal, { deny_reason_input: 'use the dev-readonly group instead' });
    const dm = await w.jane.waitForDm((m) => m.text.includes('was denied'), WAIT);
    expect(dm.text).toContain('use the dev-readonly group instead');
    expect(dm.text).toContain('Alice Admin');
    const csr = await readCsr(w, csrNameOf(card));
    const denied = csr.status?.conditions?.find((c) => c.type === 'Denied');
    expect(denied?.message).toContain('use the dev-readonly group instead');
    await cardSays(w, card, 'Denied by Alice Admin');
    expect(JSON.stringify(currentCard(w, card).blocks)).not.toContain('csrbot_approve');
    expect(w.jane.dms().slice(before).filter(isCertificateDm)).toHaveLength(0);
  });

  it("a non-admin's click is refused privately and changes nothing", async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    await w.mallory.click(card, 'csrbot_approve');
    const eph = await w.mallory.waitForEphemeral((e) => e.text.includes('Only csrbot admins'), WAIT);
    expect(eph.channel).toBe(w.emu.adminChannelId);
    await w.mallory.click(card, 'csrbot_deny');
    await w.mallory.waitForEphemeral((e) => e.text.includes('Only csrbot admins') && e !== eph, WAIT);
    expect(w.mallory.openViews()).toHaveLength(0);
    const csr = await readCsr(w, csrNameOf(card));
    expect(csr.status?.conditions ?? []).toEqual([]);
    expect(hasAction('csrbot_approve')(currentCard(w, card))).toBe(true);
  });

  it('outside Slack: kubectl certificate approve updates the card, and jane gets her certificate once', async () => {
    const before = w.jane.dms().filter(isCertificateDm).length;
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    execFileSync('kubectl', ['--kubeconfig', kubeconfigPaths().admin, 'certificate', 'approve', csrNameOf(card)], { stdio: 'pipe' });
    await w.jane.waitForDm((m) => isCertificateDm(m) && !w.jane.dms().filter(isCertificateDm).slice(0, before).includes(m), WAIT);
    await cardSays(w, card, 'outside Slack');
    await cardSays(w, card, 'Approved and issued');
    // Give a late duplicate the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.jane.dms().filter(isCertificateDm).length - before).toBe(1);
    expect(w.jane.dms().filter((m) => m.text.includes('was approved by the cluster, outside Slack'))).toHaveLength(1);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
  });

  it('outside Slack: kubectl certificate deny and a deleted CSR reach the card and jane', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    execFileSync('kubectl', ['--kubeconfig', kubeconfigPaths().admin, 'certificate', 'deny', csrNameOf(card)], { stdio: 'pipe' });
    await cardSays(w, card, 'Denied');
    await w.jane.waitForDm((m) => m.text.includes(csrNameOf(card).slice(-12)) || m.text.includes('was denied by the cluster'), WAIT);

    const second = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    execFileSync('kubectl', ['--kubeconfig', kubeconfigPaths().admin, 'delete', 'csr', csrNameOf(second)], { stdio: 'pipe' });
    await cardSays(w, second, 'CSR deleted in the cluster');
    await w.jane.waitForDm((m) => m.text.includes('was deleted in the cluster'), WAIT);
  });
});
