import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { manifestBotScopes, parseManifestBotScopes } from '../../../src/preflight/manifest-scopes.js';

describe('the scopes manifest.yml asks for', () => {
  it('are read from the real manifest, including the ones the admin channel check needs', () => {
    const scopes = manifestBotScopes();
    expect(scopes).toEqual(
      expect.arrayContaining(['chat:write', 'commands', 'im:history', 'users:read.email', 'usergroups:read', 'channels:read', 'groups:read']),
    );
    // Every "- scope" line under oauth_config.scopes.bot, nothing else.
    const text = readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8');
    const block = text.slice(text.indexOf('    bot:'), text.indexOf('settings:'));
    expect(scopes).toHaveLength((block.match(/^\s+- [a-z]/gm) ?? []).length);
  });

  it('reads block lists with comments, quotes, and a list at the key indentation', () => {
    const text = [
      'display_information:',
      '  name: x # bot: not this',
      'oauth_config:',
      '  redirect_urls:',
      '    - https://example.com/bot',
      '  scopes:',
      '    user:',
      '      - search:read',
      '    bot:',
      '    - chat:write   # why',
      "    - 'commands'",
      '',
      '    - "users:read"',
      '  other: 1',
      'settings:',
      '  bot:',
      '    - not-a-scope',
    ].join('\n');
    expect(parseManifestBotScopes(text)).toEqual(['chat:write', 'commands', 'users:read']);
  });

  it('reads the flow form, and refuses a manifest without bot scopes', () => {
    expect(parseManifestBotScopes('oauth_config:\n  scopes:\n    bot: [chat:write, "commands"]\n')).toEqual(['chat:write', 'commands']);
    expect(() => parseManifestBotScopes('oauth_config:\n  scopes:\n    user:\n      - x\n')).toThrow('no oauth_config.scopes.bot list');
  });
});
