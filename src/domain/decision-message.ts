/**
 * The message csrbot writes on a CSR's Approved or Denied condition. It names
 * the Slack deciders so the cluster's own record shows who decided, and it is
 * the record that survives when Redis loses its last writes (a crashed master
 * under asynchronous replication): the reconciler reads the deciders back
 * from it. Writing and reading live together so they cannot drift.
 */
import type { Decider } from './lifecycle.js';

const APPROVED_BY = 'Approved in Slack by ';
const DENIED_BY = 'Denied in Slack by ';

/** Deciders as the messages show them: `Alice Admin (U0123ABCD), Bob Admin (U0456EFGH)`; 'an admin' if none is known. */
export function namedDeciders(by: readonly Decider[]): string {
  return by.map((d) => `${d.name} (${d.userId})`).join(', ') || 'an admin';
}

/** A Slack user id, as the message writes it after the name. */
const DECIDER = /(.+?) \(([UW][A-Z0-9]+)\)(?=, |:|$)/y;

export function approvalMessage(approvers: readonly Decider[]): string {
  return `${APPROVED_BY}${namedDeciders(approvers)}`;
}

export function denialMessage(deniers: readonly Decider[], reason?: string): string {
  return `${DENIED_BY}${namedDeciders(deniers)}: ${reason ?? ''}`.trim();
}

/** Reads `Name (U…), Name (U…)` from `at`; returns them and where the list ended, or undefined if it is not such a list. */
function readDeciders(text: string, at: number): { by: Decider[]; end: number } | undefined {
  const by: Decider[] = [];
  let i = at;
  for (;;) {
    DECIDER.lastIndex = i;
    const m = DECIDER.exec(text);
    if (!m) return undefined;
    by.push({ name: m[1]!, userId: m[2]! });
    i = DECIDER.lastIndex;
    if (!text.startsWith(', ', i)) return { by, end: i };
    i += 2;
  }
}

/** The approvers named by approvalMessage(), or undefined if `message` is not one. */
export function approversFromMessage(message: string | undefined): Decider[] | undefined {
  if (!message?.startsWith(APPROVED_BY)) return undefined;
  const read = readDeciders(message, APPROVED_BY.length);
  return read && read.end === message.length ? read.by : undefined;
}

/** The denier(s) and reason named by denialMessage(), or undefined if `message` is not one. */
export function denialFromMessage(message: string | undefined): { by: Decider[]; reason?: string } | undefined {
  if (!message?.startsWith(DENIED_BY)) return undefined;
  const read = readDeciders(message, DENIED_BY.length);
  if (!read) return undefined;
  const rest = message.slice(read.end);
  if (rest === '' || rest === ':') return { by: read.by };
  return rest.startsWith(': ') ? { by: read.by, reason: rest.slice(2) } : undefined;
}
