import { describe, expect, it } from '@jest/globals';
import { InMemoryJobs } from '../../../support/fakes/in-memory-jobs.js';

describe('InMemoryJobs', () => {
  it('records each (kind, request) once and runs jobs the handlers enqueue', async () => {
    const jobs = InMemoryJobs.create();
    await jobs.enqueue('submit', 'r1');
    await jobs.enqueue('submit', 'r1');
    const ran = await jobs.runAll({ submit: async (id) => jobs.enqueue('issue', id), issue: async () => {} });
    expect(ran).toEqual([
      { kind: 'submit', requestId: 'r1' },
      { kind: 'issue', requestId: 'r1' },
    ]);
    await jobs.enqueue('submit', 'r1');
    expect(jobs.pending).toEqual([]);
    expect(jobs.enqueued).toHaveLength(2);
  });

  it('leaves a failed job pending so the next runAll retries it', async () => {
    const jobs = InMemoryJobs.create();
    await jobs.enqueue('approve', 'r2');
    const seen: number[] = [];
    const handler = async (): Promise<void> => {
      seen.push(seen.length);
      if (seen.length === 1) throw new Error('cluster down');
    };
    await expect(jobs.runAll({ approve: handler })).rejects.toThrow('cluster down');
    expect(jobs.pending).toEqual([{ kind: 'approve', requestId: 'r2' }]);
    await jobs.runAll({ approve: handler });
    expect(seen).toEqual([0, 1]);
    await expect(jobs.runAll({})).resolves.toEqual([]);
  });
});
