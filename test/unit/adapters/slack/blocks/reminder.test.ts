import { describe, expect, it } from '@jest/globals';
import { reminderMessage, timeIn } from '../../../../../src/adapters/slack/blocks/reminder.js';
import { approvalCard } from '../../../../../src/adapters/slack/blocks/approval-card.js';
import { Actions } from '../../../../../src/adapters/slack/ids.js';
import type { ReminderNotice } from '../../../../../src/ports.js';
import { validateMessage } from '../../../../support/slack-emulator/index.js';
import { aCertificateRecord } from '../../../../support/contracts/certificate-inventory.contract.js';
import { aRequest } from '../../../../support/contracts/request-store.contract.js';

const NASTY = '<script>alert(1)</script> & <!channel> <@U0ADMIN>';

function notice(over: Partial<ReminderNotice> = {}, cert = {}): ReminderNotice {
  return {
    certificate: aCertificateRecord({ serial: '5f00aa', subject: 'CN=jane, O=developers', notAfter: '2026-03-01T12:00:00.000Z', ...cert }),
    step: 'at-67pct',
    clusterName: 'prod-eu',
    timeZone: 'Europe/Amsterdam',
    expired: false,
    ...over,
  };
}

describe('reminderMessage', () => {
  it('names subject, cluster, serial and the expiry in the holder’s time zone, with three buttons carrying the serial', () => {
    const m = reminderMessage(notice());
    expect(validateMessage(m)).toEqual([]);
    const json = JSON.stringify(m.blocks);
    expect(json).toContain('CN=jane, O=developers');
    expect(json).toContain('prod-eu');
    expect(json).toContain('5f00aa');
    expect(json).toContain('1 Mar 2026, 13:00 CET');
    const actions = m.blocks.find((b) => b.type === 'actions');
    expect(actions && 'elements' in actions ? actions.elements.map((e) => ['action_id' in e ? e.action_id : '', 'value' in e ? e.value : '']) : []).toEqual([
      [Actions.renew, '5f00aa'],
      [Actions.snooze, '5f00aa'],
      [Actions.dismiss, '5f00aa'],
    ]);
  });

  it('after expiry: says expired and offers no snooze', () => {
    const m = reminderMessage(notice({ expired: true, step: 'expiry' }));
    expect(validateMessage(m)).toEqual([]);
    expect(m.text).toMatch(/^Expired/);
    expect(JSON.stringify(m.blocks)).not.toContain(Actions.snooze);
  });

  it('hostile and maximal input stays valid Block Kit and escaped', () => {
    const long = `${NASTY}${'x'.repeat(5000)}`;
    const m = reminderMessage(notice({ clusterName: long }, { subject: long, username: long, serial: 'f'.repeat(128) }));
    expect(validateMessage(m)).toEqual([]);
    expect(JSON.stringify(m.blocks)).not.toContain('<!channel>');
  });

  it('an unknown time zone falls back to UTC', () => {
    expect(timeIn('2026-03-01T12:00:00.000Z', 'Mars/Olympus')).toBe('1 Mar 2026, 12:00 UTC');
    expect(timeIn('2026-03-01T12:00:00.000Z', undefined)).toBe('1 Mar 2026, 12:00 UTC');
  });
});

describe('approvalCard for a renewal', () => {
  it('says renewal of <serial>, and an automatic one shows no buttons', () => {
    const pending = approvalCard(aRequest({ renewalOf: '5f00aa' }));
    expect(validateMessage(pending)).toEqual([]);
    expect(JSON.stringify(pending.blocks)).toContain('Renewal of:* `5f00aa`');
    const auto = approvalCard(
      aRequest({ renewalOf: '5f00aa', state: 'approving', decision: { by: [], auto: 'RENEWAL_AUTO_APPROVE: same key', at: '2026-01-01T00:00:00.000Z' } }),
    );
    expect(validateMessage(auto)).toEqual([]);
    expect(auto.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(auto.blocks)).toContain('csrbot (automatic renewal: RENEWAL_AUTO_APPROVE: same key)');
  });
});
