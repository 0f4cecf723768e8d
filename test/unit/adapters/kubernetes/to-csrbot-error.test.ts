import { describe, expect, it } from '@jest/globals';
import { toCsrbotError } from '../../../../src/adapters/kubernetes/to-csrbot-error.js';

const api = (code: number, message: string) => Object.assign(new Error('HTTP'), { code, body: JSON.stringify({ kind: 'Status', message }) });

describe('toCsrbotError', () => {
  it('RBAC 403 names verb and resource and tells how to fix', () => {
    const e = toCsrbotError(api(403, 'secrets is forbidden: User "csrbot" cannot list resource "secrets" in API group "" at the cluster scope'), {
      operation: 'x',
    });
    expect(e).toMatchObject({ code: 'CLUSTER_FORBIDDEN', details: { verb: 'list', resource: 'secrets' } });
    expect(e.userMessage).toContain('kubectl apply -k deploy/rbac');
  });

  it('signer approval 403 names the signer', () => {
    const e = toCsrbotError(
      api(
        403,
        'certificatesigningrequests.certificates.k8s.io "a" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kubelet-serving"',
      ),
      { operation: 'approve', name: 'a' },
    );
    expect(e).toMatchObject({ code: 'CLUSTER_FORBIDDEN', details: { verb: 'approve', resource: 'signers/kubernetes.io/kubelet-serving', name: 'a' } });
  });

  it('admission 403 on create is a rejected request, with the API message', () => {
    const msg =
      'certificatesigningrequests.certificates.k8s.io "a" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed';
    const e = toCsrbotError(api(403, msg), { operation: 'create', name: 'a' });
    expect(e).toMatchObject({ code: 'CSR_REJECTED_BY_API', details: { message: msg, name: 'a' } });
    expect(e.userMessage).toContain('system:masters');
  });

  it.each([
    [401, 'CLUSTER_UNAUTHORIZED'],
    [404, 'CSR_NOT_FOUND'],
    [409, 'CLUSTER_CONFLICT'],
    [422, 'CSR_REJECTED_BY_API'],
    [504, 'CLUSTER_TIMEOUT'],
    [500, 'CLUSTER_ERROR'],
  ])('HTTP %i -> %s', (status, code) => {
    expect(toCsrbotError(api(status, 'm'), { operation: 'get', name: 'a' }).code).toBe(code);
  });

  it('transport errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toCsrbotError(refused, { operation: 'get', server: 'https://k' })).toMatchObject({
      code: 'CLUSTER_UNREACHABLE',
      details: { server: 'https://k', reason: 'ECONNREFUSED' },
    });
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError', type: 'aborted' });
    expect(toCsrbotError(abort, { operation: 'get' }).code).toBe('CLUSTER_TIMEOUT');
    expect(toCsrbotError(new Error('weird'), { operation: 'get' })).toMatchObject({ code: 'CLUSTER_ERROR', details: { message: 'weird' } });
  });

  // client-node 2 fetches with undici: the reason is in `cause`, and a timeout
  // is the signal's DOMException, whose numeric code is not an HTTP status.
  it('undici transport errors', () => {
    const fetchFailed = (cause: Error) => new TypeError('fetch failed', { cause });
    expect(
      toCsrbotError(fetchFailed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2'), { code: 'ECONNREFUSED' })), {
        operation: 'get',
        server: 'https://k',
      }),
    ).toMatchObject({
      code: 'CLUSTER_UNREACHABLE',
      details: { server: 'https://k', reason: 'ECONNREFUSED' },
    });
    expect(toCsrbotError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), { operation: 'list' }).code).toBe('CLUSTER_TIMEOUT');
    expect(toCsrbotError(new DOMException('This operation was aborted', 'AbortError'), { operation: 'list' }).code).toBe('CLUSTER_TIMEOUT');
    const tls = fetchFailed(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    // A TLS failure is named as one (issue 12), not reported as a generic API error.
    expect(toCsrbotError(tls, { operation: 'get' })).toMatchObject({ code: 'CLUSTER_TLS', details: { message: 'self-signed certificate' } });
  });
});
