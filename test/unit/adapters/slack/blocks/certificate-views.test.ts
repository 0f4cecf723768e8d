/**
 * The views' builders against the emulator's Block Kit validator, with 0 and
 * 50 certificates and names at Slack's length limits: whatever does not fit
 * is counted, never sent for Slack to refuse.
 */
import { describe, expect, it } from '@jest/globals';
import {
  certificateStatus,
  holdersMessage,
  homeView,
  listMessage,
  pendingMessage,
  relative,
  statusMessage,
} from '../../../../../src/adapters/slack/blocks/certificate-views.js';
import { Actions } from '../../../../../src/adapters/slack/ids.js';
import type { CertificateRecord } from '../../../../../src/domain/inventory.js';
import type { CertificateRequest } from '../../../../../src/domain/lifecycle.js';
import type { HomeContent, QueuedRequest } from '../../../../../src/ports.js';
import { validateMessage, validateView } from '@csrbot/slack-emulator';
import { aCertificateRecord } from '../../../../support/contracts/certificate-inventory.contract.js';
import { aRequest } from '../../../../support/contracts/request-store.contract.js';

const now = new Date('2025-06-01T12:00:00.000Z');
const NASTY = '<!channel> & <@U0ADMIN> `tick`';
// Longer than any Slack limit a name could reach (section 3000, header 150, button 75).
const HUGE = `${NASTY}${'ü'.repeat(4000)}`;

const certs = (n: number, over: Partial<CertificateRecord> = {}) =>
  Array.from({ length: n }, (_, i) =>
    aCertificateRecord({ requesterId: 'UJANE', notAfter: new Date(now.getTime() + (i - 2) * 3600_000).toISOString(), ...over }),
  );
const requests = (n: number, over: Partial<CertificateRequest> = {}) =>
  Array.from({ length: n }, () => aRequest({ createdAt: '2025-06-01T10:00:00.000Z', ...over }));
const queued = (rs: CertificateRequest[]): QueuedRequest[] =>
  rs.map((request, i) => ({ request, ...(i % 2 ? { cardLink: `https://t.slack.com/archives/C1/p170000000000000${i}` } : {}) }));

const hostile = {
  username: HUGE,
  subject: `CN=${HUGE}`,
  groups: Array.from({ length: 30 }, () => HUGE.slice(0, 300)),
  serial: 'ab'.repeat(64),
};

function home(over: Partial<HomeContent> = {}): HomeContent {
  return { now, certificates: { items: [], total: 0 }, requests: { items: [], total: 0 }, ...over };
}

const allText = (x: unknown) => JSON.stringify(x);

