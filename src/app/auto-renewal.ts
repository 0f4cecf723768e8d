import type { CertificateRequest } from '../domain/lifecycle.js';
import { isPrivileged } from '../domain/privilege.js';
import { DEFAULT_RENEWAL_POLICY, judgeRenewal } from '../domain/renewal-policy.js';
import { recordAudit } from './audit.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/**
 * A renewal whose CSR is in the cluster and whose card is not posted yet:
 * approve it automatically if the renewal policy allows, else leave it to
 * people. Either verdict goes to the audit trail once (when the policy is
 * on). Privilege is asked of the permission review; without one, or when it
 * fails, the identity counts as privileged.
 */
export async function considerAutoRenewal(deps: Deps, r: CertificateRequest): Promise<CertificateRequest> {
  const policy = deps.settings.renewal ?? DEFAULT_RENEWAL_POLICY;
  if (!policy.autoApprove || r.renewalOf === undefined) return r;
  const previous = await deps.inventory.get(r.renewalOf);
  if (!previous) {
    await onceOnly(deps, r.id, 'auto-renewal-verdict', () =>
      recordAudit(deps, {
        type: 'auto-approval-refused',
        requestId: r.id,
        serial: r.renewalOf,
        via: 'csrbot',
        detail: 'the previous certificate is not on record',
      }),
    );
    return r;
  }
  const identity = { username: r.kubernetesUsername, groups: r.csr.groups };
  let privileged: boolean | undefined;
  try {
    // The preview the card shows, made at intake or by the submit job for this very request; asked only if absent.
    const abilities = r.csr.permissions?.abilities ?? (deps.permissions ? (await deps.permissions.preview(identity)).abilities : undefined);
    privileged = abilities ? isPrivileged({ identity, abilities }) : undefined;
  } catch (err) {
    deps.log.warn({ err, requestId: r.id }, 'permission review failed; the renewal goes to people');
  }
  const verdict = judgeRenewal(policy, {
    previous,
    username: r.kubernetesUsername,
    groups: r.csr.groups,
    keyFingerprint: r.csr.fingerprint,
    privileged,
    nowMs: deps.clock.now().getTime(),
  });
  if (!verdict.auto) {
    deps.log.info({ requestId: r.id, why: verdict.why }, 'renewal not approved automatically');
    await onceOnly(deps, r.id, 'auto-renewal-verdict', () =>
      recordAudit(deps, { type: 'auto-approval-refused', requestId: r.id, serial: r.renewalOf, via: 'csrbot', detail: verdict.why }),
    );
    return r;
  }
  const won = await deps.store.transition(r.id, ['pending'], 'approving', { decision: { by: [], auto: verdict.rule, at: deps.clock.now().toISOString() } });
  if (!won) return (await deps.store.get(r.id)) ?? r;
  await recordAudit(deps, { type: 'auto-approved', requestId: r.id, serial: r.renewalOf, via: 'csrbot', detail: verdict.rule });
  deps.log.info({ requestId: r.id, renewalOf: r.renewalOf }, 'renewal approved automatically');
  await deps.jobs.enqueue('approve', r.id);
  return won;
}
