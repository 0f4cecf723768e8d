import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_HOST } from './guards.js';
import { SESSION_COOKIE, checkRequest, newSession, type Session } from './session.js';

export interface GuardedServer {
  readonly server: Server;
  readonly port: number;
  readonly session: Session;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that hands `handler` only requests that pass
 * the session check; everything else gets 421 (wrong Host) or 403 (no token)
 * with a line that says what to do. Port 0 picks a free one.
 */
export async function startGuardedServer(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<GuardedServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, SANDBOX_HOST, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  // The session names the port, so it exists only once the port is known; nobody can reach the server before.
  const session = newSession(actual);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const verdict = checkRequest(req, session);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${verdict.reason}\n`);
      return;
    }
    if (verdict.setCookie) res.setHeader('set-cookie', `${SESSION_COOKIE}=${session.token}; HttpOnly; SameSite=Strict; Path=/`);
    handler(req, res);
  });
  return {
    server,
    port: actual,
    session,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
