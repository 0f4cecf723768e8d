// The divergences the x509 oracle (csr/go-oracle.test.ts) found, one by one:
// each is now refused instead of shown differently from what Kubernetes issues.
import { describe, expect, it } from '@jest/globals';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { defaultPolicyConfig, evaluatePolicy } from '../../../../src/domain/policy/index.js';
import { attr, CsrFactory } from '../../../support/x509-oracle/generate-csrs.js';

const f = CsrFactory.create();
const verdict = (der: Uint8Array) => evaluatePolicy(parseCsr(der), {}, { ...defaultPolicyConfig, allowedGroups: 'any' });

describe('what Kubernetes would not read the way csrbot showed it', () => {
  it.each(['VisibleString', 'UniversalString'] as const)('a CN or O encoded as %s (Go drops it from the certificate) is refused', (t) => {
    const cn = verdict(f.csr([[attr('CN', t, 'jane')]]));
    expect(cn.errors.map((e) => e.code)).toContain('CSR_STRING_TYPE_DROPPED');
    expect(cn.errors.find((e) => e.code === 'CSR_STRING_TYPE_DROPPED')!.message).toContain('no username');
    const o = verdict(f.csr([[attr('CN', 'UTF8String', 'jane')], [attr('O', t, 'admins')]]));
    expect(o.errors.map((e) => e.code)).toEqual(['CSR_STRING_TYPE_DROPPED']);
  });

  it('an empty CN is no username', () => {
    expect(verdict(f.csr([[attr('CN', 'UTF8String', '')]])).errors.map((e) => e.code)).toContain('CSR_NO_CN');
  });

  it("kube-apiserver's user UID attribute is refused, not accepted silently", () => {
    const v = verdict(f.csr([[attr('CN', 'UTF8String', 'jane')], [attr('UID', 'UTF8String', 'uid-1234')]]));
    expect(v.errors.map((e) => e.code)).toEqual(['CSR_USER_UID']);
    expect(v.errors[0]!.message).toContain('uid-1234');
  });

  it('a BMPString with a surrogate pair (UCS-2 has none; Go refuses it) is malformed', () => {
    expect(() => parseCsr(f.csr([[attr('CN', 'BMPString', '😀x')]]))).toThrow(/not valid text/);
    expect(parseCsr(f.csr([[attr('CN', 'BMPString', '김민준')]])).subject.commonName).toBe('김민준');
  });
});
