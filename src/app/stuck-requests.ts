import type { CertificateRequest, OpenState } from '../domain/lifecycle.js';
import type { JobCheck, JobKind } from '../ports.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';
import type { SweepPass } from './sweep.js';

export interface StuckRequestsOptions {
  /** A request that entered its state less than this ago is left alone: its job may still be on its way. Default 60000 ms. */
  graceMs?: number;
  /** Waiting on csrbot longer than this, the admins are told once (with the reason) and so is the requester. Default 30 min. */
  stuckAfterMs?: number;
  /** Requests read per bucket and pass. Default 1000. */
  pageSize?: number;
}

/** The job that moves a request in this state forward, and what it does in words; undefined when it waits on people. */
function nextStep(r: CertificateRequest): { kind: JobKind; what: string } | undefined {
  switch (r.state) {
    case 'approving':
      return { kind: 'approve', what: 'write the approval to the cluster' };
    case 'denying':
      return { kind: 'deny', what: 'write the denial to the cluster' };
    case 'approved':
      return { kind: 'issue', what: 'get the certificate from the signer and deliver it' };
    case 'pending':
      // With a card it waits for the admins, which is not stuck.
      return r.card ? undefined : { kind: 'submit', what: 'create the CSR in the cluster and post the approval card' };
    default:
      return undefined;
  }
}

const BUCKETS: readonly OpenState[] = ['approved', 'pending'];

/**
 * A pass of the product's sweep (app/sweep.ts on the lifecycle branch:
 * `{ name, run(now) }`): every request that is not final and waits on csrbot
 * gets a live job. The decision and the open-request index are one atomic
 * write in the store, so a crash or a Redis blip between the decision and
 * the enqueue leaves the request in the index, and this pass queues its job;
 * a job that failed for good is run again, for as long as the request is open.
 */
export function stuckRequestsPass(deps: Deps, opts: StuckRequestsOptions = {}): SweepPass {
  const graceMs = opts.graceMs ?? 60_000;
  const stuckAfterMs = opts.stuckAfterMs ?? 30 * 60_000;
  const pageSize = opts.pageSize ?? 1000;
  return {
    name: 'stuck-requests',
    async run(now) {
      const counts = { checked: 0, live: 0, redriven: 0, stuck: 0 };
      for (const bucket of BUCKETS) {
        for (const { id, since } of await deps.store.openSince(bucket, new Date(now.getTime() - graceMs), pageSize)) {
          const r = await deps.store.get(id);
          const step = r && nextStep(r);
          if (!r || !step) continue;
          counts.checked += 1;
          const check = await deps.jobs.ensure(step.kind, id);
          if (check.found === 'live') counts.live += 1;
          else {
            counts.redriven += 1;
            deps.log.warn({ requestId: id, job: step.kind, found: check.found, lastError: check.lastError }, 'request had no live job; queued it again');
          }
          const waitedMs = now.getTime() - since.getTime();
          if (waitedMs >= stuckAfterMs) {
            counts.stuck += 1;
            await tellStuck(deps, r, step.what, check, Math.floor(waitedMs / 60_000));
          }
        }
      }
      return counts;
    },
  };
}

/** Once per request: the admins get the reason, the requester that it is late, that the admins know, and that csrbot keeps trying. */
async function tellStuck(deps: Deps, r: CertificateRequest, what: string, check: JobCheck, minutes: number): Promise<void> {
  const why =
    check.lastError ??
    (check.found === 'missing'
      ? 'no job was queued for it (lost between the decision and the queue); I queued it now'
      : 'no attempt has failed yet; it is still waiting its turn');
  await onceOnly(deps, r.id, 'stuck-admins', () =>
    deps.chat.tellAdmins(
      `:warning: Request ${r.id} (${r.csrName}) has waited ${minutes} minutes for csrbot to ${what}. Last error: ${why.replace(/\.+$/, '')}. csrbot keeps retrying.`,
    ),
  );
  await onceOnly(deps, r.id, 'stuck-requester', () =>
    deps.chat.notifyRequester(r, { kind: 'delayed', reason: `csrbot has been trying to ${what} for ${minutes} minutes; the admins have been told.` }),
  );
}
