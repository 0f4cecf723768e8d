import type { V1CertificateSigningRequest, V1CertificateSigningRequestCondition } from '@kubernetes/client-node';
import type { CsrObject } from '../../ports.js';

// Objects from the typed API carry Date fields; objects from a watch stream
// are plain JSON with strings. Accept both.
const iso = (d: Date | string | undefined): string | undefined => (d instanceof Date ? d.toISOString() : typeof d === 'string' ? d : undefined);

const isTrue = (conditions: V1CertificateSigningRequestCondition[], type: string) => conditions.find((c) => c.type === type && c.status === 'True');

/** The one mapping from the API's object to the use cases' CsrObject. */
export function toCsrObject(obj: V1CertificateSigningRequest): CsrObject {
  const conditions = obj.status?.conditions ?? [];
  // Kubernetes keeps the first decision: Approved and Denied are mutually exclusive.
  const decided = conditions.find((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True');
  const failed = isTrue(conditions, 'Failed');
  const certificatePem = obj.status?.certificate ? Buffer.from(obj.status.certificate, 'base64').toString('utf8') : undefined;
  const state: CsrObject['state'] =
    decided?.type === 'Denied' ? 'denied' : failed ? 'failed' : certificatePem ? 'issued' : decided?.type === 'Approved' ? 'approved' : 'pending';

  const csr: CsrObject = { name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '', state, annotations: obj.metadata?.annotations ?? {} };
  if (certificatePem) csr.certificatePem = certificatePem;
  if (failed) csr.failureMessage = failed.message ?? failed.reason ?? 'the signer failed';
  else if (state === 'denied' && decided?.message) csr.failureMessage = decided.message;
  if (decided) {
    const at = iso(decided.lastUpdateTime);
    csr.decision = {
      type: decided.type as 'Approved' | 'Denied',
      ...(decided.reason ? { reason: decided.reason } : {}),
      ...(decided.message ? { message: decided.message } : {}),
      ...(at ? { at } : {}),
    };
  }
  const created = iso(obj.metadata?.creationTimestamp);
  if (created) csr.createdAt = created;
  return csr;
}
