import { InMemoryCertificateInventory } from '../../../support/fakes/in-memory-certificate-inventory.js';
import { certificateInventoryContract } from '../../../support/contracts/certificate-inventory.contract.js';

certificateInventoryContract('InMemoryCertificateInventory', async () => ({ inventory: InMemoryCertificateInventory.create(), close: async () => {} }));
