import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { SUMMARIZES_ITSELF } from '../inspection/index.js';
import { hostOrOriginProblem, hostWithPort, presentsToken } from './guards.js';
import { inspectionMessage, safeJson } from './inspectionEvents.js';
import { BRIDGE_CSS, BRIDGE_JS, bridgeHtml, bridgePolicy, STATELY_INSPECTOR_URL } from './inspectorPage.js';

/**
 * Live inspection for the Stately inspector (DESIGN §6) in two steps. `createInspection()` runs
 * before the switchboard exists: its `inspect` observer records sanitized context and events
 * from the first actor on (new viewers get the recent history replayed, so they see every actor's
 * definition). `listen()` runs once `serve` knows its token: a WebSocket relay on 127.0.0.1 that
 * accepts only viewers presenting the admin token, from an accepted Origin, and masks the
 * switchboard's secrets in every message it sends. Messages carry summaries, not catalogs
 * (inspectionEvents.ts), and the history is bounded in bytes (oldest dropped first; the
 * registrations of live actors are kept longest). Over plain HTTP the same port serves the
 * bridge page (inspectorPage.ts) that a browser opens: it embeds the hosted inspector and feeds
 * it the relay's messages. The runtime feeds the relay in process (no
 * WebSocket of its own: `@statelyai/inspect`'s adapter retries a failed socket every 5 s forever,
 * which would keep a stopping process alive).
 */

/** Default of `createInspection({ historyBytes })`: the replay a new viewer gets, at most. */
export const INSPECTOR_HISTORY_BYTES = 4 * 1024 * 1024;
/** The subprotocol a viewer offers beside `bearer.<token>`; the relay answers with it. */
export const INSPECT_PROTOCOL = 'mcp-switchboard.inspect';
/** A viewer with more than this much unsent (or twice the history, if more) is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export { sanitizeContext, sanitizeEvent } from './inspectionEvents.js';

/** Options of `createInspection`. */
export interface InspectionOptions {
  /** Bytes of recent messages kept to replay to a new viewer; the oldest go first. Default `INSPECTOR_HISTORY_BYTES` (4 MiB). */
  historyBytes?: number;
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
  inspect: Observer<InspectionEvent>;
  /** What the history holds now (messages and their UTF-8 bytes), at most `historyBytes`. */
  stats(): { messages: number; bytes: number };
  /** Starts the relay; resolves with the bridge page's `http://` URL and the stream's `ws://` URL. */
  listen(options: InspectorListenOptions): Promise<InspectorUrls>;
  close(): Promise<void>;
}

function refuse(socket: Socket, status: 401 | 403 | 400, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' }[status];
  const extra = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
}

/** The runtime-side inspector; the relay starts with `listen()`. */
export function createInspection(options: InspectionOptions = {}): Inspection {
  const history = new History(options.historyBytes ?? INSPECTOR_HISTORY_BYTES);
  const maxBuffered = Math.max(MAX_BUFFERED_BYTES, 2 * history.maxBytes);
  let relay: { wss: WebSocketServer; redact: (text: string) => string; close(): Promise<void> } | null = null;
  let stopped = false;
  const sendTo = (client: WebSocket, text: string) => {
    if (client.readyState !== client.OPEN) return;
    if (client.bufferedAmount > maxBuffered) client.terminate();
    else client.send(text);
  };
  const broadcast = (text: string, from?: WebSocket, actor?: string) => {
    history.add(text, actor);
    if (!relay || relay.wss.clients.size === 0) return;
    const masked = relay.redact(text);
    for (const client of relay.wss.clients) if (client !== from) sendTo(client, masked);
  };
  // Inspection events arrive inside transitions; they are turned into messages after the current
  // job (an actor's snapshot exists only once its constructor is done), in order, once each.
  let pending: InspectionEvent[] = [];
  const flush = () => {
    const events = pending;
    pending = [];
    for (const event of events) {
      try {
        const message = inspectionMessage(event);
        if (!message) continue;
        const status = (event as { snapshot?: { status?: unknown } }).snapshot?.status;
        if (event.type === '@xstate.snapshot' && status !== 'active') history.ended(event.actorRef.sessionId);
        broadcast(safeJson(message), undefined, event.type === '@xstate.actor' ? event.actorRef.sessionId : undefined);
      } catch {
        // Inspection never breaks the runtime: an event that cannot be shown is skipped.
      }
    }
  };
  const inspect: Observer<InspectionEvent> & { [SUMMARIZES_ITSELF]: true } = {
    // It summarizes while converting (inspectionEvents.ts): the switchboard hands it raw events.
    [SUMMARIZES_ITSELF]: true,
    next(event) {
      if (stopped || (event.type !== '@xstate.actor' && event.type !== '@xstate.event' && event.type !== '@xstate.snapshot')) return;
      if (pending.push(event) === 1) queueMicrotask(flush);
    },
  };

  return {
    inspect,
    stats: () => ({ messages: history.size, bytes: history.bytes }),
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
        for (const message of history.messages()) sendTo(socket, options.redact(message));
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
      stopped = true;
      pending = [];
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

/**
 * The recent messages, at most `maxBytes` (UTF-8) of them. A live actor's registration
 * (`@xstate.actor`, with its definition) is kept while there is room for it, so a late viewer still
 * learns every machine; it becomes droppable like any message once the actor has ended. When
 * full, the oldest droppable messages go until a quarter of the room is free (then registrations
 * too, oldest first, if they alone fill it), so trimming costs O(1) per message on average.
 */
class History {
  private entries: { text: string; bytes: number; actor: string | undefined }[] = [];
  private readonly live = new Set<string>();
  bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.length;
  }

  add(text: string, actor?: string): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > this.maxBytes) return;
    if (actor) this.live.add(actor);
    this.entries.push({ text, bytes, actor });
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) this.trim();
  }

  /** The actor stopped, finished or failed: its registration may go with its other messages. */
  ended(actor: string): void {
    this.live.delete(actor);
  }

  messages(): string[] {
    return this.entries.map((e) => e.text);
  }

  private trim(): void {
    const target = Math.floor(this.maxBytes * 0.75);
    const pinned = (e: { actor: string | undefined }) => e.actor !== undefined && this.live.has(e.actor);
    for (const keepRegistrations of [true, false]) {
      if (this.bytes <= target) break;
      const kept: typeof this.entries = [];
      for (const entry of this.entries) {
        if (this.bytes > target && !(keepRegistrations && pinned(entry))) {
          this.bytes -= entry.bytes;
          if (entry.actor) this.live.delete(entry.actor);
        } else kept.push(entry);
      }
      this.entries = kept;
    }
  }
}
