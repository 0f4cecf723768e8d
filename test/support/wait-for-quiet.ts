/**
 * "Nothing else happened", proved by a condition rather than a sleep: the
 * queue has no job left to run, the Slack emulator has nothing under way, and
 * neither has changed for a short quiet period. Tests call it after they saw
 * the outcome they wait for, then count: a late duplicate (a second job, a
 * second replica, a Slack retry) would have kept things busy, or shown up.
 */
import type { Queue } from 'bullmq';
import type { DeliveryRecord, SlackEmulator } from './slack-emulator/index.js';

/** Job states that mean BullMQ still has work to do (a scheduled retry is `delayed`). */
const BUSY_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const FINISHED_STATES = ['completed', 'failed'] as const;

export interface QuietSources {
  /** The emulated Slack the bot talks to. */
  emu?: SlackEmulator;
  /** BullMQ queues to watch, opened with the bot's queue name and prefix. */
  queues?: readonly Queue[];
  /**
   * Queues of repeating jobs (job schedulers: the sweep, the reminder drain).
   * Their next run is always `delayed` by design, so only a job waiting or
   * running counts as work under way.
   */
  repeating?: readonly Queue[];
}

export interface QuietOptions {
  /** How long nothing may change, once nothing is under way, before it counts as quiet. Default 500 ms. */
  quietMs?: number;
  /** Give up, saying what was still busy, after this long. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * A Web API call answered 429, 5xx or dropped is work under way until the
   * client called that method again or this long passed: WebClient waits
   * Retry-After, or 1-2 s then 2-4 s (its default policy), before retrying,
   * and nothing is in flight meanwhile. Default 4500 ms.
   */
  retryWindowMs?: number;
  /** Accept deliveries the bot never acked (e.g. to a replica that was killed). Default false: they fail the wait. */
  allowUnacked?: boolean;
}

interface Snapshot {
  busy: string[];
  /** Changes whenever anything observable happened. */
  fingerprint: string;
}

/**
 * Resolves once every source is idle and has stayed unchanged for `quietMs`.
 * Rejects on timeout with what was still busy, and (unless `allowUnacked`)
 * when a delivery to the bot was never acked.
 */
export async function waitForQuiet(sources: QuietSources, o: QuietOptions = {}): Promise<void> {
  const quietMs = o.quietMs ?? 500;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const retryWindowMs = o.retryWindowMs ?? 4500;
  const { emu, queues = [], repeating = [] } = sources;
  if (!emu && queues.length === 0) throw new Error('waitForQuiet needs an emulator or a queue to watch');

  // Workspace changes between two polls (a message posted and deleted) still count as activity.
  let changes = 0;
  const onChange = (): void => void (changes += 1);
  emu?.workspace.on('change', onChange);
  // When this wait first saw each failed call (see retryWindowMs).
  const failedSeen = new Map<object, number>();
  let firstPoll = true;

  const snapshot = async (): Promise<Snapshot> => {
    const busy: string[] = [];
    const parts: unknown[] = [changes];
    if (emu) {
      const f = emu.inFlight();
      if (f.requests) busy.push(`${f.requests} Slack API request(s) not answered`);
      if (f.deliveries) busy.push(`${f.deliveries} delivery(ies) to the bot not acked`);
      if (f.events) busy.push(`${f.events} event delivery(ies) with retries to come`);
      const now = Date.now();
      const calledAgain = new Set<string>();
      for (const c of [...emu.callLog].reverse()) {
        const retried = calledAgain.has(c.method);
        calledAgain.add(c.method);
        if (retried || !(c.status === 429 || c.status >= 500 || c.status === 0)) continue;
        // A failure already there when the wait began counts from its call; a new one from when it was seen.
        if (!failedSeen.has(c)) failedSeen.set(c, firstPoll ? c.at : now);
        const age = now - failedSeen.get(c)!;
        if (age < retryWindowMs) busy.push(`${c.method} answered ${c.status || 'dropped'} ${age} ms ago; WebClient may retry it`);
      }
      parts.push(emu.callLog.length, emu.deliveries.length);
    }
    firstPoll = false;
    for (const q of queues) {
      const counts = await q.getJobCounts(...BUSY_STATES, ...FINISHED_STATES);
      const pending = BUSY_STATES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
      if (pending.length) busy.push(`queue ${q.name}: ${pending.join(', ')}`);
      parts.push(...FINISHED_STATES.map((s) => counts[s] ?? 0));
    }
    for (const q of repeating) {
      const counts = await q.getJobCounts('waiting', 'active');
      const running = (['waiting', 'active'] as const).filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
      if (running.length) busy.push(`queue ${q.name}: ${running.join(', ')}`);
    }
    return { busy, fingerprint: JSON.stringify(parts) };
  };

  const started = Date.now();
  try {
    let last = await snapshot();
    let since = Date.now();
    for (;;) {
      if (last.busy.length === 0 && Date.now() - since >= quietMs) break;
      if (Date.now() - started > timeoutMs) {
        const what = last.busy.length ? last.busy.join('; ') : `something kept changing (${last.fingerprint})`;
        throw new Error(`Not quiet after ${timeoutMs} ms: ${what}${emu ? `\n\n${emu.transcript()}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 25));
      const next = await snapshot();
      if (next.busy.length > 0 || next.fingerprint !== last.fingerprint) since = Date.now();
      last = next;
    }
  } finally {
    emu?.workspace.off('change', onChange);
  }

  if (emu && !o.allowUnacked) {
    const unacked = neverAcked(emu.deliveries);
    if (unacked.length)
      throw new Error(
        `The bot never acked ${unacked.length} delivery(ies): ${unacked.map((d) => `${d.type} ${d.label} (${d.reason ?? 'no reason'})`).join('; ')}\n\n${emu.transcript()}`,
      );
  }
}

/** Deliveries to a connected bot that were not acked, leaving out events a later retry delivered. */
function neverAcked(deliveries: readonly DeliveryRecord[]): DeliveryRecord[] {
  const eventId = (d: DeliveryRecord): unknown => (d.type === 'events_api' ? d.body.event_id : undefined);
  const ackedEvents = new Set(deliveries.filter((d) => d.acked && eventId(d) !== undefined).map(eventId));
  return deliveries.filter((d) => !d.acked && d.via !== 'none' && !(eventId(d) !== undefined && ackedEvents.has(eventId(d))));
}
