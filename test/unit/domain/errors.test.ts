import { describe, expect, it } from '@jest/globals';
import { CsrbotError, audienceOf, describeError, describeFor, errorCodes, isRetryable, isRetryableCode } from '../../../src/domain/errors.js';

/** Details that make every template print its operator-only parts. */
const details = {
  server: 'https://10.0.0.1:6443',
  reason: 'ECONNREFUSED',
  message: 'forbidden',
  verb: 'update',
  resource: 'csr/approval',
  name: 'csr-1',
  timeout: '15m',
};

describe('the error table: audience and retry', () => {
  it('a requester never reads operator advice (settings, the API server, controller flags)', () => {
    for (const code of errorCodes) {
      const text = describeFor('requester', code, details);
      if (audienceOf(code) === 'requester') {
        expect(text).toBe(describeError(code, details));
        continue;
      }
      for (const secret of ['KUBECONFIG', '10.0.0.1', 'kube-controller-manager', 'deploy/rbac.yaml', 'cluster-signing']) expect(text).not.toContain(secret);
    }
  });

  it('admins read admin texts in full, and operators everything', () => {
    expect(describeFor('admin', 'CLUSTER_FORBIDDEN', details)).toContain('kubectl apply -k deploy/rbac');
    expect(describeFor('admin', 'ISSUANCE_TIMEOUT', details)).toContain('kube-controller-manager');
    for (const code of errorCodes) expect(describeFor('operator', code, details)).toBe(describeError(code, details));
  });

  it('only cluster trouble is retried; a refusal or a decided CSR is not', () => {
    expect(errorCodes.filter(isRetryableCode).sort()).toEqual([
      'CLUSTER_CONFLICT',
      'CLUSTER_ERROR',
      'CLUSTER_FORBIDDEN',
      'CLUSTER_TIMEOUT',
      'CLUSTER_TLS',
      'CLUSTER_UNAUTHORIZED',
      'CLUSTER_UNREACHABLE',
    ]);
    expect(isRetryable(new CsrbotError('CSR_REJECTED_BY_API', details))).toBe(false);
    expect(isRetryable(new CsrbotError('CLUSTER_UNREACHABLE', details))).toBe(true);
    // An uncoded error (a Slack 5xx, a Redis blip) may well pass next time.
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
  });
});
