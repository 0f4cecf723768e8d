import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { CsrCondition, CsrState, CsrView } from './types.js';

// Objects from the typed API carry Date fields; objects from a watch stream
// are plain JSON with strings. Accept both.
const iso = (d: unknown): string | undefined => (d instanceof Date ? d.toISOString() : typeof d === 'string' ? d : undefined);

const isTrue = (conds: CsrCondition[], type: string) => conds.find((c) => c.type === type && c.status === 'True');

/** Maps a CertificateSigningRequest object to csrbot's view of it. */
export function toCsrView(obj: V1CertificateSigningRequest): CsrView {
  const conditions: CsrCondition[] = (obj.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(iso(c.lastUpdateTime) ? { lastUpdateTime: iso(c.lastUpdateTime) } : {}),
  }));
  const certificatePem = obj.status?.certificate ? Buffer.from(obj.status.certificate, 'base64').toString('utf8') : undefined;
  const failed = isTrue(conditions, 'Failed');
  let state: CsrState = 'pending';
  if (isTrue(conditions, 'Denied')) state = 'denied';
  else if (failed) state = 'failed';
  else if (certificatePem) state = 'issued';
  else if (isTrue(conditions, 'Approved')) state = 'approved';

  const view: CsrView = {
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
    state,
    signerName: obj.spec.signerName,
    usages: obj.spec.usages ?? [],
    conditions,
    labels: obj.metadata?.labels ?? {},
    annotations: obj.metadata?.annotations ?? {},
    resourceVersion: obj.metadata?.resourceVersion ?? '',
  };
  if (obj.spec.expirationSeconds !== undefined) view.expirationSeconds = obj.spec.expirationSeconds;
  if (obj.spec.username) view.requestedBy = obj.spec.username;
  if (certificatePem) view.certificatePem = certificatePem;
  if (failed) view.failureMessage = failed.message ?? failed.reason ?? 'the signer failed';
  const created = iso(obj.metadata?.creationTimestamp);
  if (created) view.createdAt = created;
  return view;
}
