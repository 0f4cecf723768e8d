import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { UndoStack } from '../../../src/lifecycle/undo-stack.js';
import { createLogger } from '../../../src/log/logger.js';

describe('UndoStack', () => {
  it('undoes newest first, once; a hung step is cut at its deadline and a failing one is logged, and the rest still run', async () => {
    const lines: string[] = [];
    const log = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
    const undo = new UndoStack(log, 50);
    const done: string[] = [];
    undo.push('redis', () => done.push('redis'));
    undo.push('worker', () => new Promise(() => undefined));
    undo.push('app', () => {
      throw new Error('already stopped');
    });
    undo.push('ops', async () => void done.push('ops'));
    const started = Date.now();
    await undo.run();
    await undo.run();
    expect(done).toEqual(['ops', 'redis']);
    expect(Date.now() - started).toBeLessThan(1_000);
    const logged = lines.join('');
    expect(logged).toContain('"step":"worker","ms":50,"msg":"a shutdown step did not finish in time; going on"');
    expect(logged).toMatch(/"message":"already stopped".*"step":"app","msg":"error while stopping"/);
  });
});
