import type { CsrbotError, ErrorCode } from '../domain/errors.js';

/**
 * pass: checked and fine. fail: a setting to fix; start-up stops (exit 2).
 * warn: a dependency is down or something is odd; start-up goes on and
 * readiness says so. skip: not checked (not configured, or an earlier check
 * failed), with the reason.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable name: slack-token, slack-scopes, kubernetes-permissions... */
  name: string;
  status: CheckStatus;
  /** pass/skip: what was found. warn/fail: what is wrong and how to fix it (the error table's text). */
  detail: string;
  /** warn/fail: the error's code, for logs and tests. */
  code?: ErrorCode;
  /** warn: an outage (Slack, the cluster or Redis did not answer), not a setting. */
  transient?: boolean;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });

/** A failure (a setting to fix) or, when `transient`, a warning (an outage). */
export function fromError(name: string, error: CsrbotError, transient = false): CheckResult {
  return { name, status: transient ? 'warn' : 'fail', detail: error.userMessage, code: error.code, ...(transient ? { transient } : {}) };
}

export const warn = (name: string, error: CsrbotError): CheckResult => ({ name, status: 'warn', detail: error.userMessage, code: error.code });
