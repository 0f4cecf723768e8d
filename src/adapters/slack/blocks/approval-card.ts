import { describeFor } from '../../../domain/errors.js';
import type { CertificateRequest } from '../../../domain/lifecycle.js';
import { CSRBOT_POWERS, type Ability } from '../../../domain/privilege.js';
import { Actions } from '../ids.js';
import { clip, decidedBy, esc, fingerprintText, humanDuration } from './format.js';
import type { KnownBlock } from './types.js';

const stateLine: Record<CertificateRequest['state'], string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  approving: ':hourglass_flowing_sand: Approved in Slack, writing the approval to the cluster',
  denying: ':hourglass_flowing_sand: Denied in Slack, writing the denial to the cluster',
  approved: ':white_check_mark: Approved, waiting for the cluster signer',
  issued: ':white_check_mark: Approved and issued',
  denied: ':no_entry: Denied',
  failed: ':x: Failed',
  deleted: ':wastebasket: CSR deleted in the cluster',
  expired: ':alarm_clock: Expired: nobody decided before Kubernetes discards an undecided CSR (24 h)',
};

/** How the card names each sensitive ability. */
const abilityText: Record<Ability, string> = {
  'cluster-admin': 'everything in every API group (cluster-admin)',
  'approve-signers': 'approve certificates for the signers csrbot uses',
  'update-csr-approval': 'approve or deny CertificateSigningRequests',
  impersonate: 'impersonate other users, groups or service accounts',
  'escalate-or-bind': 'grant roles it does not hold (escalate/bind)',
  'read-secrets': 'read Secrets',
  'exec-into-pods': 'exec into pods',
  'create-pods': "create pods (and so run as any service account's token)",
  'nodes-proxy': "reach kubelets' API (nodes/proxy)",
};
/** The abilities that mint or take over identities: red, not amber. */
const critical = new Set<Ability>(['cluster-admin', 'impersonate', 'escalate-or-bind', ...CSRBOT_POWERS]);

/** The permission preview, worded so "none" cannot be read as "none anywhere". */
export function permissionLines(r: Pick<CertificateRequest, 'csr'>): string {
  const p = r.csr.permissions;
  if (!p) return '*This identity would be able to:* _not checked_';
  if (p.abilities.length === 0)
    return '*This identity would be able to:* none of the checked abilities cluster-wide (namespaced grants are not visible to this check)';
  const lines = p.abilities.map((a) => `${critical.has(a) ? ':rotating_light:' : ':warning:'} ${abilityText[a]}`);
  return `*This identity would be able to:*\n${lines.join('\n')}`;
}

/**
 * The admin card, rendered from the request alone: posting and every update
 * give the same picture for the same state, so re-rendering is idempotent.
 */
export function approvalCard(r: CertificateRequest): { text: string; blocks: KnownBlock[] } {
  const who = `<@${r.requester.userId}>${r.requester.email ? ` (${esc(r.requester.email)})` : ''}`;
  // The fallback text is mrkdwn too (and drives notifications): a real name like <!channel> must not ping the admin channel.
  const text = clip(
    `Certificate request from ${esc(r.requester.realName || r.requester.name)} for ${esc(r.kubernetesUsername)}: ${stateLine[r.state].replace(/^:[a-z_]+: /, '')}`,
    3000,
  );
  const facts = [
    `*Requester:* ${who}`,
    `*Kubernetes username:* \`${esc(r.kubernetesUsername)}\``,
    `*Groups:* ${r.csr.groups.length ? r.csr.groups.map((g) => `\`${esc(g)}\``).join(', ') : '_none_'}`,
    `*Key:* ${esc(r.csr.keyDescription)}`,
    `*Public key SHA-256:* \`${fingerprintText(r.csr.fingerprint)}\``,
    `*Lifetime:* ${humanDuration(r.lifetimeSeconds)}`,
    `*Reason:* ${r.reason ? esc(r.reason) : '_none given_'}`,
    `*CSR:* \`${r.csrName}\` · request \`${r.id}\``,
    ...(r.renewalOf ? [`*Renewal of:* \`${r.renewalOf}\` (same key and subject)`] : []),
  ].join('\n');
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${r.renewalOf ? 'Renewal' : 'Certificate request'}: ${r.kubernetesUsername}`, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(facts, 3000) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(permissionLines(r), 3000) } },
  ];
  if (r.csr.warnings.length) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`:warning: *Policy warnings*\n${r.csr.warnings.map((w) => `• ${esc(w)}`).join('\n')}`, 3000) },
    });
  }
  const status: string[] = [stateLine[r.state]];
  if (r.quorum > 1 || r.approvals.length > 0) {
    status.push(`Approvals ${r.approvals.length}/${r.quorum}${r.approvals.length ? `: ${r.approvals.map((a) => `<@${a.userId}>`).join(', ')}` : ''}`);
  }
  if (r.decision && r.state !== 'pending') {
    status.push(
      `${r.state === 'denied' || r.state === 'denying' ? 'Denied' : 'Decided'} by ${decidedBy(r.decision)} at ${r.decision.at}${r.decision.reason ? `: ${esc(r.decision.reason)}` : ''}`,
    );
  }
  if (r.failure) status.push(esc(describeFor('admin', r.failure.code, r.failure.details)));
  if (r.issued) status.push(`Serial \`${r.issued.serial}\`, valid until ${r.issued.notAfter}`);
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(status.join('\n'), 3000) } });
  if (r.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: Actions.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: r.id,
          confirm: {
            title: { type: 'plain_text', text: 'Approve this request?' },
            text: {
              type: 'mrkdwn',
              text: clip(
                `The cluster will issue a certificate for \`${esc(r.kubernetesUsername)}\` in ${r.csr.groups.map(esc).join(', ') || 'no groups'}, valid ${humanDuration(r.lifetimeSeconds)}.`,
                300,
              ),
            },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        { type: 'button', action_id: Actions.deny, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: r.id },
      ],
    });
  }
  return { text, blocks };
}
