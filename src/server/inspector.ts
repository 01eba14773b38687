import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInspector } from '@statelyai/inspect';
import { WebSocketServer, type WebSocket } from 'ws';
import { hostOrOriginProblem, hostWithPort, presentsToken } from './guards.js';
import { BRIDGE_CSS, BRIDGE_JS, bridgeHtml, bridgePolicy, STATELY_INSPECTOR_URL } from './inspectorPage.js';

/**
 * Live inspection for the Stately inspector (DESIGN §6) in two steps. `createInspection()` runs
 * before the switchboard exists: its `inspect` observer records sanitized context and events
 * from the first actor on (new viewers get the recent history replayed, so they see every actor's
 * definition). `listen()` runs once `serve` knows its token: a WebSocket relay on 127.0.0.1 that
 * accepts only viewers presenting the admin token, from an accepted Origin, and masks the
 * switchboard's secrets in every message it sends. Over plain HTTP the same port serves the
 * bridge page (inspectorPage.ts) that a browser opens: it embeds the hosted inspector and feeds
 * it the relay's messages. The runtime feeds the relay in process (no
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
  /** The inspector the bridge page embeds. Defaults to the hosted Stately inspector, https://stately.ai/inspect. */
  inspectorUrl?: string;
  /** The offline live view, linked from the bridge page. Defaults to none. */
  viewUrl?: string;
}

/** Where a listening relay is: `url` is the bridge page to open in a browser, `wsUrl` the stream. */
export interface InspectorUrls {
  url: string;
  wsUrl: string;
}

export interface Inspection {
  /** Pass to `createSwitchboard(config, { inspect })`. */
  inspect: ReturnType<typeof createInspector>['inspect'];
  /** Starts the relay; resolves with the bridge page's `http://` URL and the stream's `ws://` URL. */
  listen(options: InspectorListenOptions): Promise<InspectorUrls>;
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
      const inspectorUrl = options.inspectorUrl ?? STATELY_INSPECTOR_URL;
      // Known once the port is bound; no request is served before.
      let hosts: Set<string> = new Set();
      let origins: Set<string> = new Set();
      const http = createServer((req, res) => {
        const problem = hostOrOriginProblem(req.headers.host, req.headers.origin, hosts, origins);
        const page = bridgeResponse(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!, problem, () =>
          bridgeHtml({ inspectorUrl, protocol: INSPECT_PROTOCOL, viewUrl: options.viewUrl }),
        );
        const headers: Record<string, string> = { 'content-type': page.type, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache', ...page.headers };
        if (page.type.startsWith('text/html')) headers['content-security-policy'] = bridgePolicy(String(req.headers.host), inspectorUrl);
        res.writeHead(page.status, headers);
        res.end(req.method === 'HEAD' ? undefined : page.body);
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
      hosts = new Set(own);
      origins = new Set([...own, ...options.allowedOrigins.map((o) => o.toLowerCase())]);
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
      return { url: `http://127.0.0.1:${port}/`, wsUrl: `ws://127.0.0.1:${port}` };
    },
    async close() {
      inspector.stop();
      await relay?.close();
    },
  };
}

/** What the relay answers over plain HTTP: the bridge page and its two files; JSON errors otherwise. */
function bridgeResponse(method: string, path: string, problem: string | null, html: () => string): { status: number; type: string; body: string; headers?: Record<string, string> } {
  const error = (status: number, code: string, message: string, headers?: Record<string, string>) => ({ status, type: 'application/json', body: JSON.stringify({ error: { code, message } }), ...(headers ? { headers } : {}) });
  if (problem) return error(403, 'Forbidden', problem);
  const files: Record<string, () => { type: string; body: string }> = {
    '/': () => ({ type: 'text/html; charset=utf-8', body: html() }),
    '/bridge.js': () => ({ type: 'text/javascript; charset=utf-8', body: BRIDGE_JS }),
    '/bridge.css': () => ({ type: 'text/css; charset=utf-8', body: BRIDGE_CSS }),
  };
  const file = Object.hasOwn(files, path) ? files[path]! : undefined;
  if (!file) return error(404, 'NotFound', `no page at ${path}: open / (the inspection stream is a WebSocket on this port)`);
  if (method !== 'GET' && method !== 'HEAD') return error(405, 'MethodNotAllowed', `${method} is not allowed on ${path}`, { allow: 'GET, HEAD' });
  return { status: 200, ...file() };
}
