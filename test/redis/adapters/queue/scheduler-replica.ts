/**
 * A scheduler replica as its own process, for the kill test in
 * scheduler.test.ts: its one task announces itself on stdout and then hangs,
 * so a SIGKILL leaves the task active with a lock nobody renews.
 * argv: redis URL, prefix, queue name, lock ms, stalled-check ms.
 */
import { startScheduler } from '../../../../src/adapters/queue/scheduler.js';
import { createLogger } from '../../../../src/log/logger.js';

const [url, prefix, queueName, lockMs, stalledMs] = process.argv.slice(2);
if (!url || !prefix || !queueName || !lockMs || !stalledMs) throw new Error('usage: scheduler-replica <url> <prefix> <queue> <lockMs> <stalledMs>');
startScheduler({
  connection: url,
  workerConnection: url,
  prefix,
  queueName,
  log: createLogger({ level: 'silent' }),
  lockDurationMs: Number(lockMs),
  stalledIntervalMs: Number(stalledMs),
  tasks: [
    {
      name: 'sweep',
      everyMs: 60_000,
      run: () => {
        process.stdout.write('task started\n');
        return new Promise(() => undefined);
      },
    },
  ],
});
