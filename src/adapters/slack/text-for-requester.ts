import { describeFor, isCsrbotError } from '../../domain/errors.js';

/** What a person in Slack may read about an error: the table's text for a coded one; never a raw message, which may name internals. */
export function textForRequester(err: unknown): string {
  if (isCsrbotError(err)) return describeFor('requester', err.code, err.details);
  return 'something went wrong on csrbot’s side. The admins can see the details in its log; try again in a minute.';
}
