/**
 * Every Block Kit builder, with ordinary and extreme input, against the Slack
 * emulator's validator (which rejects what real Slack rejects), plus the
 * things an admin or requester would notice: buttons only while pending,
 * action ids from ids.ts, user-supplied text escaped.
 */
import { describe, expect, it } from '@jest/globals';
import { approvalCard } from '../../../../../src/adapters/slack/blocks/approval-card.js';
import { denyModal, denyTargetOf } from '../../../../../src/adapters/slack/blocks/deny-modal.js';
import { helpBlocks } from '../../../../../src/adapters/slack/blocks/help.js';
import { intakeProblems } from '../../../../../src/adapters/slack/blocks/intake-problems.js';
import { requesterNotice } from '../../../../../src/adapters/slack/blocks/notices.js';
import { requestModal } from '../../../../../src/adapters/slack/blocks/request-modal.js';
import { requestSummary, submittedSummary } from '../../../../../src/adapters/slack/blocks/request-summary.js';
import { Actions, Inputs, Views } from '../../../../../src/adapters/slack/ids.js';
import type { CertificateRequest, RequestState } from '../../../../../src/domain/lifecycle.js';
import type { RequesterNotice } from '../../../../../src/ports.js';
import { validateMessage, validateView } from '@csrbot/slack-emulator';

const NASTY = '<script>alert(1)</script> & <!channel> <@U0ADMIN>';
const KOREAN = '김지민 인증서 요청 — 운영 클러스터 접근이 필요합니다';
const LONG_USER = `${'jane.doe-with-a-very-long-name'.repeat(10)}@example.com`;
const FP = 'ab'.repeat(32);

function request(over: Partial<CertificateRequest> = {}): CertificateRequest {
  return {
    id: 'req-0001',
    csrName: 'csrbot-jane-req-0001',
    state: 'pending',
    requester: { userId: 'UJANE', teamId: 'T1', name: 'jane', realName: 'Jane Doe', email: 'jane@example.com' },
    kubernetesUsername: 'jane',
    csr: {
      pem: '-----BEGIN CERTIFICATE REQUEST-----\n...',
      commonName: 'jane',
      subject: '/CN=jane/O=developers',
      groups: ['developers'],
      keyDescription: 'ECDSA P-256',
      fingerprint: FP,
      warnings: [],
    },
    signerName: 'kubernetes.io/kube-apiserver-client',
    lifetimeSeconds: 86400,
    reason: 'on-call',
    createdAt: '2030-01-01T00:00:00.000Z',
    approvals: [],
    quorum: 1,
    ...over,
  };
}

function extremeRequest(over: Partial<CertificateRequest> = {}): CertificateRequest {
  const groups = Array.from({ length: 40 }, (_, i) => `team-${i}-${NASTY}-${KOREAN}`);
  return request({
    requester: { userId: 'UJANE', teamId: 'T1', name: LONG_USER, realName: `${NASTY} ${KOREAN}`, email: `${NASTY}@example.com` },
    kubernetesUsername: `${LONG_USER}${NASTY}${KOREAN}`,
    reason: `${NASTY} ${KOREAN} ${'x'.repeat(3000)}`,
    csr: {
      ...request().csr,
      groups,
      keyDescription: `RSA 4096 ${NASTY}`,
      warnings: Array.from({ length: 60 }, (_, i) => `warning ${i}: ${NASTY} ${KOREAN} ${'w'.repeat(200)}`),
    },
    approvals: Array.from({ length: 5 }, (_, i) => ({ userId: `UADMIN${i}`, name: `${NASTY} admin ${i}`, at: '2030-01-01T00:00:00.000Z' })),
    quorum: 5,
    ...over,
  });
}

const decision = { by: [{ userId: 'UALICE', name: `${NASTY} ${KOREAN}` }], at: '2030-01-01T01:00:00.000Z', reason: `${NASTY} ${'r'.repeat(1000)}` };
const issued = {
  serial: '1a2b',
  fingerprint: FP,
  notBefore: '2030-01-01T00:00:00.000Z',
  notAfter: '2030-01-02T00:00:00.000Z',
  subject: 'CN=jane',
  username: 'jane',
  groups: ['developers'],
};
const ALL_STATES: RequestState[] = ['pending', 'approving', 'denying', 'approved', 'issued', 'denied', 'failed', 'deleted'];

function inState(r: CertificateRequest, s: RequestState): CertificateRequest {
  return {
    ...r,
    state: s,
    ...(s !== 'pending' ? { decision } : {}),
    ...(s === 'failed' ? { failure: { code: 'CSR_SIGNING_FAILED' as const, details: { name: 'csr-1', message: `${NASTY} ${'f'.repeat(3000)}` } } } : {}),
    ...(s === 'issued' ? { issued } : {}),
  };
}

