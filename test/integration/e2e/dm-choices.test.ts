import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { X509Certificate } from 'node:crypto';
import {
  WAIT,
  csrNameOf,
  currentCard,
  deliveredKubeconfig,
  hasAction,
  isCertificateDm,
  janesKeyAndCsr,
  readCsr,
  startWorld,
  waitForCard,
  waitForQuiet,
  type World,
} from './world.js';

const SUBMIT = 'csrbot_submit_request';
const textOf = (m: { text: string; blocks?: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;

/** Every value stored under csrbot's Redis prefix, as text. */
async function everythingInRedis(w: World): Promise<string> {
  const redis = new Redis(w.env.REDIS_URL!);
  try {
    const keys = await redis.keys(`${w.env.REDIS_PREFIX!}*`);
    const dumped: string[] = [];
    for (const k of keys) {
      const type = await redis.type(k);
      if (type === 'string') dumped.push(String(await redis.get(k)));
      else if (type === 'hash') dumped.push(JSON.stringify(await redis.hgetall(k)));
      else if (type === 'list') dumped.push(JSON.stringify(await redis.lrange(k, 0, -1)));
      else if (type === 'set') dumped.push(JSON.stringify(await redis.smembers(k)));
      else if (type === 'zset') dumped.push(JSON.stringify(await redis.zrange(k, '0', '-1')));
      else if (type === 'stream') dumped.push(JSON.stringify(await redis.xrange(k, '-', '+')));
    }
    return dumped.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe('choices in the DM summary: lifetime and reason reach the card, the cluster and the certificate', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('a pasted private key is refused as exposed, and nothing is stored', async () => {
    const { keyPem } = janesKeyAndCsr(w);
    const keyBody = keyPem.split('\n')[1]!;
    await w.jane.dm(w.emu.bot).say(keyPem);
    const refusal = await w.jane.waitForDm((m) => textOf(m).includes('PRIVATE KEY'), WAIT);
    expect(textOf(refusal)).toContain('This key is now exposed');
    expect(textOf(refusal)).toContain('never use that key again');
    // idle() only said no delivery was in flight; the bot could still be working on the message.
    await waitForQuiet(w);
    // No summary to submit, no card for the admins, and the key is nowhere csrbot keeps things.
    expect(w.jane.dms().filter(hasAction(SUBMIT))).toEqual([]);
    expect(w.emu.messagesIn(w.emu.adminChannelId).filter((m) => m.user === w.emu.botUserId)).toEqual([]);
    expect(await everythingInRedis(w)).not.toContain(keyBody);
    expect(w.logs.join('')).not.toContain(keyBody);
  });

  it('jane picks 1 hour and gives a reason; the CSR asks for 3600 s and the certificate lives about an hour', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    await w.jane.dm(w.emu.bot).upload('jane.csr', csrPem);
    const summary = await w.jane.waitForDm(hasAction(SUBMIT), WAIT);

    // The select in the summary's actions block dispatches on change; the reason input does not.
    const picked = await w.jane.fill(summary, 'csrbot_lifetime', '3600');
    expect(picked.dispatched).toBe(true);
    expect(picked.delivery?.acked).toBe(true);
    const typed = await w.jane.fill(summary, 'reason_input', 'on-call access to prod');
    expect(typed.dispatched).toBe(false);

    const submitted = await w.jane.click(summary, SUBMIT);
    expect(submitted.acked).toBe(true);
    expect(submitted.body.state).toEqual({
      values: {
        reason_block: { reason_input: { type: 'plain_text_input', value: 'on-call access to prod' } },
        submit_block: { csrbot_lifetime: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: '1 hour' }, value: '3600' } } },
      },
    });

    const card = await waitForCard(w, (m) => m.text.includes('for jane') && hasAction('csrbot_approve')(m));
    const cardText = JSON.stringify(card.blocks);
    expect(cardText).toContain('*Lifetime:* 1 hour');
    expect(cardText).toContain('*Reason:* on-call access to prod');
    expect(cardText).toContain('valid 1 hour');

    // The summary became "Submitted" with nothing left to press: a second Submit is impossible.
    await w.emu.waitFor(() => (currentCard(w, summary).text.startsWith('Submitted') ? true : undefined), 'the summary to read "Submitted"', WAIT);
    expect(hasAction(SUBMIT)(currentCard(w, summary))).toBe(false);
    expect(hasAction('csrbot_lifetime')(currentCard(w, summary))).toBe(false);
    await expect(w.jane.click(summary, SUBMIT)).rejects.toThrow(/cannot click "csrbot_submit_request": no such element/);

    const csrName = csrNameOf(card);
    const obj = await readCsr(w, csrName);
    expect(obj.spec.expirationSeconds).toBe(3600);
    expect(obj.metadata?.annotations?.['csrbot.io/reason']).toBe('on-call access to prod');

    await w.alice.click(card, 'csrbot_approve');
    const dm = await w.jane.waitForDm(isCertificateDm, WAIT);
    const cert = new X509Certificate(deliveredKubeconfig(w, dm).certificate);
    expect(cert.subject).toContain('CN=jane');
    // Kubernetes backdates notBefore by up to 5 minutes against clock skew.
    const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000;
    expect(lifetime).toBeGreaterThanOrEqual(3600);
    expect(lifetime).toBeLessThanOrEqual(3600 + 300 + 5);
    expect(Date.parse(cert.validTo) - Date.now()).toBeLessThanOrEqual(3600 * 1000 + 5000);
  });

  it('a pasted PEM works like a file; an untouched summary submits the default lifetime and no reason', async () => {
    const { csrPem } = janesKeyAndCsr(w);
    const before = w.jane.dms().filter(hasAction(SUBMIT)).length;
    const pasted = await w.jane.dm(w.emu.bot).say(csrPem);
    const summary = await w.jane.waitForDm((m) => m.ts > pasted.ts && hasAction(SUBMIT)(m), WAIT);
    expect(w.jane.dms().filter(hasAction(SUBMIT))).toHaveLength(before + 1);
    expect(textOf(summary)).toContain('`jane`');

    const submitted = await w.jane.click(summary, SUBMIT);
    expect(submitted.body.state).toEqual({
      values: {
        reason_block: { reason_input: { type: 'plain_text_input', value: null } },
        submit_block: { csrbot_lifetime: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: '1 day' }, value: '86400' } } },
      },
    });
    const card = await waitForCard(w, (m) => m.ts > summary.ts && m.text.includes('for jane') && hasAction('csrbot_approve')(m));
    expect(JSON.stringify(card.blocks)).toContain('*Lifetime:* 1 day');
    expect(JSON.stringify(card.blocks)).toContain('*Reason:* _none given_');
    const obj = await readCsr(w, csrNameOf(card));
    expect(obj.spec.expirationSeconds).toBe(86400);
    expect(obj.metadata?.annotations?.['csrbot.io/reason']).toBeUndefined();
    await w.emu.waitFor(() => (currentCard(w, summary).text.startsWith('Submitted') ? true : undefined), 'the pasted summary to read "Submitted"', WAIT);
  });
});
