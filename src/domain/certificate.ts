import { X509Certificate, createHash } from 'node:crypto';
import type { IssuedCertificate } from './lifecycle.js';

/**
 * What an issued certificate says, read with node:crypto. `spkiFingerprint`
 * is computed exactly like the CSR's, so "the certificate is for the key the
 * user holds" is a string comparison.
 */
export interface CertificateFacts extends IssuedCertificate {
  spkiFingerprint: string;
}

function rdnValues(dn: string, key: string): string[] {
  return dn
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

export function inspectCertificate(pem: string): CertificateFacts {
  const cert = new X509Certificate(pem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const username = rdnValues(cert.subject, 'CN').at(-1) ?? '';
  return {
    serial: cert.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    spkiFingerprint: createHash('sha256').update(spki).digest('hex'),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    subject: cert.subject.split('\n').join(', '),
    username,
    groups: rdnValues(cert.subject, 'O'),
  };
}
