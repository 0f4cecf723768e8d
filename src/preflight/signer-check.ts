import { CsrbotError } from '../domain/errors.js';
import type { CsrObject } from '../ports.js';
import { pass, warn, type CheckResult } from './check-result.js';

/** An approved CSR without a certificate after this long means the signer is not working (kubelet-style signers answer in seconds). */
export const SIGNER_GRACE_MS = 10 * 60_000;

/**
 * Does the cluster's signer issue for csrbot? Judged from csrbot's own CSRs
 * (no test CSR is created: that would mint a real credential): any approved
 * for longer than the grace period with neither a certificate nor a Failed
 * condition is a signer that does not issue. A warning, not a failure: the
 * signer may recover, and csrbot can still take requests meanwhile.
 */
export function signerVerdict(csrs: readonly CsrObject[], now: Date, signer?: string): CheckResult {
  const approvedAt = (c: CsrObject) => {
    const at = Date.parse((c.decision?.type === 'Approved' ? c.decision.at : undefined) ?? c.createdAt ?? '');
    return Number.isNaN(at) ? undefined : at;
  };
  const stuck = csrs
    .filter((c) => c.state === 'approved')
    .map((c) => ({ name: c.name, at: approvedAt(c) }))
    .filter((c): c is { name: string; at: number } => c.at !== undefined && now.getTime() - c.at > SIGNER_GRACE_MS)
    .sort((a, b) => a.at - b.at);
  const issued = csrs.filter((c) => c.state === 'issued').length;
  if (stuck.length === 0)
    return pass(
      'kubernetes-signer',
      issued > 0 ? `issued ${issued} of csrbot's current CSRs; none waits too long` : 'no approved request of csrbot waits for the signer',
    );
  const oldest = stuck[0]!;
  return warn(
    'kubernetes-signer',
    new CsrbotError('CLUSTER_SIGNER_NOT_ISSUING', {
      count: stuck.length,
      oldest: oldest.name,
      minutes: Math.floor((now.getTime() - oldest.at) / 60_000),
      signer,
    }),
  );
}
