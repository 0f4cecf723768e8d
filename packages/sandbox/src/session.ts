import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may drive the sandbox page: whoever holds the session token printed in
 * the start line, through a Host header that names this sandbox. The token
 * keeps out other local users; the Host check keeps out web pages that
 * rebind a name of theirs to 127.0.0.1 (DNS rebinding).
 */
export interface Session {
  readonly token: string;
  /** Host header values the page answers to, e.g. "127.0.0.1:3000" and "localhost:3000". */
  readonly hosts: readonly string[];
}

export const SESSION_COOKIE = 'csrbot_sandbox';

export function newSession(port: number): Session {
  return { token: randomBytes(24).toString('base64url'), hosts: [`127.0.0.1:${port}`, `localhost:${port}`] };
}

/** The URL the start line prints: the token rides in the query once, then in a cookie. */
export function sessionUrl(session: Session): string {
  return `http://${session.hosts[0]}/?token=${session.token}`;
}

export type Verdict = { ok: true; setCookie: boolean } | { ok: false; status: 403 | 421; reason: string };

/** Checks one request against the session: Host first, then the token (query `token` or the session cookie). */
export function checkRequest(req: Pick<IncomingMessage, 'headers' | 'url'>, session: Session): Verdict {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!session.hosts.includes(host)) return { ok: false, status: 421, reason: `this sandbox answers only to ${session.hosts.join(' or ')}` };
  const fromQuery = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('token');
  const fromCookie = cookie(req.headers.cookie, SESSION_COOKIE);
  if (fromQuery !== null && sameSecret(fromQuery, session.token))
    return { ok: true, setCookie: fromCookie === undefined || !sameSecret(fromCookie, session.token) };
  if (fromCookie !== undefined && sameSecret(fromCookie, session.token)) return { ok: true, setCookie: false };
  return { ok: false, status: 403, reason: 'open the sandbox with the URL its start line printed (it carries the session token)' };
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
