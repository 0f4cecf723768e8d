import { isCsrbotError } from '../domain/errors.js';
import type { CertificateRequest } from '../domain/lifecycle.js';
import type { Deps } from './deps.js';
import { onceOnly } from './once-only.js';

/** Slack's answers to chat.update that mean the card itself is gone (deleted, channel archived, bot removed): updating again cannot help. */
const CARD_GONE = new Set(['message_not_found', 'channel_not_found', 'not_in_channel', 'is_archived', 'cant_update_message']);

function cardGone(e: unknown): string | undefined {
  const error = isCsrbotError(e) && e.code === 'SLACK_API_ERROR' ? e.details.error : undefined;
  return typeof error === 'string' && CARD_GONE.has(error) ? error : undefined;
}

/**
 * Job: re-renders the card from the request as stored now. A card that is
 * gone is posted again and the admins are told why; any other failure throws
 * so the job retries on its own, away from the steps that matter.
 */
export async function processCard(deps: Deps, id: string): Promise<void> {
  const r = await deps.store.get(id);
  if (r) await renderLatest(deps, r);
}

/** Renders beyond this many changes in a row are left to whoever made the last change (it renders too). */
const MAX_RERENDERS = 3;

/**
 * Renders `r`, then renders again while the stored request moved on meanwhile.
 * Two renders of one card can race (a card job retrying an old state while the
 * next step renders the new one, or a job whose enqueue was dropped because a
 * card job with its id was running); Slack keeps whichever lands last, so the
 * last render must be of the latest state.
 */
async function renderLatest(deps: Deps, r: CertificateRequest): Promise<void> {
  let shown = r;
  for (let i = 0; ; i++) {
    await renderCard(deps, shown);
    const now = await deps.store.get(shown.id);
    if (!now || i >= MAX_RERENDERS || JSON.stringify(now) === JSON.stringify(shown)) return;
    shown = now;
  }
}

async function renderCard(deps: Deps, r: CertificateRequest): Promise<void> {
  try {
    await deps.chat.updateCard(r);
  } catch (e) {
    const gone = cardGone(e);
    if (!gone || !r.card) throw e;
    const old = r.card;
    const card = await deps.chat.postCard(r);
    await deps.store.update(r.id, { card });
    deps.log.warn({ requestId: r.id, old, card, error: gone }, 'approval card was gone; posted it again');
    await onceOnly(deps, r.id, `card-reposted-${old.ts}`, () =>
      deps.chat.tellAdmins(
        `:information_source: The card for request ${r.id} (${r.csrName}) could not be updated: Slack answered \`${gone}\` for the message at ${old.ts} in <#${old.channel}>. I posted it again here.`,
      ),
    );
  }
}

/**
 * Cosmetic: shows the request's current state on its card. Never throws, so
 * a card that cannot be updated never holds up a decision or a delivery; if
 * Slack refuses for a reason that may pass, a card job retries it.
 */
export async function refreshCard(deps: Deps, r: CertificateRequest): Promise<void> {
  try {
    await renderLatest(deps, r);
  } catch (err) {
    deps.log.warn({ err, requestId: r.id }, 'could not update the approval card; a card job retries it');
    await deps.jobs
      .enqueue('card', r.id)
      .catch((e: unknown) => deps.log.warn({ err: e, requestId: r.id }, 'could not queue the card job; the sweep re-renders it'));
  }
}
