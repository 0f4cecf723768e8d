// The CsrApi contract (also run against FakeCsrApi in test/unit) on the real
// control plane, as csrbot's least-privilege identity. Someone else's CSR and
// deletions come from the admin, as kubectl would.
import { CertificatesV1Api } from '@kubernetes/client-node';
import { KubernetesCsrApi } from '../../../src/adapters/kubernetes/index.js';
import { csrApiContract } from '../../support/contracts/csr-api.contract.js';
import { adminKubeConfig, csrbotKubeConfig } from '../../support/cluster/cluster.js';

csrApiContract('KubernetesCsrApi', async () => {
  const admin = adminKubeConfig().makeApiClient(CertificatesV1Api);
  return {
    api: KubernetesCsrApi.create(csrbotKubeConfig()),
    createUnmanaged: async (spec) => {
      await admin.createCertificateSigningRequest({
        body: {
          metadata: { name: spec.name, annotations: spec.annotations },
          spec: {
            request: Buffer.from(spec.csrPem).toString('base64'),
            signerName: spec.signerName,
            usages: spec.usages,
            expirationSeconds: spec.expirationSeconds,
          },
        },
      });
    },
    remove: async (name) => {
      await admin.deleteCertificateSigningRequest({ name });
    },
    // kube-controller-manager's signer issues approved kube-apiserver-client CSRs by itself.
    sign: async () => undefined,
    patienceMs: 30_000,
    close: async () => undefined,
  };
});
