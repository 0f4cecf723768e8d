import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebApiEndpoint } from './api-endpoint.js';
import { applyFault, type Faults, type FaultStage } from './faults.js';
import type { Files } from './files.js';
import { mediaType, parseForm, parseMultipart, readBody, sendJson, sendText } from './http-util.js';
import type { AppIdentity } from './identity.js';
import type { ResponseUrls } from './response-urls.js';
import type { SocketModeHub } from './socket-mode.js';

export interface HttpRoutes {
  readonly api: WebApiEndpoint;
  readonly files: Files;
  readonly responseUrls: ResponseUrls;
  readonly socketMode: SocketModeHub;
  readonly faults: Faults;
  readonly id: AppIdentity;
  readonly stage: FaultStage;
}

/**
 * Slack's HTTP side on 127.0.0.1: /api/ (Web API), the files upload URL,
 * url_private downloads, response_urls, and the upgrade to Socket Mode.
 * Counts requests not yet answered.
 */
export class EmulatorHttpServer {
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private requestsInFlight = 0;

  constructor(private readonly routes: HttpRoutes) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Requests to the emulator not yet answered. */
  get inFlight(): number {
    return this.requestsInFlight;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.requestsInFlight += 1;
      res.once('close', () => (this.requestsInFlight -= 1));
      this.route(req, res).catch((err: unknown) => {
        this.routes.stage.log(`emulator bug: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
        else res.destroy();
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req, socket, head) => this.routes.socketMode.handleUpgrade(req, socket, head));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const path = url.pathname;
    if (path.startsWith('/api/')) return this.routes.api.handle(path.slice('/api/'.length), url, req, res);
    if (path.startsWith('/upload/v1/') && req.method === 'POST') return this.handleUpload(path.slice('/upload/v1/'.length), req, res);
    if (path.startsWith('/files-pri/') && (req.method === 'GET' || req.method === 'HEAD')) return this.handleDownload(path, req, res);
    if ((path.startsWith('/commands/') || path.startsWith('/actions/')) && req.method === 'POST') return this.handleResponseUrl(path, req, res);
    sendText(res, 404, 'not found');
  }

  private async handleUpload(fileId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (await applyFault(this.routes.faults, 'upload', res, this.routes.stage)) return;
    if (!this.routes.files.awaitsUpload(fileId)) return sendText(res, 404, 'upload url expired or unknown');
    let content = raw;
    if (mediaType(req.headers['content-type']) === 'multipart/form-data') {
      const parts = parseMultipart(raw, req.headers['content-type'] ?? '');
      const part = parts.find((p) => p.name === 'body') ?? parts.find((p) => p.name === 'file') ?? parts.find((p) => p.filename !== undefined);
      if (!part) return sendText(res, 400, 'no file part named body');
      content = part.data;
    }
    this.routes.files.receiveUpload(fileId, content);
    sendText(res, 200, `OK - ${content.length}`);
  }

  private async handleDownload(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await applyFault(this.routes.faults, 'download', res, this.routes.stage)) return;
    const m = /^\/files-pri\/([A-Z0-9]+)-([A-Z0-9]+)\//.exec(path);
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (bearer !== this.routes.id.botToken) {
      // Slack sends an unauthenticated browser-less client to the sign-in page.
      this.routes.stage.log(`files: download of ${path} without a valid bot token → 302 to sign-in`);
      res.writeHead(302, { location: `${this.baseUrl}/signin?redir=${encodeURIComponent(path)}`, 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Sign in to Emulated Workspace</body></html>');
      return;
    }
    const file = m ? this.routes.files.downloadable(m[2]!) : undefined;
    if (!file) return sendText(res, 404, 'file not found');
    const headers: Record<string, string | number> = { 'content-type': file.mimetype, 'content-length': file.content.length };
    if (path.includes('/download/')) headers['content-disposition'] = `attachment; filename="${file.name}"`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.content);
  }

  private async handleResponseUrl(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (await applyFault(this.routes.faults, 'response_url', res, this.routes.stage)) return;
    let body: Record<string, unknown> | undefined;
    try {
      const text = raw.toString('utf8');
      body =
        mediaType(req.headers['content-type']) === 'application/x-www-form-urlencoded'
          ? (JSON.parse(parseForm(text).payload ?? '{}') as Record<string, unknown>)
          : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = undefined;
    }
    const answer = this.routes.responseUrls.post(path.slice(1), body);
    sendJson(res, answer.status, answer.body);
  }
}
