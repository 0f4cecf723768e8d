import { describe, expect, it } from '@jest/globals';
import { approvalMessage, approversFromMessage, denialFromMessage, denialMessage } from '../../../src/domain/decision-message.js';

const alice = { userId: 'U0ALICE001', name: 'Alice Admin' };
const bob = { userId: 'W0BOB00002', name: 'Bob Admin' };

describe('approval messages', () => {
  it('name each approver with their Slack id, as the cluster shows them', () => {
    expect(approvalMessage([alice, bob])).toBe('Approved in Slack by Alice Admin (U0ALICE001), Bob Admin (W0BOB00002)');
  });

  it('read back the approvers they name, whatever the names hold', () => {
    for (const approvers of [
      [alice],
      [alice, bob],
      [
        { userId: 'U1', name: 'Doe, Jane (SRE): on call' },
        { userId: 'U2', name: 'x (U3)' },
      ],
      [{ userId: 'U9', name: 'Ünïcødé 名前' }],
    ])
      expect(approversFromMessage(approvalMessage(approvers))).toEqual(approvers);
  });

  it('read nothing from a message csrbot did not write', () => {
    for (const m of [
      undefined,
      '',
      'This CSR was approved by kubectl certificate approve.',
      'Approved in Slack by ',
      'Approved in Slack by alice',
      'Approved in Slack by Alice (u0lower)',
      'Approved in Slack by Alice (U1) and more',
      'Denied in Slack by Alice (U1): no',
    ])
      expect(approversFromMessage(m)).toBeUndefined();
  });
});

describe('denial messages', () => {
  it('name the denier and the reason, and read both back', () => {
    const m = denialMessage([alice], 'not on call: ask again on Monday');
    expect(m).toBe('Denied in Slack by Alice Admin (U0ALICE001): not on call: ask again on Monday');
    expect(denialFromMessage(m)).toEqual({ by: [alice], reason: 'not on call: ask again on Monday' });
  });

  it('read back a denial without a reason', () => {
    expect(denialFromMessage(denialMessage([alice]))).toEqual({ by: [alice] });
    expect(denialFromMessage(denialMessage([alice], ''))).toEqual({ by: [alice] });
  });

  it('read nothing from a message csrbot did not write, or one without a named denier', () => {
    for (const m of [undefined, 'This CSR was denied by kubectl certificate deny.', denialMessage([], 'no'), 'Denied in Slack by Alice (U1) no'])
      expect(denialFromMessage(m)).toBeUndefined();
  });
});
