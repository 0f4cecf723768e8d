import { CsrbotError } from '../domain/errors.js';
import { buildKubeconfig, deliveryFileNames, usageInstructions } from '../domain/kubeconfig.js';
import { NotYet, type CsrObject } from '../ports.js';
import type { Deps } from './deps.js';
import { announce, announceIssued } from './announce.js';
import { captureCertificate } from './capture.js';
import { reportClusterTrouble } from './cluster-trouble.js';

/** How long one run of the job watches for the signer before giving its worker slot back. The signer usually answers in milliseconds. */
export const WATCH_WINDOW_MS = 3_000;
/** Re-checks after that back off with the time already waited: a quarter of it, between these bounds. */
const RECHECK_MIN_MS = 1_000;
const RECHECK_MAX_MS = 5_000;

const settled = (o: CsrObject | undefined) => !o || o.state === 'issued' || o.state === 'failed' || o.state === 'denied';

/**
 * Reads the CSR, and if the signer has not answered yet, watches this one
 * CSR for at most `windowMs`. Returns the last object seen (undefined: gone),
 * settled or not: the caller decides whether to wait more, so no job holds a
 * worker slot for the whole issuance timeout.
 */
export async function awaitSigner(deps: Deps, name: string, windowMs: number): Promise<CsrObject | undefined> {
  const first = await deps.csrApi.get(name);
  if (settled(first) || windowMs <= 0) return first;
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  // A watch on this one CSR: the server sends only its changes. Without a
  // version it first replays the CSR as it is (ADDED): only an answer wakes.
  const watch = deps.csrApi.watch({ name }, (type, o) => {
    if (o.name === name && (type === 'DELETED' || settled(o))) wake();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // The signer may have answered between the read and the watch starting: read again once the watch is up.
    const again = await deps.csrApi.get(name);
    if (settled(again)) return again;
    await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, windowMs)))]);
    return await deps.csrApi.get(name);
  } finally {
    clearTimeout(timer);
    watch.stop();
  }
}

/**
 * Job: wait for the signer, check the certificate is for the requester's key,
 * record it, and deliver it with a kubeconfig. Delivery happens before the
 * approved->issued transition, so a crash in between repeats the DM rather
 * than losing it. While the signer has not answered, the job watches for a
 * few seconds, then asks to be run again later (NotYet) until the issuance
 * timeout: a slow signer never holds a worker slot or delays shutdown.
 */
export async function processIssue(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (!r) throw new CsrbotError('REQUEST_NOT_FOUND', { id });
  if (r.state !== 'approved') return;
  const log = deps.log.child({ requestId: id, csrName: r.csrName });
  const decidedAt = Date.parse(r.decision?.at ?? r.createdAt);
  const deadline = decidedAt + deps.settings.issuanceTimeoutSeconds * 1000;

  // Captured earlier (by this job before a failed delivery, or by the watch): deliver it even if the CSR is gone by now.
  let certificatePem = r.certificatePem;
  if (certificatePem === undefined) {
    let obj: CsrObject | undefined;
    try {
      obj = await awaitSigner(deps, r.csrName, Math.min(deps.settings.signerWatchMs ?? WATCH_WINDOW_MS, deadline - deps.clock.now().getTime()));
    } catch (e) {
      await reportClusterTrouble(deps, r, e);
      throw e;
    }
    if (obj && !settled(obj)) {
      const now = deps.clock.now().getTime();
      if (now < deadline) {
        const waited = now - decidedAt;
        throw new NotYet(
          Math.min(deadline - now, Math.max(RECHECK_MIN_MS, Math.min(RECHECK_MAX_MS, waited / 4))),
          `the signer has not issued ${r.csrName} yet`,
        );
      }
      const timeout = new CsrbotError('ISSUANCE_TIMEOUT', { name: r.csrName, timeout: `${deps.settings.issuanceTimeoutSeconds}s` });
      const failed = await deps.store.transition(id, ['approved'], 'failed', { failure: { code: timeout.code, details: timeout.details } });
      if (failed) await announce(deps, failed, 'failed');
      return;
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
    certificatePem = obj.certificatePem;
  }

  const captured = await captureCertificate(deps, r, certificatePem);
  if (!captured.ok) {
    const failure = {
      code: 'CERTIFICATE_KEY_MISMATCH' as const,
      details: { name: r.csrName, expected: r.csr.fingerprint, actual: captured.facts.spkiFingerprint },
    };
    const failed = await deps.store.transition(id, ['approved'], 'failed', { failure, certificatePem: undefined });
    if (failed) await announce(deps, failed, 'failed');
    return;
  }
  const { spkiFingerprint: _spki, ...cert } = captured.facts;
  const issued = { ...cert, requesterId: r.requester.userId, approvers: r.approvals.map((a) => a.userId) };
  await deps.store.saveIssued(id, issued);

  const d = deps.settings.delivery;
  const names = deliveryFileNames(r.kubernetesUsername, d.clusterName);
  // Not onceOnly: a crash mid-upload must not lose the delivery. One issue
  // job runs per request (deterministic job id), so only a crash repeats it,
  // and the chat adapter looks in the DM for the first delivery before sending.
  await deps.chat.deliver(
    { ...r, issued },
    {
      certificatePem,
      certificateFilename: names.certificate,
      kubeconfig: buildKubeconfig({
        clusterName: d.clusterName,
        serverUrl: d.serverUrl,
        caPem: d.caPem(),
        username: r.kubernetesUsername,
        certificatePem,
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
  // The inventory has the certificate's facts; the PEM was kept only to deliver it.
  const done = await deps.store.transition(id, ['approved'], 'issued', { issued, certificatePem: undefined });
  if (done) {
    deps.metrics?.requestEvent('issued');
    deps.metrics?.issuanceSeconds((deps.clock.now().getTime() - decidedAt) / 1000);
    await announceIssued(deps, done);
  }
  log.info({ serial: issued.serial, notAfter: issued.notAfter }, 'certificate delivered');
}
