import { CsrbotError } from '../../domain/errors.js';
import { tlsFailureOf } from '../tls-problem.js';

/** What the adapter was doing, so the error can say it. */
export interface ErrorContext {
  operation: string;
  name?: string;
  verb?: string;
  resource?: string;
  server?: string;
}

interface Status {
  message?: string;
  reason?: string;
}

function parseStatus(body: unknown): Status {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as Status;
    } catch {
      return { message: body };
    }
  }
  return body && typeof body === 'object' ? (body as Status) : {};
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const timeoutCodes = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Messages along the cause chain: undici's fetch says only "fetch failed" and puts the reason in `cause`. */
function messageChain(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    const m = cur instanceof Error ? cur.message : String(cur);
    if (m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ');
}

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Maps anything @kubernetes/client-node throws (ApiException with an HTTP
 * status and a Status body; undici's `TypeError: fetch failed` with the
 * network error as its cause; the request signal's TimeoutError or
 * AbortError) to a CsrbotError whose details carry the API server's own
 * message, or the transport's.
 */
export function toCsrbotError(e: unknown, ctx: ErrorContext): CsrbotError {
  if (e instanceof CsrbotError) return e;
  const opts = { cause: e };
  const status = (e as { code?: unknown }).code;
  // Only an HTTP status: a DOMException's code is a number too (23 for TimeoutError).
  if (typeof status === 'number' && status >= 100 && status <= 599) {
    const s = parseStatus((e as { body?: unknown }).body);
    const message = s.message ?? `HTTP ${status}`;
    const name = ctx.name;
    switch (status) {
      case 401:
        return new CsrbotError('CLUSTER_UNAUTHORIZED', { server: ctx.server, message }, opts);
      case 403: {
        // RBAC: 'User "x" cannot delete resource "certificatesigningrequests" ...'
        const rbac = /cannot (\S+) resource "([^"]+)"/.exec(message);
        // CertificateApproval admission: 'user not permitted to approve requests with signerName "..."'
        const signer = /not permitted to (\w+) requests with signerName "([^"]+)"/.exec(message);
        if (rbac) return new CsrbotError('CLUSTER_FORBIDDEN', { message, verb: rbac[1], resource: rbac[2], name }, opts);
        if (signer) return new CsrbotError('CLUSTER_FORBIDDEN', { message, verb: signer[1], resource: `signers/${signer[2]}`, name }, opts);
        // Other 403s on create come from admission (e.g. CertificateSubjectRestriction
        // refusing O=system:masters): the request itself is refused, not csrbot.
        if (ctx.operation === 'create') return new CsrbotError('CSR_REJECTED_BY_API', { name, message, status }, opts);
        return new CsrbotError('CLUSTER_FORBIDDEN', { message, verb: ctx.verb, resource: ctx.resource, name }, opts);
      }
      case 404:
        return new CsrbotError('CSR_NOT_FOUND', { name, message }, opts);
      case 409:
        return new CsrbotError('CLUSTER_CONFLICT', { name, message }, opts);
      case 400:
      case 422:
        return new CsrbotError('CSR_REJECTED_BY_API', { name, message, status }, opts);
      case 408:
      case 504:
        return new CsrbotError('CLUSTER_TIMEOUT', { operation: ctx.operation, message }, opts);
      default:
        return new CsrbotError('CLUSTER_ERROR', { status, message, operation: ctx.operation, name }, opts);
    }
  }
  const tls = tlsFailureOf(e);
  if (tls) return new CsrbotError('CLUSTER_TLS', { server: ctx.server, ...tls, operation: ctx.operation }, opts);
  const code = errorCode(e);
  const errName = (e as { name?: unknown }).name;
  const type = (e as { type?: unknown }).type;
  if (errName === 'AbortError' || errName === 'TimeoutError' || type === 'aborted' || (code && timeoutCodes.has(code))) {
    return new CsrbotError('CLUSTER_TIMEOUT', { operation: ctx.operation, server: ctx.server }, opts);
  }
  if (code && networkCodes.has(code)) {
    return new CsrbotError('CLUSTER_UNREACHABLE', { server: ctx.server, reason: code, operation: ctx.operation }, opts);
  }
  return new CsrbotError('CLUSTER_ERROR', { status: 'n/a', message: messageChain(e), operation: ctx.operation }, opts);
}
