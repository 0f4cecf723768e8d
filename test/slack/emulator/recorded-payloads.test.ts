/**
 * The emulator's payloads held against Slack's own documented examples
 * (packages/slack-emulator/fixtures/slack-docs, sources in the README there).
 * Everything is caught on the wire, as an HTTP-mode app receives it: the
 * emulator POSTs to a plain server here, which decodes the body the way
 * Slack encodes it (JSON for events, form fields for commands, a form
 * `payload` for interactions). At every path Bolt or our listeners read, the
 * emulator's value has the same type as Slack's; and the objects those paths
 * live in carry Slack's keys, except the few named below with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SlackEmulator, type View } from '@csrbot/slack-emulator';
import { webClient } from './helpers.js';

const FIXTURES = join(process.cwd(), 'packages', 'slack-emulator', 'fixtures', 'slack-docs');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/** What every interaction payload carries, and Bolt reads (user.id for the listener, team.id for the installation). */
const INTERACTION_PATHS = ['type', 'team.id', 'team.domain', 'user.id', 'user.username', 'user.team_id', 'api_app_id', 'token'];

type Kind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' | 'absent';

function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function kindOf(v: unknown): Kind {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Kind;
}

/** `path: kind` for each path, so a mismatch names the path. */
const kinds = (value: unknown, paths: string[]): string[] => paths.map((p) => `${p}: ${kindOf(at(value, p))}`);

/** Keys of Slack's object at `path` that the emulator's object lacks, less the ones `notEmulated` names. */
function missingKeys(slack: unknown, emulated: unknown, path: string, notEmulated: string[] = []): string[] {
  const s = path ? at(slack, path) : slack;
  const e = path ? at(emulated, path) : emulated;
  expect(kindOf(s)).toBe('object');
  expect(kindOf(e)).toBe('object');
  return Object.keys(s as object).filter((k) => !(k in (e as object)) && !notEmulated.includes(k));
}

