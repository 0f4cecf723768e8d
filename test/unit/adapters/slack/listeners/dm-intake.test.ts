/**
 * The Submit button on a DM summary, with Redis unreachable (found by the chaos
 * campaign during its Redis restart): the click was acked and then nothing,
 * no request, no card, no word, while the summary kept offering Submit.
 */
import { describe, expect, it } from '@jest/globals';
import type { App } from '@slack/bolt';
import { NOT_SUBMITTED, registerDmIntake } from '../../../../../src/adapters/slack/listeners/dm-intake.js';
import { Actions } from '../../../../../src/adapters/slack/ids.js';
import type { InboxFlow } from '../../../../../src/app/inbox.js';
import { makeDeps } from '../../../../support/fakes/make-deps.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

/** Bolt's registration surface, keeping each handler so the test can call it as Bolt would. */
function boltSurface(): { app: App; actions: Map<string, Handler> } {
  const actions = new Map<string, Handler>();
  const app = {
    action: (id: string, h: Handler) => void actions.set(id, h),
    event: () => undefined,
  } as unknown as App;
  return { app, actions };
}

describe('the Submit button on a DM summary', () => {
  it('with the store unreachable: acked, the requester is told it was not submitted, and the error still reaches the error handler', async () => {
    const t = makeDeps();
    const down = new Error('Reached the max retries per request limit (which is 3).');
    const flow = {
      deps: t.deps,
      intake: {} as InboxFlow['intake'],
      inbox: {} as InboxFlow['inbox'],
      drafts: { get: () => Promise.reject(down), put: () => Promise.reject(down) },
    } as unknown as InboxFlow;
    const { app, actions } = boltSurface();
    registerDmIntake(app, flow);
    const calls: string[] = [];
    const said: unknown[] = [];
    const click = actions.get(Actions.submitRequest)!({
      ack: async () => void calls.push('ack'),
      respond: async (m: unknown) => void (calls.push('respond'), said.push(m)),
      body: { user: { id: 'UJANE' }, actions: [{ value: 'draft-1' }], state: { values: {} } },
    });
    await expect(click).rejects.toBe(down);
    expect(calls).toEqual(['ack', 'respond']);
    expect(said).toEqual([{ response_type: 'ephemeral', replace_original: false, text: NOT_SUBMITTED }]);
  });
});
