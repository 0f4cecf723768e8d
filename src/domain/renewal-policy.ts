/**
 * When a renewal may be approved by csrbot itself. Off by default; when on,
 * only for the same certificate again (subject, groups, key), for the same
 * person, within a run of at most N automatic renewals since people last
 * approved, soon after the previous one expired, and never for an identity
 * that is privileged (or whose privilege could not be checked).
 */
import type { CertificateRecord } from './inventory.js';

export interface RenewalPolicy {
  /** RENEWAL_AUTO_APPROVE. Default false. */
  autoApprove: boolean;
  /** RENEWAL_MAX_AUTO: automatic renewals in a row before people must approve again. Default 3. */
  maxAuto: number;
  /** RENEWAL_GRACE: how long after the previous certificate expired a renewal may still be automatic. Default 1 day. */
  graceMs: number;
}

export const DEFAULT_RENEWAL_POLICY: RenewalPolicy = { autoApprove: false, maxAuto: 3, graceMs: 86_400_000 };

export interface RenewalCase {
  previous: CertificateRecord;
  /** The renewal as submitted: the username the requester maps to now, and the CSR's groups and key. */
  username: string;
  groups: readonly string[];
  keyFingerprint: string;
  /** From the permission review: true/false, or undefined when it could not be checked. */
  privileged: boolean | undefined;
  nowMs: number;
}

export type RenewalVerdict = { auto: true; rule: string } | { auto: false; why: string };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export function judgeRenewal(policy: RenewalPolicy, c: RenewalCase): RenewalVerdict {
  const p = c.previous;
  if (!policy.autoApprove) return { auto: false, why: 'automatic renewal is off (RENEWAL_AUTO_APPROVE=false)' };
  if (c.keyFingerprint !== p.keyFingerprint) return { auto: false, why: 'the key changed' };
  if (c.username !== p.username) return { auto: false, why: `the requester now maps to ${c.username}, not ${p.username}` };
  if (!sameSet(c.groups, p.groups)) return { auto: false, why: 'the groups changed' };
  if (p.autoRenewals >= policy.maxAuto) {
    return { auto: false, why: `${p.autoRenewals} renewals in a row were automatic (RENEWAL_MAX_AUTO=${policy.maxAuto}): people approve the next one` };
  }
  const expiredFor = c.nowMs - Date.parse(p.notAfter);
  if (expiredFor > policy.graceMs)
    return { auto: false, why: `the previous certificate expired more than ${Math.round(policy.graceMs / 1000)} s ago (RENEWAL_GRACE)` };
  if (c.privileged === undefined) return { auto: false, why: 'its permissions could not be checked, so it counts as privileged' };
  if (c.privileged) return { auto: false, why: 'the identity is privileged' };
  return {
    auto: true,
    rule: `RENEWAL_AUTO_APPROVE: same subject, groups and key for ${p.username}, renewal ${p.autoRenewals + 1} of at most ${policy.maxAuto} in a row, not privileged`,
  };
}
