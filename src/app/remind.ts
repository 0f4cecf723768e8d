import type { CertificateRecord } from '../domain/inventory.js';
import { DEFAULT_LADDER, SNOOZE_MS, SNOOZE_STEP, reminderSteps, stepsToSchedule, type ReminderStep } from '../domain/reminders.js';
import type { DueReminder } from '../ports.js';
import { recordAudit } from './audit.js';
import type { Deps, FlowSettings } from './deps.js';

/** How long a claimed reminder is someone's to send before another replica may take it. */
export const REMINDER_LEASE_MS = 60_000;
/** Reminders claimed per round trip. */
const CLAIM_BATCH = 100;

/** What scheduling needs: the due-set, the clock and the ladder. */
export interface ReminderDeps {
  reminders: Deps['reminders'];
  clock: Deps['clock'];
  settings: Pick<FlowSettings, 'reminders'>;
}

export function ladderSteps(deps: Pick<ReminderDeps, 'settings'>, cert: Pick<CertificateRecord, 'notBefore' | 'notAfter'>): ReminderStep[] {
  return reminderSteps(cert, deps.settings.reminders?.ladder ?? DEFAULT_LADDER);
}

/** The rung an active certificate is reminded at next, after the last one sent (see stepsToSchedule). */
export function nextStep(deps: Pick<ReminderDeps, 'settings'>, cert: CertificateRecord, nowMs: number, after = cert.remindedThrough): ReminderStep | undefined {
  if (cert.status !== 'active') return undefined;
  return stepsToSchedule(ladderSteps(deps, cert), after, nowMs)[0];
}

/** Schedules an active certificate's next reminder unless it has one (idempotent). */
export async function scheduleReminders(deps: ReminderDeps, cert: CertificateRecord): Promise<number> {
  const next = nextStep(deps, cert, deps.clock.now().getTime());
  return next ? deps.reminders.schedule([{ serial: cert.serial, dueMs: next.dueMs }]) : 0;
}

export async function cancelReminders(deps: Deps, cert: CertificateRecord): Promise<void> {
  await deps.reminders.cancel(cert.serial);
}

/**
 * A certificate seen for the first time: the one it renews (and any older
 * one for the same holder, username and key) stops getting reminders, and
 * its own are scheduled.
 */
export async function onNewCertificate(deps: Deps, cert: CertificateRecord): Promise<void> {
  if (cert.renewalOf !== undefined) {
    const old = await deps.inventory.setStatus(cert.renewalOf, ['active', 'dismissed'], 'renewed', cert.serial);
    if (old) await cancelReminders(deps, old);
  }
  const notAfter = Date.parse(cert.notAfter);
  for (const other of await deps.inventory.byRequester(cert.requesterId)) {
    const replaced =
      other.serial !== cert.serial &&
      other.status === 'active' &&
      other.username === cert.username &&
      other.keyFingerprint === cert.keyFingerprint &&
      Date.parse(other.notAfter) <= notAfter;
    if (!replaced) continue;
    const superseded = await deps.inventory.setStatus(other.serial, ['active'], 'superseded', cert.serial);
    if (!superseded) continue;
    await cancelReminders(deps, superseded);
    await recordAudit(deps, { type: 'superseded', serial: other.serial, requestId: other.requestId, via: 'csrbot', detail: `by ${cert.serial}` });
  }
  await scheduleReminders(deps, cert);
}

/**
 * Sends one claimed reminder, unless the certificate no longer wants it
 * (renewed, superseded, dismissed, forgotten) or it was already sent. A send
 * that fails is not acknowledged: its lease runs out and it is tried again.
 */
export async function fireReminder(deps: Deps, due: DueReminder): Promise<'sent' | 'skipped'> {
  const cert = await deps.inventory.get(due.serial);
  const now = deps.clock.now().getTime();
  if (!cert || cert.status !== 'active' || due.dueMs <= (cert.remindedThrough ?? -Infinity)) {
    await deps.reminders.complete(due, cert ? nextStep(deps, cert, now)?.dueMs : undefined);
    return 'skipped';
  }
  // A rung of the ladder, or a snoozed reminder (due when no rung is).
  const step = ladderSteps(deps, cert).find((s) => s.dueMs === due.dueMs)?.step ?? SNOOZE_STEP;
  const timeZone = await deps.directory.timeZone(cert.requesterId).catch(() => undefined);
  await deps.chat.remindHolder({
    certificate: cert,
    step,
    clusterName: deps.settings.delivery.clusterName,
    ...(timeZone ? { timeZone } : {}),
    expired: now >= Date.parse(cert.notAfter),
  });
  await deps.inventory.markReminded(cert.serial, due.dueMs);
  await deps.reminders.complete(due, nextStep(deps, cert, now, due.dueMs)?.dueMs);
  await recordAudit(deps, { type: 'reminded', serial: cert.serial, requestId: cert.requestId, via: 'csrbot', detail: step });
  deps.log.info({ serial: cert.serial, step }, 'expiry reminder sent');
  return 'sent';
}

/** Job: sends every reminder due now. Each is claimed by one replica only. */
export async function drainReminders(deps: Deps): Promise<{ sent: number; skipped: number; failed: number }> {
  const out = { sent: 0, skipped: 0, failed: 0 };
  const leaseMs = deps.settings.reminders?.leaseMs ?? REMINDER_LEASE_MS;
  for (;;) {
    const claimed = await deps.reminders.claimDue(deps.clock.now(), CLAIM_BATCH, leaseMs);
    for (const due of claimed) {
      try {
        out[await fireReminder(deps, due)] += 1;
      } catch (err) {
        out.failed += 1;
        deps.log.warn({ err, serial: due.serial }, 'expiry reminder not sent; retried when its lease runs out');
      }
    }
    if (claimed.length < CLAIM_BATCH) return out;
  }
}

/**
 * Snooze 1 day: nothing until then (rungs in between are skipped), then one
 * reminder. Never past expiry: the expiry reminder still comes.
 */
export async function snoozeReminders(deps: Deps, cert: CertificateRecord): Promise<Date> {
  const now = deps.clock.now().getTime();
  const notAfter = Date.parse(cert.notAfter);
  const until = Math.min(now + SNOOZE_MS, notAfter);
  await deps.inventory.markReminded(cert.serial, until - 1);
  // Before expiry: one reminder then (a snooze); at expiry: the expiry rung itself.
  const next = until < notAfter ? until : nextStep(deps, cert, now, until - 1)?.dueMs;
  if (next === undefined) await deps.reminders.cancel(cert.serial);
  else await deps.reminders.reschedule({ serial: cert.serial, dueMs: next });
  return new Date(until);
}
