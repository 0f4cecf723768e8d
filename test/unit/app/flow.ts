/**
 * Shared set-up for use-case tests: one PKI per file, a request from jane
 * recorded and its submit job run, and "the cluster signs it".
 */
import { X509Certificate } from 'node:crypto';
import { approveRequest } from '../../../src/app/decide.js';
import type { IntakeFlow } from '../../../src/app/dm-intake.js';
import { submitRequest, type NewRequest } from '../../../src/app/submit.js';
import { parsePolicyConfig } from '../../../src/domain/policy/index.js';
import type { CertificateRequest } from '../../../src/domain/lifecycle.js';
import { makeDeps, people, type TestDeps } from '../../support/fakes/make-deps.js';
import type { TestPki, UserKey } from '../../support/fakes/test-pki.js';

export function newRequest(key: UserKey, over: Partial<NewRequest> = {}): NewRequest {
  return {
    id: 'req-0001',
    requester: people.jane,
    kubernetesUsername: 'jane',
    csr: key.summary,
    signerName: 'kubernetes.io/kube-apiserver-client',
    lifetimeSeconds: 86400,
    reason: 'on-call access',
    dmChannel: 'DJANE',
    ...over,
  };
}

export interface Submitted extends TestDeps {
  key: UserKey;
  request: CertificateRequest;
  id: string;
}

/** makeDeps + submitRequest + the submit job, ready for admins to decide. */
export async function submitted(
  pki: TestPki,
  opts: Parameters<typeof makeDeps>[0] & { request?: Partial<NewRequest>; key?: UserKey } = {},
): Promise<Submitted> {
  const t = makeDeps(opts);
  const key = opts.key ?? pki.userKey();
  const { request } = await submitRequest(t.deps, newRequest(key, opts.request));
  await t.jobs.runAll(t.handlers);
  return { ...t, key, request, id: request.id };
}

export async function state(t: TestDeps, id: string): Promise<CertificateRequest> {
  const r = await t.store.get(id);
  if (!r) throw new Error(`no request ${id}`);
  return r;
}

export const admin = (p: { userId: string }) => ({ userId: p.userId, channel: 'CADMINS' });

/** An IntakeFlow over the test deps: jane may ask for `developers`, up to 30 days. */
export function intakeFlow(t: TestDeps): IntakeFlow {
  return {
    deps: t.deps,
    drafts: { put: async () => true, get: async () => undefined },
    intake: {
      directory: t.chat,
      usernameRule: { kind: 'slack-username' },
      policy: parsePolicyConfig({ allowedGroups: ['developers'], lifetime: { defaultSeconds: 86_400, maxSeconds: 30 * 86_400 } }, 'test'),
    },
  };
}

export interface Issued extends Submitted {
  serial: string;
  notAfter: number;
  flow: IntakeFlow;
}

/** jane holds a certificate valid `days` from now (approved by alice, delivered); the clock is at its notBefore. */
export async function issuedCertificate(pki: TestPki, days = 1, opts: Parameters<typeof makeDeps>[0] = {}): Promise<Issued> {
  const t = await submitted(pki, { ...opts, request: { lifetimeSeconds: days * 86_400 } });
  await approveRequest(t.deps, t.id, admin(people.alice));
  const certPem = pki.sign(t.key.csrPem, days);
  const x = new X509Certificate(certPem);
  t.clock.set(x.validFrom);
  await t.jobs.runAll({ ...t.handlers, issue: async (id) => (t.csrApi.issue(t.request.csrName, certPem), t.handlers.issue!(id)) });
  if ((await state(t, t.id)).state !== 'issued') throw new Error('issuedCertificate: the request was not issued');
  return { ...t, serial: x.serialNumber.toLowerCase(), notAfter: Date.parse(x.validTo), flow: intakeFlow(t) };
}
