import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { inspectCertificate } from '../../../src/domain/certificate.js';
import { TestPki, type UserKey } from '../../support/fakes/test-pki.js';

let pki: TestPki;
let key: UserKey;
let certPem: string;
beforeAll(() => {
  pki = TestPki.create();
  key = pki.userKey('/CN=jane/O=developers/O=oncall');
  certPem = pki.sign(key.csrPem, 3);
});
afterAll(() => pki.cleanup());

function openssl(args: string[], input: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', env: { ...process.env, OPENSSL_CONF: '/dev/null' } });
}

describe('inspectCertificate on a real openssl certificate', () => {
  it('reads serial, dates, username, groups and fingerprints as openssl does', () => {
    const facts = inspectCertificate(certPem);
    const serial = openssl(['x509', '-noout', '-serial'], certPem)
      .trim()
      .replace(/^serial=/, '')
      .toLowerCase();
    expect(facts.serial).toBe(serial);
    const endDate = openssl(['x509', '-noout', '-enddate'], certPem)
      .trim()
      .replace(/^notAfter=/, '');
    expect(facts.notAfter).toBe(new Date(endDate).toISOString());
    expect(Date.parse(facts.notAfter) - Date.parse(facts.notBefore)).toBe(3 * 86400_000);
    expect(facts.username).toBe('jane');
    expect(facts.groups).toEqual(['developers', 'oncall']);
    expect(facts.subject).toContain('CN=jane');
    const fp = openssl(['x509', '-noout', '-fingerprint', '-sha256'], certPem).trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase();
    expect(facts.fingerprint).toBe(fp);
  });

  it('computes the SPKI fingerprint exactly like the CSR parser, so the key check is a string comparison', () => {
    expect(inspectCertificate(certPem).spkiFingerprint).toBe(key.summary.fingerprint);
    const spkiDer = execFileSync('openssl', ['pkey', '-pubout', '-outform', 'DER'], { input: key.keyPem });
    expect(inspectCertificate(certPem).spkiFingerprint).toBe(createHash('sha256').update(spkiDer).digest('hex'));
    const other = pki.userKey('/CN=jane/O=developers');
    expect(inspectCertificate(pki.sign(other.csrPem)).spkiFingerprint).not.toBe(key.summary.fingerprint);
  });

  it('reads UTF-8 names and groups', () => {
    const korean = pki.userKey('/CN=김지민/O=개발팀');
    const facts = inspectCertificate(pki.sign(korean.csrPem));
    expect(facts.username).toBe('김지민');
    expect(facts.groups).toEqual(['개발팀']);
  });

  it('refuses something that is not a certificate', () => {
    expect(() => inspectCertificate(key.csrPem)).toThrow();
  });
});
