import { CsrbotError, type Details, type ErrorCode } from '../errors.js';
import { UNKNOWN_USER, opensslCommandsFor } from './openssl-commands.js';

// The parser does not know who is asking; callers that do can re-render the
// message with their own `commands` (see errors.ts).
const NEW_KEY = opensslCommandsFor(UNKNOWN_USER).text;

/** A coded intake error carrying the generic "make a key and request" commands. */
export function intakeError(code: ErrorCode, details: Details = {}, cause?: unknown): CsrbotError {
  return new CsrbotError(code, { commands: NEW_KEY, ...details }, cause === undefined ? undefined : { cause });
}

export function fail(code: ErrorCode, details: Details = {}): never {
  throw intakeError(code, details);
}
