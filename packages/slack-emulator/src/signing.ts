import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** Slack's request signature: v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>") in hex. */
export function slackSignature(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  body: string;
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  signingSecret: string;
  /** Default: now. Pass an old one to test replay protection. */
  timestampSec?: number;
  /** Default: the correct signature. Pass anything else to forge. */
  signature?: string;
  /** Leave out the X-Slack-* headers entirely. */
  unsigned?: boolean;
  retryNum?: number;
  retryReason?: string;
  timeoutMs: number;
}

export interface SignedPostResult {
  /** 0 when there was no HTTP answer. */
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
  ms: number;
  /** Why there was no usable answer, in Slack's X-Slack-Retry-Reason words. */
  failure?: 'http_timeout' | 'connection_failed';
}

/** POSTs a body to a bot's request URL the way Slack does, signed with the signing secret. */
export function postSigned(url: string, o: SignedPostOptions): Promise<SignedPostResult> {
  const ts = o.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string | number> = {
    'content-type': o.contentType,
    'content-length': Buffer.byteLength(o.body),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: 'application/json,*/*',
  };
  if (!o.unsigned) {
    headers['x-slack-request-timestamp'] = String(ts);
    headers['x-slack-signature'] = o.signature ?? slackSignature(o.signingSecret, ts, o.body);
  }
  if (o.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(o.retryNum);
    headers['x-slack-retry-reason'] = o.retryReason ?? 'http_timeout';
  }
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<SignedPostResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: Date.now() - started });
    };
    // agent:false so no keep-alive socket outlives the test.
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', () => finish({ status: 0, body: '', headers: {}, failure: 'connection_failed' }));
    });
    const timer = setTimeout(() => {
      finish({ status: 0, body: '', headers: {}, failure: 'http_timeout' });
      req.destroy();
    }, o.timeoutMs);
    req.on('error', () => finish({ status: 0, body: '', headers: {}, failure: 'connection_failed' }));
    req.end(o.body);
  });
}
