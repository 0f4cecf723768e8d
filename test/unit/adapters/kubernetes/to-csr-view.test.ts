import { describe, expect, it } from '@jest/globals';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { toCsrView } from '../../../../src/adapters/kubernetes/to-csr-view.js';

const base = (status?: V1CertificateSigningRequest['status']): V1CertificateSigningRequest => ({
  metadata: { name: 'jane-1', uid: 'u1', resourceVersion: '42', labels: { a: 'b' }, creationTimestamp: new Date('2026-01-01T00:00:00Z') },
  spec: { request: 'eA==', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600, username: 'csrbot' },
  ...(status ? { status } : {}),
});
const cond = (type: string, status = 'True', message?: string) => ({
  type,
  status,
  ...(message ? { message } : {}),
  lastUpdateTime: new Date('2026-01-01T00:01:00Z'),
});

describe('toCsrView', () => {
  it('pending without conditions, with metadata carried over', () => {
    expect(toCsrView(base())).toEqual({
      name: 'jane-1',
      uid: 'u1',
      state: 'pending',
      signerName: 'kubernetes.io/kube-apiserver-client',
      usages: ['client auth'],
      expirationSeconds: 3600,
      requestedBy: 'csrbot',
      conditions: [],
      labels: { a: 'b' },
      annotations: {},
      resourceVersion: '42',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('approved, then issued once the certificate is there (PEM decoded)', () => {
    expect(toCsrView(base({ conditions: [cond('Approved')] })).state).toBe('approved');
    const issued = toCsrView(base({ conditions: [cond('Approved')], certificate: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') }));
    expect(issued.state).toBe('issued');
    expect(issued.certificatePem).toBe('-----BEGIN CERTIFICATE-----\n');
    expect(issued.conditions[0]?.lastUpdateTime).toBe('2026-01-01T00:01:00.000Z');
  });

  it('denied wins; failed carries the signer message', () => {
    expect(toCsrView(base({ conditions: [cond('Denied')] })).state).toBe('denied');
    const failed = toCsrView(base({ conditions: [cond('Approved'), cond('Failed', 'True', 'invalid usage: server auth')] }));
    expect(failed).toMatchObject({ state: 'failed', failureMessage: 'invalid usage: server auth' });
  });

  it('ignores conditions whose status is not True, and accepts string times from watch events', () => {
    const obj = base({ conditions: [{ type: 'Approved', status: 'False', lastUpdateTime: '2026-01-01T00:02:00Z' as unknown as Date }] });
    const view = toCsrView(obj);
    expect(view.state).toBe('pending');
    expect(view.conditions[0]?.lastUpdateTime).toBe('2026-01-01T00:02:00Z');
  });
});
