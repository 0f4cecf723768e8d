import { TestPki } from '../../../support/fakes/test-pki.js';
import { csrApiContract } from '../../../support/contracts/csr-api.contract.js';
import { FakeCsrApi } from '../../../support/fakes/fake-csr-api.js';

csrApiContract('FakeCsrApi', async () => {
  const api = FakeCsrApi.create();
  const signer = TestPki.create();
  return {
    api,
    createUnmanaged: async (spec) => api.createUnmanaged(spec),
    remove: async (name) => api.remove(name),
    sign: async (name, csrPem) => api.issue(name, signer.sign(csrPem)),
    patienceMs: 1_000,
    close: async () => signer.cleanup(),
  };
});