/** Every string Slack would render as mrkdwn: top-level text, mrkdwn text objects, section fields, context elements. */
function mrkdwnTexts(msg: { text?: string; blocks?: unknown }): string[] {
  const out: string[] = msg.text !== undefined ? [msg.text] : [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(msg.blocks);
  return out;
}

function expectEscaped(msg: { text?: string; blocks?: unknown }): void {
  for (const t of mrkdwnTexts(msg)) {
    expect(t).not.toContain('<script>');
    expect(t).not.toContain('<!channel>');
    expect(t).not.toContain('<@U0ADMIN>');
    expect(t).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

function actionIds(blocks: unknown): string[] {
  const ids: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.action_id === 'string') ids.push(o.action_id);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return ids;
}

function expectValidMessage(m: { text: string; blocks: unknown }): void {
  expect(validateMessage(m)).toEqual([]);
  expect(m.text.length).toBeGreaterThan(0);
  expect(m.text.length).toBeLessThanOrEqual(40_000);
}

describe('approvalCard', () => {
  it.each(ALL_STATES)('is valid Block Kit in state %s, for normal and extreme input', (s) => {
    expectValidMessage(approvalCard(inState(request(), s)));
    const extreme = approvalCard(inState(extremeRequest(), s));
    expectValidMessage(extreme);
    expectEscaped(extreme);
  });

  it('has Approve and Deny buttons (ids from ids.ts, value = request id) only while pending', () => {
    const pending = approvalCard(request());
    expect(actionIds(pending.blocks)).toEqual([Actions.approve, Actions.deny]);
    expect(JSON.stringify(pending.blocks)).toContain('"value":"req-0001"');
    for (const s of ALL_STATES.filter((x) => x !== 'pending')) {
      const card = approvalCard(inState(request(), s));
      expect(actionIds(card.blocks)).toEqual([]);
      expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
    }
  });

  it('shows what an admin needs to decide, and the outcome once decided', () => {
    const text = JSON.stringify(approvalCard(request({ quorum: 2, approvals: [{ userId: 'UALICE', name: 'Alice', at: '2030-01-01T00:00:00.000Z' }] })).blocks);
    expect(text).toContain('`jane`');
    expect(text).toContain('`developers`');
    expect(text).toContain('ECDSA P-256');
    expect(text).toContain('AB:AB:AB');
    expect(text).toContain('1 day');
    expect(text).toContain('on-call');
    expect(text).toContain('Approvals 1/2: <@UALICE>');
    const denied = JSON.stringify(
      approvalCard({ ...request(), state: 'denied', decision: { by: [{ userId: 'UBOB', name: 'Bob' }], at: 'T', reason: 'not now' } }).blocks,
    );
    expect(denied).toContain('Denied by Bob at T: not now');
    const outside = JSON.stringify(
      approvalCard({ ...request(), state: 'denied', decision: { by: [], outside: 'the cluster, outside Slack (kubectl)', at: 'T' } }).blocks,
    );
    expect(outside).toContain('Denied by the cluster, outside Slack (kubectl) at T');
    const writing = JSON.stringify(approvalCard({ ...request(), state: 'approving', decision: { by: [{ userId: 'UA', name: 'Alice' }], at: 'T' } }).blocks);
    expect(writing).toContain('writing the approval to the cluster');
    expect(writing).not.toContain('csrbot_approve');
    const done = JSON.stringify(approvalCard(inState(request(), 'issued')).blocks);
    expect(done).toContain('Serial `1a2b`, valid until 2030-01-02T00:00:00.000Z');
  });

  it('renders the same card for the same request (updates are idempotent)', () => {
    expect(approvalCard(extremeRequest())).toEqual(approvalCard(extremeRequest()));
  });
});

describe('requesterNotice', () => {
  const kinds: RequesterNotice[] = [
    { kind: 'submitted' },
    { kind: 'delayed', reason: `${NASTY} ${'d'.repeat(4000)}` },
    { kind: 'approved' },
    { kind: 'denied' },
    { kind: 'failed' },
    { kind: 'deleted' },
    { kind: 'expired' },
  ];
  it.each(kinds.map((k) => [k.kind, k] as const))('%s is valid and escaped for normal and extreme input', (_k, n) => {
    const states: Record<RequesterNotice['kind'], RequestState> = {
      submitted: 'pending',
      delayed: 'pending',
      approved: 'approved',
      denied: 'denied',
      failed: 'failed',
      deleted: 'deleted',
      expired: 'expired',
    };
    expectValidMessage(requesterNotice(inState(request(), states[n.kind]), n));
    const extreme = requesterNotice(inState(extremeRequest(), states[n.kind]), n);
    expectValidMessage(extreme);
    expectEscaped(extreme);
  });

  it('tells the requester who denied and why', () => {
    const m = requesterNotice(
      { ...request(), state: 'denied', decision: { by: [{ userId: 'UBOB', name: 'Bob <Admin>' }], at: 'T', reason: 'use break-glass' } },
      { kind: 'denied' },
    );
    expect(m.text).toContain('denied by Bob &lt;Admin&gt;');
    expect(m.text).toContain('Reason: use break-glass');
  });
});

describe('requestSummary / submittedSummary', () => {
  const base = {
    draftId: 'draft-1',
    username: 'jane',
    groups: ['developers'],
    keyDescription: 'ECDSA P-256',
    fingerprint: FP,
    subject: '/CN=jane/O=developers',
    warnings: [],
    defaultLifetimeSeconds: 86400,
    maxLifetimeSeconds: 30 * 86400,
  };
  it('is valid for normal and extreme input, with the submit button and lifetime select from ids.ts', () => {
    const normal = requestSummary(base);
    expectValidMessage(normal);
    expect(actionIds(normal.blocks)).toEqual([Inputs.reason.action, Actions.lifetime, Actions.submitRequest]);
    const extreme = requestSummary({
      ...base,
      username: `${LONG_USER}${NASTY}${KOREAN}`,
      groups: Array.from({ length: 40 }, (_, i) => `g${i}-${NASTY}-${KOREAN}`),
      subject: `/CN=${NASTY}${KOREAN}`.repeat(20),
      keyDescription: NASTY,
      warnings: Array.from({ length: 60 }, (_, i) => `w${i} ${NASTY} ${'w'.repeat(300)}`),
      defaultLifetimeSeconds: 7777,
      maxLifetimeSeconds: 365 * 86400,
    });
    expectValidMessage(extreme);
    expectEscaped(extreme);
  });

  it('submittedSummary has no buttons left to click', () => {
    const m = submittedSummary(`${NASTY}${KOREAN}`, 'req-0001');
    expectValidMessage(m);
    expectEscaped(m);
    expect(actionIds(m.blocks)).toEqual([]);
  });
});

describe('requestModal / denyModal', () => {
  it('requestModal is a valid view for normal and extreme input, with ids from ids.ts', () => {
    const base = {
      username: 'jane',
      groups: ['developers'],
      opensslText: 'openssl genpkey -algorithm ed25519 -out jane.key',
      defaultLifetimeSeconds: 86400,
      maxLifetimeSeconds: 30 * 86400,
    };
    const v = requestModal(base);
    expect(validateView(v)).toEqual([]);
    expect(v.callback_id).toBe(Views.request);
    expect(actionIds(v.blocks)).toEqual([Inputs.csr.action, Inputs.lifetime.action, Inputs.reason.action]);
    expect(v.blocks.map((b) => b.block_id).filter(Boolean)).toEqual([Inputs.csr.block, Inputs.lifetime.block, Inputs.reason.block]);
    const extreme = requestModal({
      ...base,
      username: `${LONG_USER}${NASTY}${KOREAN}`,
      groups: Array.from({ length: 40 }, (_, i) => `g${i}-${NASTY}`),
      opensslText: `${NASTY}\n${'openssl req -new -subj "/CN=x" '.repeat(200)}`,
      defaultLifetimeSeconds: 1234,
      maxLifetimeSeconds: 1234,
    });
    expect(validateView(extreme)).toEqual([]);
    expectEscaped({ blocks: extreme.blocks });
  });

  it('denyModal is a valid view for normal and extreme input, and carries the request id and channel to its submission', () => {
    const v = denyModal({ id: 'req-0001', channel: 'CADMINS' }, 'jane');
    expect(validateView(v)).toEqual([]);
    expect(v.callback_id).toBe(Views.deny);
    expect(denyTargetOf(v.private_metadata!)).toEqual({ id: 'req-0001', channel: 'CADMINS' });
    expect(actionIds(v.blocks)).toEqual([Inputs.denyReason.action]);
    const extreme = denyModal({ id: 'req-0001', channel: 'CADMINS' }, `${LONG_USER}${NASTY}${KOREAN}`.repeat(20));
    expect(validateView(extreme)).toEqual([]);
    expectEscaped({ blocks: extreme.blocks });
  });
});

describe('intakeProblems / helpBlocks', () => {
  it('intakeProblems is valid with one problem, and with 60 long problems and warnings', () => {
    expectValidMessage(intakeProblems(['That is empty.']));
    const m = intakeProblems(
      Array.from({ length: 60 }, (_, i) => `problem ${i}: ${NASTY} ${KOREAN} ${'p'.repeat(3500)}`),
      Array.from({ length: 60 }, (_, i) => `warning ${i}: ${NASTY}`),
    );
    expectValidMessage(m);
    expectEscaped(m);
    const one = intakeProblems([`The CN "${NASTY}" is not yours.`]);
    expectValidMessage(one);
    expectEscaped(one);
  });

  it('helpBlocks is valid, and echoes an unknown subcommand escaped', () => {
    expectValidMessage(helpBlocks());
    const m = helpBlocks({ unknown: `${NASTY}${'u'.repeat(5000)}` });
    expectValidMessage(m);
    expectEscaped(m);
    expect(m.text).toContain("I don't know");
  });
});
