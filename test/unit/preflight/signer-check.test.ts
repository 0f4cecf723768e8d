import { describe, expect, it } from '@jest/globals';
import type { CsrObject } from '../../../src/ports.js';
import { SIGNER_GRACE_MS, signerVerdict } from '../../../src/preflight/signer-check.js';

const now = new Date('2026-12-03T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const csr = (name: string, state: CsrObject['state'], approvedMsAgo?: number): CsrObject => ({
  uid: `uid-${name}`,
  name,
  state,
  ...(approvedMsAgo === undefined ? {} : { decision: { type: 'Approved', reason: 'CsrbotApproved', at: ago(approvedMsAgo) } }),
  annotations: {},
  createdAt: ago((approvedMsAgo ?? 0) + 1000),
});

describe('signerVerdict: does the signer issue for csrbot?', () => {
  it('passes with nothing waiting, or with only fresh approvals and issued certificates', () => {
    expect(signerVerdict([], now).status).toBe('pass');
    const r = signerVerdict([csr('a', 'issued', 3_600_000), csr('b', 'approved', 30_000), csr('c', 'pending')], now);
    expect(r.status).toBe('pass');
    expect(r.detail).toContain('issued 1');
  });

  it('warns, naming the oldest and what to read, when approved CSRs wait past the grace period', () => {
    const r = signerVerdict(
      [csr('young', 'approved', 60_000), csr('old', 'approved', 3_600_000), csr('older', 'approved', 7_200_000)],
      now,
      'kubernetes.io/kube-apiserver-client',
    );
    expect(SIGNER_GRACE_MS).toBe(600_000);
    expect(r).toMatchObject({ name: 'kubernetes-signer', status: 'warn', code: 'CLUSTER_SIGNER_NOT_ISSUING' });
    expect(r.detail).toContain('2 of csrbot');
    expect(r.detail).toContain('older, approved 120 minutes ago');
    expect(r.detail).toContain('Where it works');
    expect(r.detail).toContain('--cluster-signing-cert-file');
  });

  it('a Failed or denied CSR is an answer from the signer or the admins, not silence', () => {
    expect(signerVerdict([csr('f', 'failed', 3_600_000), csr('d', 'denied')], now).status).toBe('pass');
  });
});
