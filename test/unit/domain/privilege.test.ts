import { describe, expect, it } from '@jest/globals';
import { holdsCsrbotPowers, isClusterAdminLevel, isPrivileged, SENSITIVE_ABILITIES } from '../../../src/domain/privilege.js';
import type { Ability } from '../../../src/domain/privilege.js';

const jane = { username: 'jane', groups: ['dev-team'] };
const preview = (abilities: Ability[], identity = jane) => ({ identity, abilities });

describe('the one definition of privileged', () => {
  it('an identity with none of the sensitive abilities is not privileged', () => {
    expect(isPrivileged(preview([]))).toBe(false);
    expect(isClusterAdminLevel(preview([]))).toBe(false);
    expect(holdsCsrbotPowers(preview([]))).toBe(false);
  });

  it.each(SENSITIVE_ABILITIES.map((a) => [a]))('holding %s alone is privileged', (a) => {
    expect(isPrivileged(preview([a]))).toBe(true);
  });

  it('system: users and groups are privileged whatever RBAC says', () => {
    expect(isPrivileged(preview([], { username: 'system:kube-controller-manager', groups: [] }))).toBe(true);
    expect(isPrivileged(preview([], { username: 'jane', groups: ['System:Masters'] }))).toBe(true);
    expect(isPrivileged(preview([], { username: 'jane', groups: ['system:nodes'] }))).toBe(true);
  });

  it('cluster-admin level is * on *, and it includes csrbot powers', () => {
    expect(isClusterAdminLevel(preview(['cluster-admin']))).toBe(true);
    expect(isClusterAdminLevel(preview(['read-secrets', 'impersonate']))).toBe(false);
    expect(holdsCsrbotPowers(preview(['cluster-admin']))).toBe(true);
  });

  it('csrbot powers need both approve on signers and update of the approval subresource', () => {
    expect(holdsCsrbotPowers(preview(['approve-signers']))).toBe(false);
    expect(holdsCsrbotPowers(preview(['update-csr-approval']))).toBe(false);
    expect(holdsCsrbotPowers(preview(['approve-signers', 'update-csr-approval']))).toBe(true);
  });
});
