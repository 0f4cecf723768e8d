import { afterEach, describe, expect, it } from '@jest/globals';
import {
  WAIT,
  conditionCount,
  csrNameOf,
  currentCard,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  requestViaDm,
  startWorld,
  waitForQuiet,
  type World,
} from './world.js';

async function approvedOnce(w: World, csrName: string) {
  await w.jane.waitForDm(isCertificateDm, WAIT);
  // Late duplicates (a second job, a second replica) would keep the queue or Slack busy, or have shown up.
  await waitForQuiet(w);
  expect(await conditionCount(w, csrName, 'Approved')).toBe(1);
  expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
  expect(w.jane.dms().filter((m) => m.text.includes('was approved by'))).toHaveLength(1);
}

describe('exactly once', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.stop();
    w = undefined;
  });

  it('a double click gives one approval and one certificate DM', async () => {
    w = await startWorld();
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await Promise.all([w.alice.click(card, 'csrbot_approve'), w.alice.click(card, 'csrbot_approve')]);
    await approvedOnce(w, csrNameOf(card));
  });

  it('two admins clicking together give one approval; the slower one is told', async () => {
    w = await startWorld();
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await Promise.all([w.alice.click(card, 'csrbot_approve'), w.bob.click(card, 'csrbot_approve')]);
    await approvedOnce(w, csrNameOf(card));
    const told = [...w.alice.ephemerals(), ...w.bob.ephemerals()].filter((e) => e.text.includes('already approved'));
    expect(told).toHaveLength(1);
  });

  it('a Slack redelivery (the same click payload, the same upload event) changes nothing', async () => {
    w = await startWorld();
    const { csrPem } = janesKeyAndCsr(w);
    await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
    const summary = await w.jane.waitForDm(hasAction('csrbot_submit_request'), WAIT);
    // Slack retries events it thinks were not acked: the same event again.
    const upload = w.emu.deliveries.find((d) => d.type === 'events_api' && JSON.stringify(d.body).includes('file_share'))!;
    await w.emu.deliver('events_api', { ...upload.body }, 'redelivered upload');
    await waitForQuiet(w);
    expect(w.jane.dms().filter(hasAction('csrbot_submit_request'))).toHaveLength(1);
    expect(summary).toBeDefined();

    const submit = await w.jane.click(summary, 'csrbot_submit_request');
    await w.emu.deliver('interactive', submit.body, 'redelivered submit');
    const card = await w.emu.waitForMessage(w.emu.adminChannelId, (m) => hasAction('csrbot_approve')(m), WAIT);
    await waitForQuiet(w);
    expect(w.emu.messagesIn(w.emu.adminChannelId).filter(hasAction('csrbot_approve'))).toHaveLength(1);

    const click = await w.alice.click(card, 'csrbot_approve');
    await w.emu.deliver('interactive', click.body, 'redelivered approve');
    await approvedOnce(w, csrNameOf(card));
  });

  it('two bot replicas: one card per request, one approval, one certificate DM', async () => {
    w = await startWorld({ replicas: 2 });
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await Promise.all([w.alice.click(card, 'csrbot_approve'), w.bob.click(card, 'csrbot_approve'), w.alice.click(card, 'csrbot_approve')]);
    await approvedOnce(w, csrNameOf(card));
    expect(w.emu.messagesIn(w.emu.adminChannelId).filter((m) => m.user === w!.emu.botUserId)).toHaveLength(1);
    expect(JSON.stringify(currentCard(w, card).blocks)).toContain('Approved and issued');
  });

  it('self-approval is refused, and allowed only when configured', async () => {
    w = await startWorld({ admins: ['jane', 'alice'] });
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await w.jane.click(card, 'csrbot_approve');
    await w.jane.waitForEphemeral((e) => e.text.includes('cannot approve your own'), WAIT);
    await waitForQuiet(w);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(0);
    expect(w.jane.dms().filter((m) => m.text.includes('was approved by') || isCertificateDm(m))).toHaveLength(0);
    expect(hasAction('csrbot_approve')(currentCard(w, card))).toBe(true);
    await w.stop();

    w = await startWorld({ admins: ['jane'], env: { ALLOW_SELF_APPROVAL: 'true' } });
    const own = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await w.jane.click(own, 'csrbot_approve');
    await approvedOnce(w, csrNameOf(own));
  });

  it('a quorum of two needs two distinct admins, and the card counts them', async () => {
    w = await startWorld({ env: { APPROVAL_QUORUM: '2' } });
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    expect(JSON.stringify(card.blocks)).toContain('Approvals 0/2');
    await w.alice.click(card, 'csrbot_approve');
    await w.alice.click(card, 'csrbot_approve');
    await w.emu.waitFor(() => (JSON.stringify(currentCard(w!, card).blocks).includes('Approvals 1/2') ? true : undefined), 'card shows 1/2', WAIT);
    // alice's second click must not count as a second approval, now or later.
    await waitForQuiet(w);
    expect(JSON.stringify(currentCard(w, card).blocks)).toContain('Approvals 1/2');
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(0);
    expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(0);
    await w.bob.click(card, 'csrbot_approve');
    await approvedOnce(w, csrNameOf(card));
    const approved = (await import('./world.js')).readCsr(w, csrNameOf(card));
    expect((await approved).status?.conditions?.find((c) => c.type === 'Approved')?.message).toBe(
      `Approved in Slack by Alice Admin (${w.alice.id}), Bob Admin (${w.bob.id})`,
    );
  });
});