describe("the emulator's payloads have the shapes of Slack's documented examples", () => {
  let emu: SlackEmulator;
  let server: Server;
  const received: { type: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    emu = await SlackEmulator.start({ users: [{ name: 'jane', email: 'jane@example.com' }] });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (req.headers['content-type'] === 'application/json') {
          const body = JSON.parse(raw) as Record<string, unknown>;
          received.push({ type: 'event', body });
        } else {
          const form = Object.fromEntries(new URLSearchParams(raw));
          if (form.payload !== undefined) received.push({ type: 'interaction', body: JSON.parse(form.payload) as Record<string, unknown> });
          else received.push({ type: 'command', body: form });
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    emu.deliverTo(`http://127.0.0.1:${port}/slack/events`);
  });

  afterAll(async () => {
    await emu.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const lastOf = (type: string, pred: (b: Record<string, unknown>) => boolean): Record<string, unknown> => {
    const hit = received.filter((r) => r.type === type && pred(r.body)).at(-1);
    if (!hit) throw new Error(`no ${type} received; got ${received.map((r) => r.type).join(', ')}`);
    return hit.body;
  };

  it('a slash command: the same form fields, all strings', async () => {
    const slack = Object.fromEntries(new URLSearchParams(readFileSync(join(FIXTURES, 'slash_command.form.txt'), 'utf8').trim()));
    const res = await emu.user('jane').slash('/cert', 'request');
    expect(res.acked).toBe(true);
    const emulated = lastOf('command', (b) => b.command === '/cert');
    // Enterprise Grid is not emulated (the README says so): no enterprise_id/enterprise_name.
    expect(Object.keys(slack).filter((k) => !(k in emulated) && !['enterprise_id', 'enterprise_name'].includes(k))).toEqual([]);
    for (const [k, v] of Object.entries(emulated)) expect(`${k}: ${typeof v}`).toBe(`${k}: string`);
    expect(emulated.text).toBe('request');
    expect(emulated.response_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/commands\//);
  });

  it('a DM to the bot: the event_callback envelope', async () => {
    const slack = fixture('message.im.envelope.json');
    await emu.user('jane').dm(emu.bot).say('Hello hello can you hear me?');
    const emulated = await emu.waitFor(
      () => received.find((r) => r.type === 'event' && at(r.body, 'event.text') === 'Hello hello can you hear me?')?.body,
      'the message.im event',
    );
    const paths = [
      'token',
      'team_id',
      'api_app_id',
      'type',
      'event_id',
      'event_time',
      'event.type',
      'event.channel',
      'event.user',
      'event.text',
      'event.ts',
      'event.event_ts',
      'event.channel_type',
    ];
    expect(kinds(emulated, paths)).toEqual(kinds(slack, paths));
    // authed_teams is deprecated; Slack sends authorizations instead, and so does the emulator.
    expect(missingKeys(slack, emulated, '', ['authed_teams'])).toEqual([]);
    expect(missingKeys(slack, emulated, 'event')).toEqual([]);
  });

  it('a file uploaded into the DM: a message event with files, as dm-intake reads it', async () => {
    const slack = fixture('message.file_share.event.json');
    await emu.user('jane').dm(emu.bot).upload('jane.csr', '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n');
    const envelope = await emu.waitFor(
      () => received.find((r) => r.type === 'event' && Array.isArray(at(r.body, 'event.files')))?.body,
      'the file_share event',
    );
    const emulated = at(envelope, 'event');
    const paths = [
      'type',
      'text',
      'user',
      'upload',
      'display_as_bot',
      'bot_id',
      'ts',
      'channel',
      'event_ts',
      'channel_type',
      'files',
      'files.0.id',
      'files.0.name',
      'files.0.size',
      'files.0.mimetype',
      'files.0.url_private',
      'files.0.url_private_download',
    ];
    expect(kinds(emulated, paths)).toEqual(kinds(slack, paths));
    expect(at(emulated, 'subtype')).toBe('file_share');
    expect(missingKeys(slack, emulated, '')).toEqual([]);
    // Thumbnails and previews belong to images; a CSR is plain text. Public links are never made.
    const imageOnly = ['thumb_64', 'thumb_80', 'thumb_360', 'thumb_360_w', 'thumb_360_h', 'thumb_480', 'thumb_480_w', 'thumb_480_h', 'thumb_160'];
    const more = ['image_exif_rotation', 'original_w', 'original_h', 'pjpeg', 'has_rich_preview', 'permalink_public'];
    expect(missingKeys(slack, emulated, 'files.0', [...imageOnly, ...more])).toEqual([]);
  });

  it('a button click in a message: block_actions', async () => {
    const slack = fixture('block_actions.json');
    const jane = emu.user('jane');
    const card = emu.postBotMessage(emu.dmWith('jane'), {
      text: 'A new request is waiting.',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'A new request is waiting.' },
          accessory: { type: 'button', action_id: 'view', text: { type: 'plain_text', text: 'View' }, value: 'click_me_123' },
        },
      ],
    });
    const click = await jane.click(card, 'view');
    expect(click.acked).toBe(true);
    const emulated = lastOf('interaction', (b) => b.type === 'block_actions');
    const paths = [
      ...INTERACTION_PATHS,
      'container.type',
      'container.message_ts',
      'container.channel_id',
      'container.is_ephemeral',
      'trigger_id',
      'channel.id',
      'channel.name',
      'message.ts',
      'message.text',
      'message.user',
      'message.bot_id',
      'message.blocks',
      'state.values',
      'response_url',
      'actions',
      'actions.0.action_id',
      'actions.0.block_id',
      'actions.0.type',
      'actions.0.value',
      'actions.0.action_ts',
      'actions.0.text.text',
    ];
    expect(kinds(emulated, paths)).toEqual(kinds(slack, paths));
    for (const path of ['', 'team', 'user', 'container', 'channel', 'actions.0'])
      expect(`${path}: ${missingKeys(slack, emulated, path).join(',')}`).toBe(`${path}: `);
  });

  it('a modal submitted: view_submission', async () => {
    const slack = fixture('view_submission.json');
    const jane = emu.user('jane');
    const view = (slack.view as Record<string, unknown>) ?? {};
    const {
      id: _id,
      team_id: _t,
      state: _s,
      hash: _h,
      root_view_id: _r,
      previous_view_id: _p,
      app_id: _a,
      app_installed_team_id: _i,
      bot_id: _b,
      ...input
    } = view;
    await webClient(emu).views.open({ trigger_id: emu.issueTrigger(jane.id), view: input as never });
    const open = await jane.waitForView((v: View) => v.callback_id === 'modal-with-inputs');
    const submitted = await jane.submitView(open, { 'ml-value': 'This is my example inputted value' });
    expect(submitted.acked).toBe(true);
    const emulated = lastOf('interaction', (b) => b.type === 'view_submission');
    const paths = [
      ...INTERACTION_PATHS,
      'trigger_id',
      'response_urls',
      'view.id',
      'view.type',
      'view.callback_id',
      'view.private_metadata',
      'view.hash',
      'view.state.values',
      'view.state.values.multi-line.ml-value.type',
      'view.state.values.multi-line.ml-value.value',
      'view.root_view_id',
      'view.previous_view_id',
      'view.app_id',
      'view.bot_id',
    ];
    expect(kinds(emulated, paths)).toEqual(kinds(slack, paths));
    expect(at(emulated, 'view.state.values.multi-line.ml-value.value')).toBe('This is my example inputted value');
    for (const path of ['', 'team', 'user', 'view']) expect(`${path}: ${missingKeys(slack, emulated, path).join(',')}`).toBe(`${path}: `);
  });

  it('the Home tab opened: app_home_opened with the published view', async () => {
    const slack = fixture('app_home_opened.event.json');
    const jane = emu.user('jane');
    await webClient(emu).views.publish({
      user_id: jane.id,
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Your certificates' } }] },
    });
    await jane.openHome();
    const envelope = await emu.waitFor(
      () => received.find((r) => r.type === 'event' && at(r.body, 'event.type') === 'app_home_opened')?.body,
      'app_home_opened',
    );
    const emulated = at(envelope, 'event');
    const paths = [
      'type',
      'user',
      'channel',
      'event_ts',
      'tab',
      'view.id',
      'view.team_id',
      'view.type',
      'view.blocks',
      'view.hash',
      'view.root_view_id',
      'view.app_id',
      'view.bot_id',
    ];
    expect(kinds(emulated, paths)).toEqual(kinds(slack, paths));
    expect(missingKeys(slack, emulated, '')).toEqual([]);
    expect(missingKeys(slack, emulated, 'view')).toEqual([]);
  });
});
