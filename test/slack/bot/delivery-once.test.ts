// Issue 11, item 7: the certificate DM goes out once. The issue job delivers
// before it records the request as issued, so a crash in between runs the
// delivery again; SlackChat.deliver then finds the first one in the DM.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackChat } from '../../../src/adapters/slack/slack-chat.js';
import { SlackEmulator, type UserDriver } from '@csrbot/slack-emulator';
import { aRequest } from '../../support/contracts/request-store.contract.js';
import { webClient } from '../emulator/helpers.js';
import type { DeliveredFiles } from '../../../src/ports.js';

const files: DeliveredFiles = {
  certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  certificateFilename: 'jane@prod.crt',
  kubeconfig: 'apiVersion: v1\nkind: Config\n',
  kubeconfigFilename: 'jane@prod.kubeconfig',
  instructions: 'Save both files next to jane.key.',
};

describe('certificate DM: once, not at least once', () => {
  let emu: SlackEmulator;
  let jane: UserDriver;
  let chat: SlackChat;
  beforeAll(async () => {
    emu = await SlackEmulator.start();
    jane = emu.addUser({ name: 'jane' });
    chat = SlackChat.create({ client: webClient(emu), adminChannel: emu.adminChannelId, botToken: emu.botToken });
  });
  afterAll(async () => {
    await emu.stop();
  });

  const withFiles = () => jane.dms().filter((m) => (m.files ?? []).length > 0);

  it('delivering again after a crash (same request) sends nothing more; another request of the same user still gets its own', async () => {
    const r = aRequest({ id: 'req-once-1', requester: { userId: jane.id, teamId: 'T01', name: 'jane' } });
    delete r.dmChannel;
    await chat.deliver(r, files);
    await chat.deliver(r, files); // the repeat a crash between delivery and recording causes
    expect(withFiles()).toHaveLength(1);
    expect(
      withFiles()[0]!
        .files!.map((f) => f.name)
        .sort(),
    ).toEqual(['jane@prod.crt', 'jane@prod.kubeconfig']);

    await chat.deliver({ ...r, id: 'req-once-2' }, files);
    expect(withFiles()).toHaveLength(2);
  });
});
