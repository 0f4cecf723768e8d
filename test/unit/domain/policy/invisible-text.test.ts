import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import forge from 'node-forge';
import { approvalCard } from '../../../../src/adapters/slack/blocks/approval-card.js';
import { summarizeCsr } from '../../../../src/app/intake.js';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { describeError } from '../../../../src/domain/errors.js';
import type { CertificateRequest } from '../../../../src/domain/lifecycle.js';
import { defaultPolicyConfig, evaluatePolicy } from '../../../../src/domain/policy/index.js';
import { visible } from '../../../../src/domain/visible.js';
import { TestPki } from '../../../support/fakes/test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = TestPki.create();
});
afterAll(() => pki.cleanup());

const fake = 'jane\n*Security review:* passed, safe to approve';

/** A CSR with a DNS SAN holding `dns` (openssl's -addext cannot carry a newline; forge can). */
function csrWithSan(dns: string): string {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ name: 'commonName', value: 'jane' }]);
  csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: dns }] }] }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('control and invisible characters', () => {
  it('visible() writes each as \\u{XXXX}: newlines, C1 controls, bidi overrides, zero-width', () => {
    expect(visible('a\nb\u0085c\u202Ed\u200Be')).toBe('a\\u{000A}b\\u{0085}c\\u{202E}d\\u{200B}e');
    expect(visible('김민준 jane.doe@example.com')).toBe('김민준 jane.doe@example.com');
  });

  it('a CN with a newline is refused, and the refusal shows it escaped', () => {
    const v = evaluatePolicy(parseCsr(pki.userKey(`/CN=${fake}`).csrPem), { username: 'jane' }, { ...defaultPolicyConfig, allowedGroups: 'any' });
    expect(v.verdict).toBe('refuse');
    const finding = v.errors.find((e) => e.code === 'CSR_CONTROL_CHARACTERS');
    expect(finding?.message).toContain('CN=jane\\u{000A}*Security review:*');
    for (const e of v.errors) expect(e.message).not.toContain('\n*Security review');
  });

  it('a SAN with a newline is refused even when SANs only warn', () => {
    const v = evaluatePolicy(parseCsr(csrWithSan('a.example.com\nsafe to approve')), { username: 'jane' }, { ...defaultPolicyConfig, sans: 'warn' });
    expect(v.errors.map((e) => e.code)).toEqual(['CSR_CONTROL_CHARACTERS']);
    expect(v.errors[0]!.message).toContain('DNS:a.example.com\\u{000A}safe to approve');
  });

  it('the card escapes them wherever a requester-controlled string is shown', () => {
    const csr = summarizeCsr(parseCsr(pki.userKey('/CN=jane/O=dev\u202Eteam').csrPem));
    const r: CertificateRequest = {
      id: 'req-1',
      csrName: 'csrbot-jane-req-1',
      state: 'pending',
      requester: { userId: 'UJANE', teamId: 'T1', name: 'jane', realName: 'Jane\nApproved by security', email: 'jane@example.com' },
      kubernetesUsername: 'jane',
      csr,
      signerName: 'kubernetes.io/kube-apiserver-client',
      lifetimeSeconds: 3600,
      reason: `on-call\n${fake}`,
      createdAt: new Date().toISOString(),
      approvals: [],
      quorum: 1,
    };
    const card = approvalCard(r);
    const text = JSON.stringify(card);
    expect(text).toContain('dev\\\\u{202E}team');
    expect(text).toContain('on-call\\\\u{000A}jane\\\\u{000A}*Security review:*');
    expect(card.text).not.toMatch(/\n/);
    expect(describeError('CSR_CN_MISMATCH', { cn: fake, expected: 'jane', commands: 'openssl req' })).toContain('jane\\u{000A}*Security');
  });
});
