import { pino, type DestinationStream, type Logger } from 'pino';
import { scrub, scrubString } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Default `info`. */
  level?: string;
  /** Exact secret values (tokens, signing secret) to strip from every line, even inside free text. */
  secrets?: readonly string[];
  /** Where lines go; default stdout. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs. Every field and the message itself pass through
 * scrub(): tokens, the signing secret and PEM private keys never reach a line.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length > 0);
  const root = pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'csrbot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj, secrets) as Record<string, unknown>,
        bindings: (b) => scrub(b, secrets) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a, secrets) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => scrub(e, secrets) },
    },
    opts.destination,
  );
  // Child bindings are serialized once, outside formatters.log: scrub them on
  // the way in. Children inherit this override through pino's prototype chain.
  const protoChild = root.child;
  root.child = function (this: Logger, bindings, options) {
    return protoChild.call(this, scrub(bindings, secrets) as typeof bindings, options);
  } as typeof root.child;
  return root;
}
