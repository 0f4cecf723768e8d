import type { CertificateRecord } from '../domain/inventory.js';
import { MIN_EXPIRATION_SECONDS } from '../domain/kubernetes-rules.js';
import { certificateChanged } from './announce.js';
import { recordAudit } from './audit.js';
import type { IntakeFlow } from './dm-intake.js';
import { checkCsr } from './intake.js';
import { cancelReminders, snoozeReminders } from './remind.js';
import { submitRequest } from './submit.js';

export type HolderAction = 'renew' | 'snooze' | 'dismiss';

/** Who clicked, and where to answer them. */
export interface Clicker {
  userId: string;
  channel: string;
}

export type ActionOutcome =
  | { kind: 'unknown' }
  | { kind: 'not-holder' }
  | { kind: 'not-active'; status: CertificateRecord['status'] }
  | { kind: 'refused'; problems: string[] }
  | { kind: 'snoozed'; until: Date }
  | { kind: 'dismissed' }
  | { kind: 'renewal-submitted'; requestId: string };

/**
 * A click on Renew, Snooze 1 day or "I no longer need it". Every click is
 * checked: only the certificate's holder may act on it. The clicker is told
 * the outcome in the channel they clicked in.
 */
export async function actOnCertificate(flow: IntakeFlow, action: HolderAction, serial: string, by: Clicker): Promise<ActionOutcome> {
  const { deps } = flow;
  const cert = await deps.inventory.get(serial);
  const outcome = await decide();
  const text = outcomeText(outcome, serial, cert);
  await deps.chat.tellUser(by.channel, by.userId, text);
  if (cert && (outcome.kind === 'dismissed' || outcome.kind === 'snoozed')) await certificateChanged(deps, cert);
  return outcome;

  async function decide(): Promise<ActionOutcome> {
    if (!cert) return { kind: 'unknown' };
    if (cert.requesterId !== by.userId) {
      deps.log.warn({ serial, action, user: by.userId }, 'refused a click by someone who does not hold the certificate');
      return { kind: 'not-holder' };
    }
    if (cert.status !== 'active') return { kind: 'not-active', status: cert.status };
    if (action === 'snooze') {
      const until = await snoozeReminders(deps, cert);
      await recordAudit(deps, { type: 'snoozed', serial, requestId: cert.requestId, actor: by.userId, via: 'slack', detail: `until ${until.toISOString()}` });
      return { kind: 'snoozed', until };
    }
    if (action === 'dismiss') {
      const dismissed = await deps.inventory.setStatus(serial, ['active'], 'dismissed');
      if (!dismissed) return { kind: 'not-active', status: (await deps.inventory.get(serial))?.status ?? cert.status };
      await cancelReminders(deps, dismissed);
      await recordAudit(deps, { type: 'dismissed', serial, requestId: cert.requestId, actor: by.userId, via: 'slack' });
      return { kind: 'dismissed' };
    }
    return renew(flow, cert, by);
  }
}

/**
 * Renew: the stored CSR again (same key, same subject), through the same
 * checks and the same flow as a first request, marked `renewal of <serial>`.
 * The request id comes from the serial, so a double click renews once.
 */
async function renew(flow: IntakeFlow, cert: CertificateRecord, by: Clicker): Promise<ActionOutcome> {
  const { deps } = flow;
  const person = await deps.directory.person(by.userId);
  const lifetime = Math.max(MIN_EXPIRATION_SECONDS, Math.round((Date.parse(cert.notAfter) - Date.parse(cert.notBefore)) / 1000));
  const checked = await checkCsr(flow.intake, cert.csrPem, person, Math.min(lifetime, flow.intake.policy.lifetime.maxSeconds));
  if (!checked.ok) return { kind: 'refused', problems: checked.problems };
  const id = `renew-${cert.serial}`.slice(0, 128);
  await submitRequest(deps, {
    id,
    requester: person,
    kubernetesUsername: checked.username,
    csr: checked.csr,
    signerName: checked.signerName,
    lifetimeSeconds: checked.lifetimeSeconds,
    reason: `renewal of ${cert.serial}`,
    dmChannel: cert.dmChannel ?? by.channel,
    renewalOf: cert.serial,
  });
  return { kind: 'renewal-submitted', requestId: id };
}

function outcomeText(o: ActionOutcome, serial: string, cert: CertificateRecord | undefined): string {
  switch (o.kind) {
    case 'unknown':
      return `I have no certificate with serial \`${serial}\`. It may have expired long ago and been forgotten; \`/cert list\` shows what you hold.`;
    case 'not-holder':
      return `Only the holder of certificate \`${serial}\` (<@${cert?.requesterId ?? ''}>) can renew, snooze or dismiss it.`;
    case 'not-active':
      return `Certificate \`${serial}\` is ${o.status}${cert?.replacedBy ? ` (by \`${cert.replacedBy}\`)` : ''}: nothing to do. \`/cert list\` shows what you hold.`;
    case 'refused':
      return `Renewing \`${serial}\` was refused:\n${o.problems.map((p) => `• ${p}`).join('\n')}\nSend me a new CSR to request a fresh certificate.`;
    case 'snoozed':
      return `Snoozed: no reminder about \`${serial}\` before ${o.until.toISOString()}.`;
    case 'dismissed':
      return `Recorded: you no longer need \`${serial}\`. No more reminders about it.`;
    case 'renewal-submitted':
      return `Renewal of \`${serial}\` sent (request \`${o.requestId}\`). The new certificate comes here like the first; replace the certificate file, your key stays.`;
  }
}
