import { CertificatesV1Api, type KubeConfig } from '@kubernetes/client-node';

/**
 * `kubectl certificate approve|deny` as kubectl does it (pkg/cmd/certificates):
 * GET the CSR, append the condition kubectl writes, PUT /approval, and on a
 * 409 start again. Resolves with false when the CSR was already decided (kubectl
 * then says so and changes nothing) or is gone.
 */
export async function kubectlDecide(admin: KubeConfig, name: string, decision: 'approve' | 'deny'): Promise<boolean> {
  const api = admin.makeApiClient(CertificatesV1Api);
  const type = decision === 'approve' ? 'Approved' : 'Denied';
  for (let attempt = 0; attempt < 20; attempt++) {
    let csr;
    try {
      csr = await api.readCertificateSigningRequest({ name });
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
    const conditions = csr.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Approved' || c.type === 'Denied')) return false;
    const now = new Date();
    csr.status = {
      ...csr.status,
      conditions: [
        ...conditions,
        {
          type,
          status: 'True',
          reason: decision === 'approve' ? 'KubectlApprove' : 'KubectlDeny',
          message: `This CSR was ${decision === 'approve' ? 'approved' : 'denied'} by kubectl certificate ${decision}.`,
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
      ],
    };
    try {
      await api.replaceCertificateSigningRequestApproval({ name, body: csr });
      return true;
    } catch (e) {
      if (status(e) === 409) continue;
      if (status(e) === 404) return false;
      throw e;
    }
  }
  throw new Error(`kubectl certificate ${decision} ${name}: 20 conflicts in a row`);
}

function status(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
