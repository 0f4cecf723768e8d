/**
 * Every identifier Slack echoes back to us, in one place: the slash command,
 * action_ids on buttons, callback_ids on modals. Listeners and block builders
 * both import from here, so a rename cannot leave one side behind.
 */
export const COMMAND = '/cert';

export const Actions = {
  submitRequest: 'csrbot_submit_request',
  lifetime: 'csrbot_lifetime',
  reason: 'csrbot_reason',
  approve: 'csrbot_approve',
  deny: 'csrbot_deny',
  /** On a certificate in /cert list, /cert status, the App Home (and the reminder DM): value = serial. */
  renew: 'csrbot_renew',
  snooze: 'csrbot_snooze',
  dismiss: 'csrbot_dismiss',
} as const;

export const Views = {
  request: 'csrbot_request_modal',
  deny: 'csrbot_deny_modal',
} as const;

/** block_id / action_id pairs of modal inputs (view.state.values[block][action]). */
export const Inputs = {
  csr: { block: 'csr_block', action: 'csr_input' },
  lifetime: { block: 'lifetime_block', action: 'lifetime_select' },
  reason: { block: 'reason_block', action: 'reason_input' },
  denyReason: { block: 'deny_reason_block', action: 'deny_reason_input' },
} as const;
