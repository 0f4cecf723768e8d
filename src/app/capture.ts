import { inspectCertificate, type CertificateFacts } from '../domain/certificate.js';
import type { CertificateRecord } from '../domain/inventory.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { recordAudit } from './audit.js';
import { onNewCertificate } from './remind.js';

export type Capture =
  | { ok: true; request: CertificateRequest; facts: CertificateFacts; record: CertificateRecord }
  | { ok: false; facts: CertificateFacts; reason: 'key-mismatch' };

/**
 * The signer's output, seen for the first time (by the issue job or the
 * watch): keep the certificate on the request until it is delivered, and
 * record it in the inventory, so neither depends on the CSR object, which
 * Kubernetes deletes an hour after issuance. Idempotent: seeing it again
 * changes nothing. A certificate for another key is not captured: the issue
 * job fails the request.
 */
export async function captureCertificate(deps: Deps, r: CertificateRequest, certificatePem: string): Promise<Capture> {
  const facts = inspectCertificate(certificatePem);
  if (facts.spkiFingerprint !== r.csr.fingerprint) return { ok: false, facts, reason: 'key-mismatch' };
  const request = r.certificatePem === certificatePem ? r : await deps.store.update(r.id, { certificatePem });
  const { spkiFingerprint, ...cert } = facts;
  const { record, created } = await deps.inventory.record({
    ...cert,
    requesterId: r.requester.userId,
    approvers: r.approvals.map((a) => a.userId),
    requestId: r.id,
    csrPem: r.csr.pem,
    keyFingerprint: spkiFingerprint,
    ...(r.dmChannel !== undefined ? { dmChannel: r.dmChannel } : {}),
    issuedAt: deps.clock.now().toISOString(),
    ...(r.renewalOf !== undefined ? { renewalOf: r.renewalOf } : {}),
    autoRenewals: r.decision?.auto ? ((r.renewalOf ? (await deps.inventory.get(r.renewalOf))?.autoRenewals : undefined) ?? 0) + 1 : 0,
    status: 'active',
  });
  if (created) {
    deps.log.info({ requestId: r.id, serial: record.serial, notAfter: record.notAfter }, 'certificate captured');
    await recordAudit(deps, { type: 'issued', requestId: r.id, serial: record.serial, via: 'kubernetes', detail: `valid until ${record.notAfter}` });
  }
  // Also when not created: a crash between recording and scheduling must not leave it without reminders (scheduling is idempotent).
  await onNewCertificate(deps, record);
  return { ok: true, request, facts, record };
}
