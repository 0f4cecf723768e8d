import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

/** What Slack sends over the socket for one delivery. */
export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export type AckResult =
  | { acked: true; payload: Record<string, unknown>; connection: number; ms: number }
  | { acked: false; reason: 'timeout' | 'no_connection'; connection?: number; ms: number };

export interface SocketConnection {
  /** 1-based, in connection order; stable for the connection's life. */
  readonly number: number;
  readonly ws: WebSocket;
  readonly connectedAt: number;
  /** Envelopes sent to this connection, in order (for tests that inspect raw traffic). */
  readonly received: Envelope[];
}

interface Pending {
  resolve: (r: AckResult) => void;
  timer: NodeJS.Timeout;
  connection: number;
  sentAt: number;
}

/**
 * The Socket Mode side of Slack: hands out single-use ws:// URLs from
 * apps.connections.open, says hello, sends envelopes to ONE open connection
 * each (round robin, as Slack spreads load over an app's connections) and
 * waits for the ack that carries the envelope_id.
 */
export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly tickets = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pingTimer: NodeJS.Timeout | undefined;
  private nextNumber = 1;
  private rr = 0;
  readonly connections: SocketConnection[] = [];

  constructor(
    private readonly appId: string,
    private readonly log: (line: string) => void,
    pingIntervalMs: number,
    /** Injected faults; the key `hello` holds back (delayMs) or withholds (drop) the hello of the next connection. */
    private readonly takeFault: (key: string) => { delayMs?: number; drop?: boolean } | undefined = () => undefined,
  ) {
    if (pingIntervalMs > 0) {
      // Slack pings its clients; @slack/socket-mode only watches for server pings once it saw one.
      this.pingTimer = setInterval(() => {
        for (const c of this.open()) c.ws.ping('ping from emulated slack');
      }, pingIntervalMs);
    }
  }

  /** A fresh single-use URL, as apps.connections.open returns. */
  issueUrl(wsBase: string): string {
    const ticket = randomUUID();
    this.tickets.set(ticket, Date.now());
    return `${wsBase}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.has(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    this.tickets.delete(ticket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const conn: SocketConnection = { number: this.nextNumber++, ws, connectedAt: Date.now(), received: [] };
    this.connections.push(conn);
    this.log(`socket mode: connection #${conn.number} opened (${this.open().length} open)`);
    ws.on('message', (data: RawData) => this.onMessage(conn, data));
    ws.on('close', () => {
      const i = this.connections.indexOf(conn);
      if (i >= 0) this.connections.splice(i, 1);
      this.log(`socket mode: connection #${conn.number} closed`);
    });
    ws.on('error', () => undefined);
    const hello = () =>
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.open().length,
          debug_info: { host: 'applink-emulated', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: this.appId },
        }),
      );
    const fault = this.takeFault('hello');
    if (fault?.drop) return this.log(`fault: connection #${conn.number} gets no hello (the client waits to be connected)`);
    if (fault?.delayMs) {
      this.log(`fault: hello to connection #${conn.number} after ${fault.delayMs} ms`);
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (ws.readyState === WebSocket.OPEN) hello();
      }, fault.delayMs);
      this.timers.add(t);
      return;
    }
    hello();
  }

  private onMessage(conn: SocketConnection, data: RawData): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      this.log(`socket mode: connection #${conn.number} sent non-JSON, ignored`);
      return;
    }
    const id = typeof msg.envelope_id === 'string' ? msg.envelope_id : undefined;
    if (!id) return;
    const p = this.pending.get(id);
    if (!p) {
      this.log(`socket mode: late or unknown ack for envelope ${id} on connection #${conn.number} ignored`);
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    const payload = typeof msg.payload === 'object' && msg.payload !== null ? (msg.payload as Record<string, unknown>) : {};
    p.resolve({ acked: true, payload, connection: conn.number, ms: Date.now() - p.sentAt });
  }

  open(): SocketConnection[] {
    return this.connections.filter((c) => c.ws.readyState === WebSocket.OPEN);
  }

  /** Sends one envelope to one open connection; resolves with its ack or a timeout. */
  deliver(envelope: Envelope, ackTimeoutMs: number): Promise<AckResult> {
    const open = this.open();
    const sentAt = Date.now();
    if (open.length === 0) return Promise.resolve({ acked: false, reason: 'no_connection', ms: 0 });
    const conn = open[this.rr++ % open.length]!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelope_id);
        resolve({ acked: false, reason: 'timeout', connection: conn.number, ms: Date.now() - sentAt });
      }, ackTimeoutMs);
      this.pending.set(envelope.envelope_id, { resolve, timer, connection: conn.number, sentAt });
      conn.received.push(envelope);
      conn.ws.send(JSON.stringify(envelope));
    });
  }

  /**
   * Sends Slack's `disconnect` message (reason "refresh_requested", "warning",
   * "link_disabled"...) to one connection (by number) or all; closes the socket
   * after `closeAfterMs` if the client has not.
   */
  disconnect(reason = 'refresh_requested', which?: number, closeAfterMs = 1000): void {
    for (const c of this.open()) {
      if (which !== undefined && c.number !== which) continue;
      c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-emulated' } }));
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (c.ws.readyState === WebSocket.OPEN) c.ws.close(1000, reason);
      }, closeAfterMs);
      this.timers.add(t);
    }
  }

  /** Kills connections without a close frame, like a network cut. */
  drop(which?: number): void {
    for (const c of [...this.connections]) if (which === undefined || c.number === which) c.ws.terminate();
  }

  async close(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ acked: false, reason: 'timeout', connection: p.connection, ms: Date.now() - p.sentAt });
      this.pending.delete(id);
    }
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
