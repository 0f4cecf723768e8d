import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../../log/logger.js';

const toPino: Record<LogLevel, 'debug' | 'info' | 'warn' | 'error'> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/** Bolt and its clients log through our pino logger, so their lines are scrubbed and structured too. */
export function boltLogger(log: Logger): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const child = log.child({ component: 'bolt' });
  const emit =
    (l: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      const [first, ...rest] = msg;
      if (first instanceof Error) child[l]({ err: first, extra: rest }, first.message);
      else child[l](rest.length > 0 ? { extra: rest } : {}, String(first));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    setLevel: (l: LogLevel) => {
      level = l;
      child.level = toPino[l];
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
