import { inspectCertificate } from '../domain/certificate.js';
import { CsrbotError, isCsrbotError } from '../domain/errors.js';
import { buildKubeconfig, deliveryFileNames, usageInstructions } from '../domain/kubeconfig.js';
import type { CsrObject } from '../ports.js';
import { MANAGED_SELECTOR, type Deps } from './deps.js';
import { announce } from './announce.js';
import { reportClusterTrouble } from './cluster-trouble.js';

/** Poll cadence while waiting for the signer; the watch usually answers first. */
const POLL_START_MS = 500;
const POLL_MAX_MS = 5_000;

/**
 * Waits until the CSR has a certificate, has failed, or is gone: a watch for
 * speed, a poll with bounded backoff in case the watch misses (or cannot
 * connect). Resolves with the last object seen; rejects on the overall timeout.
 */
export async function waitForSigner(deps: Deps, name: string, deadline: number): Promise<CsrObject | undefined> {
  const settled = (o: CsrObject | undefined) => !o || o.state === 'issued' || o.state === 'failed' || o.state === 'denied';
  let wake: (() => void) | undefined;
  // A watch on this one CSR: the server sends only its changes.
  const watch = deps.csrApi.watch({ labelSelector: MANAGED_SELECTOR, name }, (_type, o) => {
    if (o.name === name) wake?.();
  });
  try {
    let delay = POLL_START_MS;
    for (;;) {
      const o = await deps.csrApi.get(name);
      if (settled(o)) return o;
      const left = deadline - Date.now();
      if (left <= 0) throw new CsrbotError('ISSUANCE_TIMEOUT', { name, timeout: `${deps.settings.issuanceTimeoutSeconds}s` });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(delay, left));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  } finally {
    watch.stop();
  }
}

/**
 * Job: wait for the signer, check the certificate is for the requester's key,
 * record it, and deliver it with a kubeconfig. Delivery happens before the
 * approved->issued transition, so a crash in between repeats the DM rather
 * than losing it.
 */
export async function processIssue(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (!r) throw new CsrbotError('REQUEST_NOT_FOUND', { id });
  if (r.state !== 'approved') return;
  const log = deps.log.child({ requestId: id, csrName: r.csrName });
  const decidedAt = Date.parse(r.decision?.at ?? r.createdAt);
  const deadline = decidedAt + deps.settings.issuanceTimeoutSeconds * 1000;

  let obj: CsrObject | undefined;
  try {
    obj = await waitForSigner(deps, r.csrName, deadline);
  } catch (e) {
    if (isCsrbotError(e) && e.code === 'ISSUANCE_TIMEOUT') {
      const failed = await deps.store.transition(id, ['approved'], 'failed', { failure: { code: e.code, details: e.details } });
      if (failed) await announce(deps, failed, 'failed');
      return;
    }
    await reportClusterTrouble(deps, r, e);
    throw e;
  }

  if (!obj) {
    const gone = await deps.store.transition(id, ['approved'], 'deleted', {});
    if (gone) await announce(deps, gone, 'deleted');
    return;
  }
  if (obj.state !== 'issued' || !obj.certificatePem) {
    const failure = { code: 'CSR_SIGNING_FAILED' as const, details: { name: r.csrName, message: obj.failureMessage ?? obj.state } };
    const failed = await deps.store.transition(id, ['approved'], 'failed', { failure });
    if (failed) await announce(deps, failed, 'failed');
    return;
  }

  const facts = inspectCertificate(obj.certificatePem);
  if (facts.spkiFingerprint !== r.csr.fingerprint) {
    const failure = { code: 'CERTIFICATE_KEY_MISMATCH' as const, details: { name: r.csrName, expected: r.csr.fingerprint, actual: facts.spkiFingerprint } };
    const failed = await deps.store.transition(id, ['approved'], 'failed', { failure });
    if (failed) await announce(deps, failed, 'failed');
    return;
  }
  const { spkiFingerprint: _spki, ...cert } = facts;
  const issued = { ...cert, requesterId: r.requester.userId, approvers: r.approvals.map((a) => a.userId) };
  await deps.store.saveIssued(id, issued);

  const d = deps.settings.delivery;
  const names = deliveryFileNames(r.kubernetesUsername, d.clusterName);
  // Not onceOnly: a crash mid-upload must not lose the delivery. One issue
  // job runs per request (deterministic job id), so only a crash repeats it.
  await deps.chat.deliver(
    { ...r, issued },
    {
      certificatePem: obj.certificatePem!,
      certificateFilename: names.certificate,
      kubeconfig: buildKubeconfig({
        clusterName: d.clusterName,
        serverUrl: d.serverUrl,
        caPem: d.caPem,
        username: r.kubernetesUsername,
        certificatePem: obj.certificatePem!,
        keyPathTemplate: d.keyPathTemplate,
      }),
      kubeconfigFilename: names.kubeconfig,
      instructions: usageInstructions({
        username: r.kubernetesUsername,
        clusterName: d.clusterName,
        keyPathTemplate: d.keyPathTemplate,
        notAfter: issued.notAfter,
      }),
    },
  );
  const done = await deps.store.transition(id, ['approved'], 'issued', { issued });
  if (done) {
    deps.metrics?.requestEvent('issued');
    deps.metrics?.issuanceSeconds((deps.clock.now().getTime() - decidedAt) / 1000);
    await deps.chat.updateCard(done);
  }
  log.info({ serial: issued.serial, notAfter: issued.notAfter }, 'certificate delivered');
}
