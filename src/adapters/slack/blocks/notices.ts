import { describeFor } from '../../../domain/errors.js';
import type { CertificateRequest } from '../../../domain/lifecycle.js';
import type { RequesterNotice } from '../../../ports.js';
import { clip, decidedBy, esc } from './format.js';
import type { KnownBlock } from './types.js';

/** What the requester reads in their DM at each step. */
export function requesterNotice(r: CertificateRequest, n: RequesterNotice): { text: string; blocks: KnownBlock[] } {
  const ref = `request \`${r.id}\` (${esc(r.kubernetesUsername)})`;
  const by = decidedBy(r.decision);
  const text = {
    submitted: `Your ${ref} was sent to the admins. I will DM you the certificate once it is approved.`,
    delayed: `Your ${ref} is delayed: ${n.kind === 'delayed' ? esc(n.reason) : ''} I keep retrying; nothing is lost.`,
    approved: `Your ${ref} was approved by ${by}. The certificate is on its way.`,
    denied: `Your ${ref} was denied by ${by}.${r.decision?.reason ? ` Reason: ${esc(r.decision.reason)}` : ''}`,
    failed: `Your ${ref} failed: ${esc(r.failure ? describeFor('requester', r.failure.code, r.failure.details) : 'the cluster did not issue a certificate')}`,
    deleted: `Your ${ref} was deleted in the cluster before a certificate was issued. Send the CSR again if you still need one.`,
    expired: `Your ${ref} expired: no admin decided it, and Kubernetes discards undecided requests 24 hours after they are made. To ask again, send me the same .csr file (or run \`/cert request\`), and tell the admins${r.card ? ` in <#${r.card.channel}>` : ''} if it is urgent.`,
  }[n.kind];
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } }] };
}
