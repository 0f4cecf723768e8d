import type { ConfigurationOptions } from '@kubernetes/client-node';

/**
 * Per-call options that give every request a deadline: a hung API server
 * must not hang a job, a probe or start-up forever.
 */
export function requestDeadline(timeoutMs: number): ConfigurationOptions {
  // The object-style API runs the observable flavour of middleware; its
  // Observable is a stub that only needs toPromise().
  const done = <T>(ctx: T) => ({ toPromise: () => Promise.resolve(ctx) });
  const middleware = {
    pre: (ctx: { setSignal(s: AbortSignal): void }) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return done(ctx);
    },
    post: done,
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as ConfigurationOptions;
}
