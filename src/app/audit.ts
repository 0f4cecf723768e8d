import type { AuditEvent } from '../ports.js';
import type { Deps } from './deps.js';

/**
 * Appends to the audit trail, stamped with the clock. A trail that cannot be
 * written is logged, never allowed to fail the step it records (a delivery
 * must not be retried, and repeated, because the trail was unreachable).
 */
export async function recordAudit(deps: Pick<Deps, 'audit' | 'clock' | 'log'>, event: Omit<AuditEvent, 'at'>): Promise<void> {
  try {
    await deps.audit.append({ ...event, at: deps.clock.now().toISOString() });
  } catch (err) {
    deps.log.warn({ err, event: event.type, requestId: event.requestId, serial: event.serial }, 'could not append to the audit trail');
  }
}
