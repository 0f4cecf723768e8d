import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { startGuardedServer, sessionUrl, type GuardedServer } from '@csrbot/sandbox';

/** A raw request, so the test controls the Host header (fetch would not let it). */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; setCookie?: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          ...(res.headers['set-cookie'] ? { setCookie: res.headers['set-cookie'] } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the sandbox page is only for whoever holds the session token', () => {
  let s: GuardedServer;
  let host: string;
  beforeAll(async () => {
    s = await startGuardedServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('the sandbox'));
    host = `127.0.0.1:${s.port}`;
  });
  afterAll(() => s.close());

  it('listens on 127.0.0.1 only', () => {
    expect(s.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('refuses a request without the token with what to do', async () => {
    const r = await get(s.port, '/', { host });
    expect(r.status).toBe(403);
    expect(r.body).toContain('URL its start line printed');
  });

  it('refuses a wrong token, and one that is a prefix of the real one', async () => {
    expect((await get(s.port, '/?token=nope', { host })).status).toBe(403);
    expect((await get(s.port, `/?token=${s.session.token.slice(0, 10)}`, { host })).status).toBe(403);
    expect((await get(s.port, '/', { host, cookie: 'csrbot_sandbox=nope' })).status).toBe(403);
  });

  it('refuses another Host even with the token (a rebound DNS name of a web page)', async () => {
    const r = await get(s.port, `/?token=${s.session.token}`, { host: `evil.example:${s.port}` });
    expect(r.status).toBe(421);
    expect(r.body).toContain(host);
  });

  it('serves the start-line URL, sets the session cookie, then serves on the cookie alone', async () => {
    const url = new URL(sessionUrl(s.session));
    expect(url.host).toBe(host);
    const first = await get(s.port, `${url.pathname}${url.search}`, { host });
    expect(first).toMatchObject({ status: 200, body: 'the sandbox' });
    const cookie = first.setCookie?.[0] ?? '';
    expect(cookie).toMatch(/^csrbot_sandbox=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const next = await get(s.port, '/state', { host: `localhost:${s.port}`, cookie: cookie.split(';')[0]! });
    expect(next).toMatchObject({ status: 200, body: 'the sandbox' });
    expect(next.setCookie).toBeUndefined();
  });

  it('gives every start a new token', async () => {
    const other = await startGuardedServer((_req, res) => res.end());
    try {
      expect(other.session.token).not.toBe(s.session.token);
      expect(other.session.token.length).toBeGreaterThanOrEqual(32);
    } finally {
      await other.close();
    }
  });
});
