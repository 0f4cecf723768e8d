/**
 * Scrub secrets out of anything about to be logged. Path-based redaction
 * (pino's `redact`) only catches fields we thought of; this also catches a
 * token or a private key that ends up inside an error message or a payload.
 */
import { PRIVATE_KEY_BLOCK } from '../domain/private-key.js';

const TOKEN = /\b(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
export const REDACTED = '[REDACTED]';

/** Field names whose values are never logged, wherever they appear. */
export const SECRET_KEYS = new Set([
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'authorization',
  'Authorization',
  'password',
  'client-key-data',
  'clientKeyData',
  'keyData',
  'privateKey',
]);

export function scrubString(s: string, extraSecrets: readonly string[] = []): string {
  let out = s.replace(PRIVATE_KEY_BLOCK, REDACTED).replace(TOKEN, REDACTED).replace(BEARER, `$1${REDACTED}`);
  for (const secret of extraSecrets) {
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out;
}

export function scrub(value: unknown, extraSecrets: readonly string[] = [], depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value, extraSecrets);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const o: Record<string, unknown> = { type: value.name, message: scrubString(value.message, extraSecrets) };
    if (value.stack) o.stack = scrubString(value.stack, extraSecrets);
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) o.code = code;
    return o;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, extraSecrets, depth + 1, seen));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.has(k) && v !== undefined ? REDACTED : scrub(v, extraSecrets, depth + 1, seen);
  }
  return out;
}
