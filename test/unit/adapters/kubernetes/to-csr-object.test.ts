import { describe, expect, it } from '@jest/globals';
import type { V1CertificateSigningRequest, V1CertificateSigningRequestCondition } from '@kubernetes/client-node';
import { toCsrObject } from '../../../../src/adapters/kubernetes/to-csr-object.js';

const base = (status?: V1CertificateSigningRequest['status']): V1CertificateSigningRequest => ({
  metadata: {
    name: 'jane-1',
    uid: 'u1',
    resourceVersion: '42',
    labels: { a: 'b' },
    annotations: { 'csrbot.io/request-id': 'req-1' },
    creationTimestamp: new Date('2026-01-01T00:00:00Z'),
  },
  spec: { request: 'eA==', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600, username: 'csrbot' },
  ...(status ? { status } : {}),
});
const cond = (type: string, status = 'True', message?: string, reason?: string): V1CertificateSigningRequestCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
  lastUpdateTime: new Date('2026-01-01T00:01:00Z'),
});

describe('toCsrObject', () => {
  it('pending without conditions: name, uid, annotations and creation time, nothing else', () => {
    expect(toCsrObject(base())).toEqual({
      name: 'jane-1',
      uid: 'u1',
      state: 'pending',
      annotations: { 'csrbot.io/request-id': 'req-1' },
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('approved, with the decisive condition and its time; then issued once the certificate is there (PEM decoded)', () => {
    const approved = toCsrObject(base({ conditions: [cond('Approved', 'True', 'by @alice', 'CsrbotApproved')] }));
    expect(approved.state).toBe('approved');
    expect(approved.decision).toEqual({ type: 'Approved', reason: 'CsrbotApproved', message: 'by @alice', at: '2026-01-01T00:01:00.000Z' });
    const issued = toCsrObject(base({ conditions: [cond('Approved')], certificate: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') }));
    expect(issued.state).toBe('issued');
    expect(issued.certificatePem).toBe('-----BEGIN CERTIFICATE-----\n');
    expect(issued.decision).toEqual({ type: 'Approved', at: '2026-01-01T00:01:00.000Z' });
  });

  it('denied wins, with the denier message; failed carries the signer message', () => {
    const denied = toCsrObject(base({ conditions: [cond('Denied', 'True', 'not on call', 'CsrbotDenied')] }));
    expect(denied).toMatchObject({
      state: 'denied',
      failureMessage: 'not on call',
      decision: { type: 'Denied', reason: 'CsrbotDenied', message: 'not on call' },
    });
    const failed = toCsrObject(base({ conditions: [cond('Approved'), cond('Failed', 'True', 'invalid usage: server auth')] }));
    expect(failed).toMatchObject({ state: 'failed', failureMessage: 'invalid usage: server auth', decision: { type: 'Approved' } });
    expect(toCsrObject(base({ conditions: [cond('Approved'), cond('Failed', 'True', undefined, 'SignerValidationFailure')] })).failureMessage).toBe(
      'SignerValidationFailure',
    );
  });

  it('ignores conditions whose status is not True, and accepts string times from watch events', () => {
    // A watch event is parsed JSON: its times are strings, not the Dates the typed API declares.
    const fromWatch = JSON.parse(JSON.stringify(base({ conditions: [cond('Approved', 'False'), cond('Denied', 'True')] }))) as V1CertificateSigningRequest;
    const csr = toCsrObject(fromWatch);
    expect(csr.state).toBe('denied');
    expect(csr.decision).toEqual({ type: 'Denied', at: '2026-01-01T00:01:00.000Z' });
    expect(csr.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(toCsrObject(base({ conditions: [cond('Approved', 'False')] })).state).toBe('pending');
  });
});
