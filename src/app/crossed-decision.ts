import { namedDeciders } from '../domain/decision-message.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/** Who denied in Slack, as the cluster's condition and the admins read it. */
export function deniersOf(r: CertificateRequest): string {
  return namedDeciders(r.decision?.by ?? []);
}

/** How a Slack deny that lost to a decision in the cluster is recorded: the cluster's own words first. */
export function approvedWhileDenying(r: CertificateRequest, clusterWords: string | undefined): string {
  return `the cluster (approved outside Slack${clusterWords ? `: ${clusterWords}` : ''}) while the deny by ${deniersOf(r)} was being written`;
}

/**
 * The cluster approved while csrbot was writing a Slack deny: Kubernetes keeps
 * the first decision, so the request is approved. The admins hear it once
 * (the deny they saw go through did not count); the requester hears "approved" from announce.
 */
export async function tellDenyOverruled(deps: Deps, denying: CertificateRequest, clusterWords: string | undefined): Promise<void> {
  await onceOnly(deps, denying.id, 'deny-overruled', () =>
    deps.chat.tellAdmins(
      `:warning: Request ${denying.id} (${denying.csrName}) was approved in the cluster${clusterWords ? ` (${clusterWords})` : ''} while the deny by ${deniersOf(denying)} was being written. Kubernetes keeps the first decision: the request is approved and the certificate goes to the requester. Deny it again with \`kubectl delete csr ${denying.csrName}\` before it is issued if that was not meant.`,
    ),
  );
}
