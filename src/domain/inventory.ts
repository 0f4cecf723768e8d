/**
 * What csrbot remembers of a certificate it issued, after Kubernetes has
 * garbage-collected the CSR (1 h after issuance). Public material only: the
 * CSR and the certificate's facts, never a key.
 */
import type { IssuedCertificate } from './lifecycle.js';

/**
 * active: reminders run. renewed: a renewal was issued for it. superseded: a
 * newer certificate for the same holder and key was issued another way.
 * dismissed: the holder said "I no longer need it". offboarded: the holder
 * left the workspace. Only `active` gets reminders and renewals.
 */
export type CertificateStatus = 'active' | 'renewed' | 'superseded' | 'dismissed' | 'offboarded';

export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = ['active', 'renewed', 'superseded', 'dismissed', 'offboarded'];

/** The facts fixed at issuance. */
export interface CertificateFactsRecord extends IssuedCertificate {
  requesterId: string;
  approvers: string[];
  requestId: string;
  /** The CSR as submitted (PEM, public): Renew submits it again, same key and subject. */
  csrPem: string;
  /** SHA-256 of the CSR's public key (SPKI): "same key" is a string comparison. */
  keyFingerprint: string;
  /** The holder's DM with the bot, where reminders go (opened from requesterId when absent). */
  dmChannel?: string;
  /** When csrbot first saw the signer's certificate. */
  issuedAt: string;
  /** Serial of the certificate this one renews. */
  renewalOf?: string;
  /** Auto-approved renewals in a row in this line of certificates, this one included (0 when people approved it). */
  autoRenewals: number;
}

export interface CertificateRecord extends CertificateFactsRecord {
  status: CertificateStatus;
  /** Serial of the certificate that replaced it (renewed, superseded). */
  replacedBy?: string;
  /** Due time (epoch ms) of the last reminder sent: the sweep never schedules one at or before it again. */
  remindedThrough?: number;
}
