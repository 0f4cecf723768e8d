import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Annotations } from '../../../src/app/deps.js';
import { onCsrEvent } from '../../../src/app/reconcile.js';
import { unannouncedPass } from '../../../src/app/unannounced.js';
import type { CsrObject } from '../../../src/ports.js';
import { TestPki } from '../../support/fakes/test-pki.js';
import { state, submitted, type Submitted } from './flow.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

function deniedOutside(t: Submitted): CsrObject {
  return {
    name: t.request.csrName,
    uid: 'uid-1',
    state: 'denied',
    decision: { type: 'Denied', reason: 'KubectlDeny', message: 'This CSR was denied by kubectl certificate deny.' },
    annotations: { [Annotations.requestId]: t.id },
  };
}

// The outbox is scored with the store's clock (Redis time in production), so the pass is run at real time plus the grace.
const GRACE = 30_000;
const pass = (t: Submitted) => unannouncedPass(t.deps, { graceMs: GRACE });
const afterGrace = () => new Date(Date.now() + GRACE + 1000);

/** The watch handler's process "dies" in its first card update: the call never returns, as a SIGKILLed process's never does. */
function dieInNextCardUpdate(t: Submitted): void {
  const real = t.chat.updateCard.bind(t.chat);
  let died = false;
  t.chat.updateCard = (r) => {
    if (died) return real(r);
    died = true;
    return new Promise<void>(() => undefined);
  };
}

/** The cut-off watch handler has made its transition (the in-memory store answers within a few ticks). */
async function untilDenied(t: Submitted): Promise<void> {
  for (let i = 0; i < 100 && (await state(t, t.id)).state !== 'denied'; i++) await new Promise((r) => setImmediate(r));
  expect((await state(t, t.id)).state).toBe('denied');
}

describe('the unannounced pass', () => {
  it('a kubectl deny whose announcement was cut off: after the grace the card shows it and jane is told, once', async () => {
    const t = await submitted(pki);
    dieInNextCardUpdate(t);
    void onCsrEvent(t.deps, 'MODIFIED', deniedOutside(t));
    await untilDenied(t);
    expect(t.chat.lastCard).toMatchObject({ state: 'pending' });
    expect(t.chat.noticesOf('denied')).toEqual([]);

    // Within the grace its announcer may still be at work: left alone.
    expect(await pass(t).run(new Date())).toEqual({ announced: 0, gone: 0, failed: 0 });
    expect(await pass(t).run(afterGrace())).toEqual({ announced: 1, gone: 0, failed: 0 });
    expect(t.chat.lastCard).toMatchObject({ state: 'denied' });
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
    // Announced: out of the outbox, so the next pass does nothing.
    expect(await pass(t).run(afterGrace())).toEqual({ announced: 0, gone: 0, failed: 0 });
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
  });

  it('leaves alone a final state announced in full', async () => {
    const t = await submitted(pki);
    await onCsrEvent(t.deps, 'MODIFIED', deniedOutside(t));
    const updates = t.chat.cardUpdates.length;
    expect(await pass(t).run(afterGrace())).toEqual({ announced: 0, gone: 0, failed: 0 });
    expect(t.chat.cardUpdates).toHaveLength(updates);
  });

  it('an announcement that fails again stays in the outbox for the next pass', async () => {
    const t = await submitted(pki);
    dieInNextCardUpdate(t);
    void onCsrEvent(t.deps, 'MODIFIED', deniedOutside(t));
    await untilDenied(t);
    t.chat.failNext('notifyRequester');
    expect(await pass(t).run(afterGrace())).toEqual({ announced: 0, gone: 0, failed: 1 });
    expect(await pass(t).run(afterGrace())).toEqual({ announced: 1, gone: 0, failed: 0 });
    expect(t.chat.noticesOf('denied')).toHaveLength(1);
  });
});
