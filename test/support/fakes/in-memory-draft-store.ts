import { containsPrivateKey } from '../../../src/domain/private-key.js';
import type { Draft, DraftStore } from '../../../src/ports.js';

/** Drafts in memory, with the Redis store's rules: put-if-absent, and never a private key. */
export class InMemoryDraftStore implements DraftStore {
  readonly drafts = new Map<string, Draft>();

  static create(): InMemoryDraftStore {
    return new InMemoryDraftStore();
  }

  async put(id: string, draft: Draft): Promise<boolean> {
    if (containsPrivateKey(JSON.stringify(draft))) throw new Error('refusing to store private key material');
    if (this.drafts.has(id)) return false;
    this.drafts.set(id, structuredClone(draft));
    return true;
  }

  async get(id: string): Promise<Draft | undefined> {
    const d = this.drafts.get(id);
    return d && structuredClone(d);
  }
}
