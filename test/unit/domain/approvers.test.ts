import { describe, expect, it } from '@jest/globals';
import { checkApprover, type ApproverCheck } from '../../../src/domain/approvers.js';

const base: ApproverCheck = { approverId: 'UALICE', requesterId: 'UJANE', adminUsers: ['UALICE'], adminGroupMembers: [], allowSelfApproval: false };

describe('checkApprover', () => {
  it('accepts a listed admin', () => {
    expect(checkApprover(base)).toEqual({ ok: true });
  });
  it('accepts a member of the admin group who is not listed', () => {
    expect(checkApprover({ ...base, approverId: 'UGINA', adminGroupMembers: ['UGINA'] })).toEqual({ ok: true });
  });
  it('refuses anyone else as not-admin, even the requester', () => {
    expect(checkApprover({ ...base, approverId: 'UMALLORY' })).toEqual({ ok: false, why: 'not-admin' });
    expect(checkApprover({ ...base, approverId: 'UJANE', allowSelfApproval: true })).toEqual({ ok: false, why: 'not-admin' });
    expect(checkApprover({ ...base, adminUsers: [], adminGroupMembers: [] })).toEqual({ ok: false, why: 'not-admin' });
  });
  it('refuses an admin approving their own request unless allowed', () => {
    const self = { ...base, approverId: 'UJANE', requesterId: 'UJANE', adminUsers: ['UJANE'] };
    expect(checkApprover(self)).toEqual({ ok: false, why: 'self-approval' });
    expect(checkApprover({ ...self, allowSelfApproval: true })).toEqual({ ok: true });
    expect(checkApprover({ ...self, adminUsers: [], adminGroupMembers: ['UJANE'] })).toEqual({ ok: false, why: 'self-approval' });
  });
  it('compares ids exactly', () => {
    expect(checkApprover({ ...base, approverId: 'ualice' })).toEqual({ ok: false, why: 'not-admin' });
  });
});
