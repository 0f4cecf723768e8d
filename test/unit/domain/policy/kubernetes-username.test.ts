import { describe, expect, it } from '@jest/globals';
import { kubernetesUsernameFor, parseUsernameMapping } from '../../../../src/domain/policy/index.js';

const jane = { id: 'U0JANE', username: 'jane.d', email: 'Jane.Doe@Example.com' };

describe('kubernetesUsernameFor', () => {
  it('uses the lowercased profile email by default', () => {
    expect(kubernetesUsernameFor(jane)).toBe('jane.doe@example.com');
    expect(kubernetesUsernameFor(jane, { kind: 'email' })).toBe('jane.doe@example.com');
  });

  it('can use the email local part or the Slack username', () => {
    expect(kubernetesUsernameFor(jane, { kind: 'email-local-part' })).toBe('jane.doe');
    expect(kubernetesUsernameFor(jane, { kind: 'slack-username' })).toBe('jane.d');
  });

  it('can use an explicit mapping by Slack id or email', () => {
    const mapping = parseUsernameMapping('{"U0JANE": "jdoe", "bob@example.com": "bob"}');
    expect(kubernetesUsernameFor(jane, { kind: 'mapping', mapping })).toBe('jdoe');
    expect(kubernetesUsernameFor({ id: 'U0BOB', email: 'Bob@Example.com' }, { kind: 'mapping', mapping })).toBe('bob');
  });

  it('explains what is missing', () => {
    expect(() => kubernetesUsernameFor({ id: 'U1' })).toThrow(expect.objectContaining({ code: 'USERNAME_NO_EMAIL' }));
    expect(() => kubernetesUsernameFor({ id: 'U1' }, { kind: 'slack-username' })).toThrow(expect.objectContaining({ code: 'USERNAME_NO_SLACK_NAME' }));
    expect(() => kubernetesUsernameFor({ id: 'U1' }, { kind: 'mapping', mapping: new Map() })).toThrow(
      expect.objectContaining({ code: 'USERNAME_NOT_MAPPED' }),
    );
  });

  it('never derives a system: username', () => {
    expect(() => kubernetesUsernameFor({ id: 'U1', username: 'system:admin' }, { kind: 'slack-username' })).toThrow(
      expect.objectContaining({ code: 'USERNAME_INVALID' }),
    );
  });
});

describe('parseUsernameMapping', () => {
  it('reads JSON, with or without a users key', () => {
    expect([...parseUsernameMapping('{"users": {"U0A": "a"}}')]).toEqual([['U0A', 'a']]);
    expect([...parseUsernameMapping('{"U0A": "a", "B@X.org": "b"}')]).toEqual([
      ['U0A', 'a'],
      ['b@x.org', 'b'],
    ]);
  });

  it('reads simple key: value lines with comments', () => {
    const m = parseUsernameMapping('# who is who\nusers:\n  U0A: alice\n  "bob@example.com": bob  # on-call\n\n');
    expect([...m]).toEqual([
      ['U0A', 'alice'],
      ['bob@example.com', 'bob'],
    ]);
  });

  it('lists every bad entry', () => {
    try {
      parseUsernameMapping('{"U0A": "system:admin", "nobody": "x", "U0B": 3}', 'users.json');
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toMatchObject({ code: 'USERNAME_MAPPING_INVALID' });
      const text = (e as Error).message;
      expect(text).toContain('system:admin');
      expect(text).toContain('nobody');
      expect(text).toContain('U0B');
    }
  });

  it('refuses invalid JSON', () => {
    expect(() => parseUsernameMapping('{oops')).toThrow(expect.objectContaining({ code: 'USERNAME_MAPPING_INVALID' }));
  });
});
