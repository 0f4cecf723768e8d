import { createHash } from 'node:crypto';

/**
 * Request ids come from the Slack interaction that started them (message ts,
 * view id), so a redelivered event lands on the same request instead of
 * opening a second one. Lowercase base32-ish hex, safe in job ids and CSR names.
 */
export function requestIdFrom(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}
