import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CsrbotError } from '../../domain/errors.js';
import type { Route } from './routes.js';

export interface OpsServer {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The operations port (OPS_PORT): /healthz, /readyz and /metrics, apart from
 * Slack's endpoint, so the probes and the scraper reach it inside the
 * cluster while an ingress exposes only /slack/events. It starts before
 * anything that can block, so liveness answers through a slow start.
 */
export async function startOpsServer(o: { port: number; routes: Route[]; host?: string }): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    const route = o.routes.find((r) => r.path === path);
    if (!route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (!route.method.includes(req.method ?? '')) return void res.writeHead(405, { allow: route.method.join(', ') }).end();
    route.handler(req, res);
  });
  // Kubelet probes keep connections alive; do not let them hold shutdown up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CsrbotError('PORT_IN_USE', {
          setting: 'OPS_PORT',
          port: o.port,
          reason: e.code === 'EADDRINUSE' ? 'EADDRINUSE: another process listens there' : (e.code ?? e.message),
        }),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
