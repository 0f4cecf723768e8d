import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { selfSubjectReview } from '../../../src/adapters/kubernetes/index.js';
import { signerCaPem } from '@csrbot/control-plane';
import { validateMessage } from '@csrbot/slack-emulator';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  isCertificateDm,
  janesKeyAndCsr,
  readCsr,
  requestViaDm,
  startWorld,
  type World,
} from './world.js';

/** jane's delivered kubeconfig, used as she would: with her own key next to it. */
async function whoAmI(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return selfSubjectReview(kc);
}

describe('the happy path: DM upload, one click, certificate in the DM', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('jane uploads her CSR, alice approves, jane can use the kubeconfig she receives', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const card = await requestViaDm(w, w.jane, csrPem);
    const cardText = JSON.stringify(card.blocks);
    expect(cardText).toContain(`<@${w.jane.id}>`);
    expect(cardText).toContain('jane@example.com');
    expect(cardText).toContain('`dev-team`');
    expect(cardText).toContain('ECDSA P-256');
    expect(cardText).toContain('1 day');
    const csrName = csrNameOf(card);

    // The request is confirmed to jane with its id.
    await w.jane.waitForDm((m) => m.text.includes('was sent to the admins'), WAIT);

    // While it waits for the admins, operators see it waiting, and for how long.
    const waiting = await (await fetch(`http://127.0.0.1:${w.ports[0]}/metrics`)).text();
    expect(waiting).toContain('csrbot_open_requests{state="pending"} 1');
    expect(waiting).toMatch(/^csrbot_oldest_open_request_age_seconds\{state="pending"\} \d/m);

    await w.alice.click(card, 'csrbot_approve');
    const dm = await w.jane.waitForDm(isCertificateDm, WAIT);
    const { kubeconfig, certificate } = deliveredKubeconfig(w, dm);

    // The certificate is the cluster's, for jane's key, with her groups.
    const cert = new X509Certificate(certificate);
    expect(cert.verify(new X509Certificate(signerCaPem()).publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=jane');
    expect(cert.subject).toContain('O=dev-team');

    // The cluster records who approved, as kubectl would show it.
    const obj = await readCsr(w, csrName);
    const approved = obj.status?.conditions?.find((c) => c.type === 'Approved');
    expect(approved?.reason).toBe('CsrbotApproved');
    expect(approved?.message).toBe(`Approved in Slack by Alice Admin (${w.alice.id})`);
    expect(obj.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('csrbot');
    expect(obj.metadata?.annotations?.['csrbot.io/slack-user-id']).toBe(w.jane.id);

    // The kubeconfig works against the real API server with jane's key.
    const me = await whoAmI(kubeconfig);
    expect(me.username).toBe('jane');
    expect(me.groups).toEqual(expect.arrayContaining(['dev-team', 'system:authenticated']));

    // The card shows the outcome for everyone, buttons gone.
    await w.emu.waitFor(() => (JSON.stringify(currentCard(w, card).blocks).includes('Approved and issued') ? true : undefined), 'card shows issued', WAIT);
    const finalCard = currentCard(w, card);
    expect(JSON.stringify(finalCard.blocks)).not.toContain('csrbot_approve');
    expect(JSON.stringify(finalCard.blocks)).toContain('Alice Admin');

    // Exactly one approval and one certificate DM.
    expect(await conditionCount(w, csrName, 'Approved')).toBe(1);
    expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);

    // Operators see it in the metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${w.ports[0]}/metrics`)).text();
    for (const event of ['submitted', 'approved', 'issued']) expect(metrics).toContain(`csrbot_request_events_total{event="${event}"} 1`);
    expect(metrics).toMatch(/csrbot_issuance_seconds_count 1/);
    expect(metrics).toContain('csrbot_decision_seconds_count{decision="approved"} 1');
    expect(metrics).toContain('csrbot_open_requests{state="pending"} 0');
    expect(metrics).toContain('csrbot_open_requests{state="approved"} 0');
    expect(metrics).toContain('csrbot_queue_jobs{queue="csrbot",state="failed"} 0');
    expect(metrics).toContain('csrbot_readiness_check{check="redis"} 1');
    expect(metrics).not.toContain('csrbot_job_failures_total{');
    expect(metrics).not.toContain('csrbot_slack_api_errors_total{');
    expect((await fetch(`http://127.0.0.1:${w.ports[0]}/readyz`)).status).toBe(200);

    // Every message the bot sent passed Slack's Block Kit checks.
    const rejected = w.emu.callLog.filter((c) => c.error === 'invalid_blocks' || c.error === 'invalid_arguments');
    expect(rejected).toEqual([]);
    for (const m of [...w.emu.messagesIn(w.emu.adminChannelId), ...w.jane.dms()].filter((m) => m.user === w.emu.botUserId)) {
      expect(validateMessage({ blocks: m.blocks })).toEqual([]);
    }
  });
});
