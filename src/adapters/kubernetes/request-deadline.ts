import { Observable } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';

/**
 * Per-call options that give every request a deadline: a hung API server
 * must not hang a job, a probe or start-up forever.
 */
export function requestDeadline(timeoutMs: number): ConfigurationOptions {
  // The object-style API runs the observable flavour of middleware.
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(ctx));
    },
    post: (ctx) => new Observable(Promise.resolve(ctx)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
