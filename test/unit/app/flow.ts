/**
 * Shared set-up for use-case tests: one PKI per file, a request from jane
 * recorded and its submit job run, and "the cluster signs it".
 */
import { submitRequest, type NewRequest } from '../../../src/app/submit.js';
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
