import { request } from 'node:http';
import bolt from '@slack/bolt';
import type { SlackEmulator } from '@csrbot/slack-emulator';

export const { App, LogLevel, HTTPReceiver } = bolt;
export const { WebClient, WebClientEvent } = bolt.webApi;
export type WebClientT = InstanceType<typeof bolt.webApi.WebClient>;
export type AppT = InstanceType<typeof bolt.App>;

const noop = (): void => undefined;
/** Keeps expected-error noise (WebClient logs response_metadata [ERROR]s) out of the test output. */
export const silentLogger = { debug: noop, info: noop, warn: noop, error: noop, setLevel: noop, getLevel: () => LogLevel.ERROR, setName: noop };

/** A real WebClient pointed at the emulator; quick retries so fault tests stay fast. */
export function webClient(emu: SlackEmulator, token: string = emu.botToken): WebClientT {
  return new WebClient(token, {
    slackApiUrl: emu.apiUrl,
    logger: silentLogger,
    retryConfig: { retries: 3, minTimeout: 20, maxTimeout: 100, factor: 2 },
  });
}

export { freePort } from '@csrbot/control-plane';

/** Plain HTTP without keep-alive (no sockets left open after a test). */
export function httpCall(
  url: string,
  o: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
