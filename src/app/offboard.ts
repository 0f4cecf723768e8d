/**
 * A holder left (their Slack account was deactivated). Kubernetes cannot
 * revoke a client certificate, so csrbot does what it can: stops reminders
 * and renewals for their certificates, and tells the admins which
 * certificates stay valid until when, and which RBAC bindings name the
 * username, so they can remove those.
 */
import { describeFor, isCsrbotError } from '../domain/errors.js';
import type { CertificateRecord } from '../domain/inventory.js';
import type { BindingRef, RbacBindings } from '../ports.js';
import { recordAudit } from './audit.js';
import { cancelReminders } from './remind.js';
import type { SweepPass } from './sweep.js';
import type { Deps } from './deps.js';

export interface OffboardDeps extends Deps {
  bindings: RbacBindings;
}

/** How many bindings the admin message names before "and N more". */
export const BINDINGS_SHOWN = 50;

export type OffboardOutcome =
  { kind: 'not-a-holder' } | { kind: 'offboarded'; stopped: string[]; stillValid: CertificateRecord[]; bindings: BindingRef[] | { error: string } };

/**
 * Idempotent: the certificates' status moves active -> offboarded with a
 * compare-and-set after the admins were told, and they are told only while
 * one is still active (or, on the event itself, when certificates are still
 * valid), so the sweep's backstop does not alert again for someone handled.
 */
export async function offboardHolder(deps: OffboardDeps, userId: string, via: 'user_change' | 'sweep'): Promise<OffboardOutcome> {
  const now = deps.clock.now();
  const held = await deps.inventory.byRequester(userId);
  if (held.length === 0) return { kind: 'not-a-holder' };
  const stillValid = held.filter((c) => Date.parse(c.notAfter) > now.getTime());
  const active = held.filter((c) => c.status === 'active');
  if (active.length === 0 && !(via === 'user_change' && stillValid.length > 0)) return { kind: 'not-a-holder' };

  const usernames = [...new Set(held.map((c) => c.username))];
  let bindings: BindingRef[] | { error: string };
  try {
    bindings = (await Promise.all(usernames.map((u) => deps.bindings.namingUser(u)))).flat();
  } catch (e) {
    deps.log.warn({ err: e, userId }, 'offboarding: listing RBAC bindings failed');
    bindings = { error: isCsrbotError(e) ? describeFor('admin', e.code, e.details) : 'the Kubernetes API did not answer' };
  }
  const openRequests = (await deps.store.listOpen()).filter((r) => r.requester.userId === userId);
  await deps.chat.tellAdmins(offboardingText({ userId, usernames, stillValid, bindings, openRequests: openRequests.map((r) => r.id) }));
  // After the admins were told: if telling them failed, the certificates are still active and the sweep tries again.
  const stopped: string[] = [];
  for (const c of active) {
    const ended = await deps.inventory.setStatus(c.serial, ['active'], 'offboarded');
    if (!ended) continue;
    stopped.push(c.serial);
    // The sender skips a certificate that is not active anyway; this keeps the due-set from holding them.
    await cancelReminders(deps, ended);
    await recordAudit(deps, { type: 'offboarded', serial: c.serial, requestId: c.requestId, via: 'slack', detail: `holder deactivated (${via})` });
  }
  deps.log.info({ userId, via, stopped: stopped.length, stillValid: stillValid.length }, 'holder offboarded');
  return { kind: 'offboarded', stopped, stillValid, bindings };
}

/** Slack mrkdwn control characters in names people chose (usernames, namespaces). */
const plain = (s: string) => {
  const cut = s.length > 120 ? `${s.slice(0, 119)}…` : s;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'");
};

function offboardingText(o: {
  userId: string;
  usernames: string[];
  stillValid: CertificateRecord[];
  bindings: BindingRef[] | { error: string };
  openRequests: string[];
}): string {
  const lines = [
    `:wave: <@${o.userId}>'s Slack account was deactivated. csrbot stopped reminders and renewals for their certificates (Kubernetes username ${o.usernames.map((u) => `\`${plain(u)}\``).join(', ')}).`,
  ];
  if (o.stillValid.length) {
    lines.push(
      `*Still valid* (a client certificate cannot be revoked; it works until it expires):`,
      ...o.stillValid.slice(0, 20).map((c) => `• \`${plain(c.username)}\` serial \`${c.serial}\` until ${c.notAfter}`),
    );
    if (o.stillValid.length > 20) lines.push(`…and ${o.stillValid.length - 20} more.`);
  } else lines.push('None of their certificates is still valid.');
  if ('error' in o.bindings) {
    lines.push(`*RBAC bindings:* csrbot could not list them: ${o.bindings.error}`);
  } else if (o.bindings.length === 0) {
    lines.push('*RBAC bindings:* none name that username.');
  } else {
    lines.push(`*RBAC bindings naming that username* (remove them to cut access now):`);
    lines.push(
      ...o.bindings
        .slice(0, BINDINGS_SHOWN)
        .map((b) => `• \`kubectl delete ${b.kind.toLowerCase()} ${plain(b.name)}${b.namespace ? ` -n ${plain(b.namespace)}` : ''}\` (${plain(b.role)})`),
    );
    if (o.bindings.length > BINDINGS_SHOWN) lines.push(`…and ${o.bindings.length - BINDINGS_SHOWN} more.`);
  }
  if (o.openRequests.length) lines.push(`Their open requests (${o.openRequests.map((id) => `\`${id}\``).join(', ')}) still wait on their cards: deny them.`);
  // Slack truncates message text at 40,000 characters; stay well under it.
  const text = lines.join('\n');
  return text.length > 12_000 ? `${text.slice(0, 11_990)}\n…` : text;
}

/**
 * The sweep's backstop for a missed user_change event: every holder of an
 * active certificate still valid is looked up (users.info), and offboarded
 * if their account is deactivated.
 */
export async function offboardingPass(deps: OffboardDeps, opts: { limit?: number } = {}): Promise<{ checked: number; offboarded: number }> {
  const active = (await deps.inventory.validAt(deps.clock.now(), opts.limit ?? 100_000)).filter((c) => c.status === 'active');
  const holders = [...new Set(active.map((c) => c.requesterId))];
  let offboarded = 0;
  for (const userId of holders) {
    if (!(await deps.directory.isDeactivated(userId))) continue;
    if ((await offboardHolder(deps, userId, 'sweep')).kind === 'offboarded') offboarded += 1;
  }
  return { checked: holders.length, offboarded };
}

/**
 * offboardingPass as a pass of the product's sweep. It asks Slack about every
 * holder, so it runs at most once per `everyMs` (default 1 h) in a replica,
 * however often the sweep runs; users.info allows 100+ calls a minute.
 */
export function offboardingSweepPass(deps: OffboardDeps, everyMs = 3600_000): SweepPass {
  let last = -Infinity;
  return {
    name: 'offboarding',
    async run(now) {
      if (now.getTime() - last < everyMs) return { skipped: 1 };
      last = now.getTime();
      return offboardingPass(deps);
    },
  };
}
