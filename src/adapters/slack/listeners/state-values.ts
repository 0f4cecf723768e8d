import type { ViewStateValue } from '@slack/bolt';

/** Input values by action id, whatever block holds them (message inputs get generated block ids). */
export function stateValues(values: Record<string, Record<string, ViewStateValue>> | undefined): Record<string, ViewStateValue> {
  return Object.assign({}, ...Object.values(values ?? {})) as Record<string, ViewStateValue>;
}
