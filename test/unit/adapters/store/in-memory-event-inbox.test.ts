import { InMemoryEventInbox } from '../../../support/fakes/in-memory-event-inbox.js';
import { eventInboxContract } from '../../../support/contracts/event-inbox.contract.js';

eventInboxContract('InMemoryEventInbox', async () => ({ inbox: InMemoryEventInbox.create(), close: async () => {} }));
