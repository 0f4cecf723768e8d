import type { Deps } from '../../../app/deps.js';
import type { IntakeDeps } from '../../../app/intake.js';
import type { DraftStore } from '../../../ports.js';

/** What the flow listeners need: the use cases' deps plus Slack-side settings. */
export interface FlowContext {
  deps: Deps;
  intake: IntakeDeps;
  drafts: DraftStore;
  /** For url_private_download, which Slack serves only with the bot token. */
  botToken: string;
}
