import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WAIT, conditionCount, csrNameOf, isCertificateDm, janesKeyAndCsr, requestViaDm, startWorld, waitForQuiet, type World } from './world.js';

describe('Slack misbehaves', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('429s and 5xx on the way to jane are retried: every notice and the certificate arrive exactly once', async () => {
    const card = await requestViaDm(w, w.jane, janesKeyAndCsr(w).csrPem);
    await w.jane.waitForDm((m) => m.text.includes('was sent to the admins'), WAIT);
    // From here on, Slack answers the calls that deliver to jane badly, then recovers.
    w.emu.rateLimits.set('chat.postMessage', { limit: 1, windowMs: 1500, retryAfterSec: 1 });
    w.emu.faults.next('chat.update', { status: 503, times: 2 });
    w.emu.faults.next('files.getUploadURLExternal', { status: 500, times: 2 });
    w.emu.faults.next('upload', { status: 502 });
    w.emu.faults.next('files.completeUploadExternal', { status: 429, retryAfterSec: 1 });

    await w.alice.click(card, 'csrbot_approve');
    await w.jane.waitForDm(isCertificateDm, { timeoutMs: 90_000 });
    // Retries still to come (WebClient's, BullMQ's) keep it from being quiet; then nothing may arrive twice.
    await waitForQuiet(w);
    expect(w.jane.dms().filter(isCertificateDm)).toHaveLength(1);
    expect(w.jane.dms().filter((m) => m.text.includes('was approved by'))).toHaveLength(1);
    expect(await conditionCount(w, csrNameOf(card), 'Approved')).toBe(1);
    // The faults really happened.
    const statuses = w.emu.callLog.map((c) => c.status);
    expect(statuses).toEqual(expect.arrayContaining([429, 500, 503]));
  }, 120_000);
});
