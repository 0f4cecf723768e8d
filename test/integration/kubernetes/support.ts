import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A CSR name no other test (or earlier run on a reused cluster) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A key and CSR made with the openssl CLI, as a user following the manual process would. */
export function opensslKeyAndCsr(subject: { cn: string; o?: string[] }): { keyPem: string; csrPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'csrbot-csr-'));
  try {
    const subj = `/CN=${subject.cn}` + (subject.o ?? []).map((o) => `/O=${o}`).join('');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'csr.pem', '-subj', subj], {
      cwd: dir,
      stdio: 'pipe',
    });
    return { keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8'), csrPem: readFileSync(path.join(dir, 'csr.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Subject of a certificate as attribute -> values, e.g. { CN: ['jane'], O: ['dev-team'] }. */
export function subjectOf(cert: X509Certificate): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of cert.subject.split('\n')) {
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    (out[k] ??= []).push(line.slice(i + 1));
  }
  return out;
}

export const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
