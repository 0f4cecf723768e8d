import { describe, expect, it } from '@jest/globals';
import { textForRequester } from '../../../../src/adapters/slack/text-for-requester.js';
import { CsrbotError } from '../../../../src/domain/errors.js';

describe('textForRequester', () => {
  it('never passes on a raw error message, which may name internals', () => {
    const text = textForRequester(new Error('connect ECONNREFUSED 10.0.0.7:6379 (redis://:hunter2@cache)'));
    expect(text).not.toContain('10.0.0.7');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('admins can see the details');
  });
  it('gives a coded error the text the table allows a requester', () => {
    expect(textForRequester(new CsrbotError('CLUSTER_UNREACHABLE', { server: 'https://10.0.0.1:6443' }))).toBe(
      'The Kubernetes cluster is not answering csrbot right now. Your request is kept, and csrbot keeps trying.',
    );
    expect(textForRequester(new CsrbotError('REQUEST_NOT_FOUND', { id: 'r1' }))).toContain('no request r1');
  });
});
