import { InMemoryRequestStore } from '../../../support/fakes/in-memory-request-store.js';
import { requestStoreContract } from '../../../support/contracts/request-store.contract.js';

requestStoreContract('InMemoryRequestStore', async () => ({ store: InMemoryRequestStore.create(), close: async () => {} }));
