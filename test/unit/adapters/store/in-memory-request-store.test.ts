import { InMemoryRequestStore } from '../../../support/fakes/in-memory-request-store.js';
import { requestStoreContract } from './request-store.contract.js';

requestStoreContract('InMemoryRequestStore', async () => ({ store: InMemoryRequestStore.create(), close: async () => {} }));
