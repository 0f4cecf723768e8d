import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificatesV1Api, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { CsrbotError } from '../../../src/domain/errors.js';
import { CLIENT_SIGNER } from '../../../src/domain/kubernetes-rules.js';
import type { CreateCsr, CsrApi, CsrObject } from '../../../src/ports.js';
import { adminKubeConfig } from '../../support/cluster/cluster.js';

/** A CSR name no other test (or earlier run on a reused cluster) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A key and CSR made with the openssl CLI, as a user following the manual process would. */
export function opensslKeyAndCsr(subject: { cn: string; o?: string[] }): { keyPem: string; csrPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'csrbot-csr-'));
  try {
    const subj = `/CN=${subject.cn}` + (subject.o ?? []).map((o) => `/O=${o}`).join('');
    execFileSync(
      'openssl',
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'csr.pem', '-subj', subj],
      {
        cwd: dir,
        stdio: 'pipe',
      },
    );
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

/**
 * Polls the adapter until the signer has decided: the issued CSR, or
 * CSR_SIGNING_FAILED / CSR_ALREADY_DECIDED / CLUSTER_TIMEOUT as CsrbotErrors.
 * (csrbot itself waits in app/issue.ts with a watch; the adapter tests only
 * need to see what the cluster recorded.)
 */
export async function waitForCertificate(api: Pick<CsrApi, 'get'>, name: string, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<CsrObject> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const csr = await api.get(name);
    if (!csr) throw new CsrbotError('CSR_NOT_FOUND', { name });
    if (csr.state === 'issued') return csr;
    if (csr.state === 'failed') throw new CsrbotError('CSR_SIGNING_FAILED', { name, message: csr.failureMessage });
    if (csr.state === 'denied') throw new CsrbotError('CSR_ALREADY_DECIDED', { name, decision: 'denied', attempted: 'issue' });
    if (Date.now() > deadline) throw new CsrbotError('CLUSTER_TIMEOUT', { operation: `waiting for the certificate of ${name}` });
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** What csrbot creates for a request, with the given overrides. */
export function csrSpec(name: string, csrPem: string, o: Partial<CreateCsr> = {}): CreateCsr {
  return { name, csrPem, signerName: CLIENT_SIGNER, usages: ['client auth', 'digital signature'], expirationSeconds: 3600, annotations: {}, ...o };
}

/** The CSR exactly as the cluster stores it (read as the admin), to check what the adapter wrote. */
export function readCsr(name: string): Promise<V1CertificateSigningRequest> {
  return adminKubeConfig().makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name });
}
