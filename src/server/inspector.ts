import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInspector } from '@statelyai/inspect';
import { WebSocketServer, type WebSocket } from 'ws';
import { hostOrOriginProblem, hostWithPort, presentsToken } from './guards.js';

/**
 * Live inspection for the Stately inspector (DESIGN §6) in two steps. `createInspection()` runs
 * before the switchboard exists: its `inspect` observer records sanitized context and events
 * from the first actor on (new viewers get the recent history replayed, so they see every actor's
 * definition). `listen()` runs once `serve` knows its token: a WebSocket relay on 127.0.0.1 that
 * accepts only viewers presenting the admin token, from an accepted Origin, and masks the
 * switchboard's secrets in every message it sends. The runtime feeds the relay in process (no
 * WebSocket of its own: `@statelyai/inspect`'s adapter retries a failed socket every 5 s forever,
 * which would keep a stopping process alive).
 */

const SECRET_KEY = /^(headers|env|token|authorization|password|secret|apikey|api_key|cookie)$/i;
const HISTORY = 2_000;
/** The subprotocol a viewer offers beside `bearer.<token>`; the relay answers with it. */
export const INSPECT_PROTOCOL = 'mcp-switchboard.inspect';
/** A viewer with more than this much unsent is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Removes values under secret-looking keys, deeply, from plain JSON. */
export function sanitizeContext<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sanitizeContext(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? '***' : sanitizeContext(item);
  return out as T;
}

/** Events carry ids, never arguments; still strip anything secret-looking. */
export function sanitizeEvent<T>(event: T): T {
  return sanitizeContext(event);
}

export interface InspectorListenOptions {
  /** The admin token viewers must present. */
  token: string;
  /** Origin hosts (`host:port`) accepted besides the relay's own loopback names: the admin API's. */
  allowedOrigins: string[];
  /** Masks secrets in every message sent to a viewer (the switchboard's `redact`). */
  redact(text: string): string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface Inspection {
  /** Pass to `createSwitchboard(config, { inspect })`. */
  inspect: ReturnType<typeof createInspector>['inspect'];
  /** Starts the relay; resolves with its `ws://` URL. */
  listen(options: InspectorListenOptions): Promise<string>;
  close(): Promise<void>;
}

/** JSON that survives cycles and functions (inspection events may reach actor internals). */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function') return undefined;
    if (item !== null && typeof item === 'object') {
      if (seen.has(item)) return '[circular]';
      seen.add(item);
    }
    return item;
  });
}

function refuse(socket: Socket, status: 401 | 403 | 400, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' }[status];
  const extra = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
}

/** The runtime-side inspector; the relay starts with `listen()`. */
export function createInspection(): Inspection {
  const history: string[] = [];
  let relay: { wss: WebSocketServer; redact: (text: string) => string; close(): Promise<void> } | null = null;
  const sendTo = (client: WebSocket, text: string) => {
    if (client.readyState !== client.OPEN) return;
    if (client.bufferedAmount > MAX_BUFFERED_BYTES) client.terminate();
    else client.send(text);
  };
  const broadcast = (text: string, from?: WebSocket) => {
    history.push(text);
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    if (!relay || relay.wss.clients.size === 0) return;
    const masked = relay.redact(text);
    for (const client of relay.wss.clients) if (client !== from) sendTo(client, masked);
  };
  const inspector = createInspector({ send: (event: unknown) => broadcast(safeJson(event)) }, { sanitizeContext, sanitizeEvent });

  return {
    inspect: inspector.inspect,
    async listen(options) {
      if (relay) throw new Error('the inspector relay is already listening');
      const http = createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
        res.end(JSON.stringify({ error: { code: 'UpgradeRequired', message: 'connect with a WebSocket' } }));
      });
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: 1024 * 1024,
        handleProtocols: (protocols) => (protocols.has(INSPECT_PROTOCOL) ? INSPECT_PROTOCOL : false),
      });
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
      });
      const port = (http.address() as AddressInfo).port;
      const own = [hostWithPort('127.0.0.1', port), hostWithPort('localhost', port)];
      const hosts = new Set(own);
      const origins = new Set([...own, ...options.allowedOrigins.map((o) => o.toLowerCase())]);
      http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
        const problem = hostOrOriginProblem(request.headers.host, request.headers.origin, hosts, origins);
        if (problem) return refuse(socket, 403, 'Forbidden', problem);
        // The token comes in a header or a subprotocol, never in the URL (URLs end up in logs and history).
        if (!presentsToken(request.headers, options.token, true)) return refuse(socket, 401, 'Unauthorized', 'a valid bearer token is required');
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      });
      wss.on('connection', (socket: WebSocket) => {
        for (const message of history) sendTo(socket, options.redact(message));
        socket.on('message', (data) => broadcast(data.toString(), socket));
      });
      relay = {
        wss,
        redact: options.redact,
        close: async () => {
          for (const client of wss.clients) client.terminate();
          await new Promise<void>((resolve) => wss.close(() => resolve()));
          http.closeAllConnections();
          await new Promise<void>((resolve) => http.close(() => resolve()));
        },
      };
      return `ws://127.0.0.1:${port}`;
    },
    async close() {
      inspector.stop();
      await relay?.close();
    },
  };
}