describe('certificate views', () => {
  it.each([
    ['0 certificates', certs(0), requests(0)],
    ['50 certificates and 50 requests', certs(50), requests(50)],
    ['names at the length limits', certs(50, hostile), requests(50, { kubernetesUsername: HUGE })],
  ])('/cert list with %s passes the Block Kit checks', (_name, cs, rs) => {
    const m = listMessage({ now, certificates: cs, requests: rs });
    expect(validateMessage(m)).toEqual([]);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    if (cs.length === 50) {
      expect(allText(m)).toContain('and 30 more');
      expect(allText(m)).toContain('and 40 more');
    }
    expect(allText(m)).not.toContain('<!channel>');
  });

  it('/cert list with nothing says how to get a certificate', () => {
    const m = listMessage({ now, certificates: [], requests: [] });
    expect(allText(m)).toContain('/cert request');
    expect(allText(m)).toContain('None waiting');
  });

  it('offers Renew only on active certificates, with the serial as its value', () => {
    const [active, renewed] = [aCertificateRecord({ requesterId: 'UJANE', notAfter: '2025-06-02T00:00:00.000Z' }), aCertificateRecord({ status: 'renewed' })];
    const m = listMessage({ now, certificates: [active!, renewed!], requests: [] });
    const buttons = m.blocks.flatMap((b) => (b.type === 'section' && b.accessory?.type === 'button' ? [b.accessory] : []));
    expect(buttons).toEqual([expect.objectContaining({ action_id: Actions.renew, value: active!.serial })]);
    expect(certificateStatus(renewed!, now)).toBe('renewed');
    expect(certificateStatus(aCertificateRecord({ notAfter: '2025-06-01T11:00:00.000Z' }), now)).toBe('expired');
  });

  it.each([
    ['0', home()],
    [
      '50 of each, as an admin',
      home({
        certificates: { items: certs(50), total: 50 },
        requests: { items: requests(50), total: 50 },
        admin: { queue: { items: queued(requests(20)), total: 75 } },
      }),
    ],
    [
      'names at the length limits, as an admin',
      home({
        certificates: { items: certs(50, hostile), total: 50 },
        requests: { items: requests(50, { kubernetesUsername: HUGE }), total: 50 },
        admin: { queue: { items: queued(requests(20, { kubernetesUsername: HUGE, csr: { ...aRequest().csr, groups: hostile.groups } })), total: 20 } },
      }),
    ],
  ])('the App Home with %s passes the Block Kit checks', (_name, h) => {
    const v = homeView(h);
    expect(validateView(v)).toEqual([]);
    expect(v.blocks.length).toBeLessThanOrEqual(100);
    expect(allText(v)).not.toContain('<!channel>');
  });

  it('shows the admin queue only when given one, with links to the cards', () => {
    expect(allText(homeView(home()))).not.toContain('Admin:');
    const v = homeView(home({ admin: { queue: { items: queued(requests(2)), total: 2 } } }));
    expect(allText(v)).toContain('Admin: requests waiting');
    expect(allText(v)).toContain('|open the card>');
    expect(allText(homeView(home({ admin: { queue: { items: [], total: 0 } } })))).toContain('Nothing is waiting');
  });

  it('/cert pending and /cert holders pass the checks at 0, 50 and hostile sizes, and count the rest', () => {
    for (const q of [queued([]), queued(requests(20)), queued(requests(20, { kubernetesUsername: HUGE }))]) {
      const m = pendingMessage({ now, queue: { items: q, total: q.length + 30 } });
      expect(validateMessage(m)).toEqual([]);
      if (q.length) expect(allText(m)).toContain('and 30 more');
    }
    for (const hs of [certs(0), certs(40), certs(40, hostile)]) {
      const m = holdersMessage({ now, holders: { items: hs, total: hs.length, ...(hs.length ? { atLeast: true } : {}) } });
      expect(validateMessage(m)).toEqual([]);
    }
    expect(allText(holdersMessage({ now, holders: { items: certs(40), total: 2000, atLeast: true } }))).toContain('and at least 1960 more');
    // Holders show who holds each one, and no Renew buttons (admins view; holders act).
    const m = holdersMessage({ now, holders: { items: certs(1), total: 1 } });
    expect(allText(m)).toContain('<@UJANE>');
    expect(allText(m)).not.toContain(Actions.renew);
  });

  it('/cert status shows Renew to the holder only', () => {
    const c = aCertificateRecord({ requesterId: 'UJANE', notAfter: '2025-06-02T00:00:00.000Z', ...hostile });
    const r = aRequest({
      requester: { ...aRequest().requester, userId: 'UJANE' },
      kubernetesUsername: HUGE,
      decision: { by: [], outside: 'kubectl', at: now.toISOString(), reason: HUGE },
    });
    const holder = statusMessage({ now, certificate: c, request: r, viewer: 'UJANE' });
    const admin = statusMessage({ now, certificate: c, request: r, viewer: 'UALICE' });
    expect(validateMessage(holder)).toEqual([]);
    expect(validateMessage(admin)).toEqual([]);
    expect(allText(holder)).toContain(Actions.renew);
    expect(allText(admin)).not.toContain(Actions.renew);
    expect(validateMessage(statusMessage({ now, request: r, viewer: 'UJANE' }))).toEqual([]);
  });

  it('writes times for the reader: relative, and in their own time zone via Slack date tokens', () => {
    expect(relative('2025-06-01T17:00:00.000Z', now)).toBe('in 5 h');
    expect(relative('2025-05-29T12:00:00.000Z', now)).toBe('3 d ago');
    const m = listMessage({ now, certificates: certs(1), requests: [] });
    expect(allText(m)).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|2025-/);
  });
});
