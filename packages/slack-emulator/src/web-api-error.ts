/** A Slack Web API error: answered as HTTP 200 {ok:false, error, ...extra}. */
export class ApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export type TokenKind = 'bot' | 'app';
