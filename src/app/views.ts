/**
 * What people see of their certificates and requests: `/cert list`,
 * `/cert status`, the admins' `/cert pending` and `/cert holders`, and the
 * App Home. Every view is computed here from the stores and rendered by the
 * Slack adapter's builders; who may see what is decided here too.
 */
import { CsrbotError } from '../domain/errors.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { CertificateRecord } from '../domain/inventory.js';
import type { HomeContent, Page, QueuedRequest } from '../ports.js';
import { allAdmins, isAdminUser } from './admins.js';
import type { Deps, ViewChange } from './deps.js';

/** The views read the flow's stores (requests, and the certificate inventory). */
export type ViewsDeps = Deps;

/** How many queued requests get a card link (one chat.getPermalink each); the rest are counted. */
export const QUEUE_LINKS = 20;
/** How many holders `/cert holders` lists; the rest are counted, up to HOLDERS_READ. */
export const HOLDERS_SHOWN = 40;
export const HOLDERS_READ = 2000;

/** A refusal, as a coded error the adapter renders for the person who asked. */
export type Refused = { kind: 'refused'; error: CsrbotError };

const page = <T>(items: T[], total = items.length): Page<T> => ({ items, total });

/** The user's own certificates (soonest expiry first) and open requests. */
export async function myCertificates(
  deps: ViewsDeps,
  userId: string,
): Promise<{ now: Date; certificates: CertificateRecord[]; requests: CertificateRequest[] }> {
  const [certificates, open] = await Promise.all([deps.inventory.byRequester(userId), deps.store.listOpen()]);
  return { now: deps.clock.now(), certificates, requests: open.filter((r) => r.requester.userId === userId) };
}

export type StatusOutcome =
  | Refused
  | { kind: 'request'; now: Date; request: CertificateRequest; certificate?: CertificateRecord }
  | { kind: 'certificate'; now: Date; certificate: CertificateRecord; request?: CertificateRequest };

const REQUEST_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** A serial as people paste it: `5F:A0:...`, `0x5fa0...` or `5fa0...`; lowercase hex without separators. */
export function normaliseSerial(ref: string): string | undefined {
  const hex = ref
    .trim()
    .replace(/^0x/i, '')
    .replace(/[:\s-]/g, '')
    .toLowerCase();
  return /^[0-9a-f]{1,128}$/.test(hex) ? hex : undefined;
}

/**
 * `/cert status <id|serial>`: one request or certificate. Its holder sees it;
 * so do admins; anyone else is refused without learning whose it is.
 */
export async function statusOf(deps: ViewsDeps, userId: string, ref: string): Promise<StatusOutcome> {
  const trimmed = ref.trim();
  const notFound: Refused = { kind: 'refused', error: new CsrbotError('NOTHING_BY_THAT_ID', { ref: trimmed.slice(0, 140) }) };
  if (!trimmed) return notFound;
  const request = REQUEST_ID.test(trimmed) ? await deps.store.get(trimmed) : undefined;
  const serial = request ? request.issued?.serial : normaliseSerial(trimmed);
  const certificate = serial ? await deps.inventory.get(serial) : undefined;
  const owner = request?.requester.userId ?? certificate?.requesterId;
  if (!request && !certificate) return notFound;
  if (owner !== userId && !(await isAdminUser(deps, userId))) {
    return { kind: 'refused', error: new CsrbotError('NOT_YOUR_CERTIFICATE', { what: request ? 'That request' : 'That certificate', action: 'see it' }) };
  }
  const now = deps.clock.now();
  if (request) return { kind: 'request', now, request, ...(certificate ? { certificate } : {}) };
  const from = await deps.store.get(certificate!.requestId);
  return { kind: 'certificate', now, certificate: certificate!, ...(from ? { request: from } : {}) };
}

async function adminsOnly(deps: ViewsDeps, userId: string, command: string): Promise<Refused | undefined> {
  if (await isAdminUser(deps, userId)) return undefined;
  return { kind: 'refused', error: new CsrbotError('ADMINS_ONLY', { command, ...(deps.settings.adminGroup ? { group: deps.settings.adminGroup } : {}) }) };
}

/** Requests waiting for admins, longest-waiting first; the first QUEUE_LINKS with a link to their card. */
async function queue(deps: ViewsDeps): Promise<Page<QueuedRequest>> {
  const pending = (await deps.store.listOpen()).filter((r) => r.state === 'pending');
  const shown = pending.slice(0, QUEUE_LINKS);
  const items = await Promise.all(
    shown.map(async (request): Promise<QueuedRequest> => {
      const cardLink = request.card ? await deps.chat.permalink(request.card).catch(() => undefined) : undefined;
      return cardLink ? { request, cardLink } : { request };
    }),
  );
  return page(items, pending.length);
}

/** `/cert pending` (admins): the queue, with links to the cards. */
export async function pendingQueue(deps: ViewsDeps, userId: string): Promise<Refused | { kind: 'queue'; now: Date; queue: Page<QueuedRequest> }> {
  const refused = await adminsOnly(deps, userId, '/cert pending');
  if (refused) return refused;
  return { kind: 'queue', now: deps.clock.now(), queue: await queue(deps) };
}

/** `/cert holders` (admins): who holds a valid certificate, until when. */
export async function holders(deps: ViewsDeps, userId: string): Promise<Refused | { kind: 'holders'; now: Date; holders: Page<CertificateRecord> }> {
  const refused = await adminsOnly(deps, userId, '/cert holders');
  if (refused) return refused;
  const now = deps.clock.now();
  const read = await deps.inventory.validAt(now, HOLDERS_READ);
  const active = read.filter((c) => c.status === 'active');
  return {
    kind: 'holders',
    now,
    holders: { items: active.slice(0, HOLDERS_SHOWN), total: active.length, ...(read.length === HOLDERS_READ ? { atLeast: true } : {}) },
  };
}

/** What the user's App Home shows: theirs, and the queue if they are an admin. */
export async function homeContent(deps: ViewsDeps, userId: string): Promise<HomeContent> {
  const [mine, admin] = await Promise.all([myCertificates(deps, userId), isAdminUser(deps, userId)]);
  return {
    now: mine.now,
    certificates: page(mine.certificates),
    requests: page(mine.requests),
    ...(admin ? { admin: { queue: await queue(deps) } } : {}),
  };
}

/** app_home_opened, and every refresh: renders and publishes one user's home. */
export async function publishHome(deps: ViewsDeps, userId: string): Promise<void> {
  await deps.chat.publishHome(userId, await homeContent(deps, userId));
}

/**
 * After a change (the Deps.onChange hook): the holder's home, and every
 * admin's when the queue may have changed. Each home is published on its
 * own, so one user's failure does not keep the others stale.
 */
export async function refreshHomes(deps: ViewsDeps, change: ViewChange): Promise<void> {
  const users = new Set([change.userId, ...(change.queue ? await allAdmins(deps) : [])]);
  const results = await Promise.allSettled([...users].map((u) => publishHome(deps, u)));
  const failed = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed.length)
    deps.log.warn({ err: failed[0]!.reason, requestId: change.requestId, failed: failed.length, of: users.size }, 'App Home refresh failed for some users');
}
