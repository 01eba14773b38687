import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Gateway } from './gateway.js';

/**
 * Streamable HTTP MCP for the gateway (DESIGN §12): stateful sessions, one SDK transport and one
 * `Server` per `Mcp-Session-Id`. A POST without a session id opens a session (the transport
 * refuses anything but `initialize` there); POST, GET (the server's SSE stream) and DELETE with a
 * known id go to its transport; DELETE ends the session and its `Server`; an unknown id is 404 so
 * the client starts over, as the spec says. Framework-agnostic on node:http: mount it where the
 * admin bearer token and the Host/Origin checks have already run.
 */

/** Options of `createGatewayHttpHandler`. */
export interface GatewayHttpOptions {
  /** Session ids; must be unguessable. Defaults to `crypto.randomUUID`. */
  sessionIdGenerator?: () => string;
  /** Sessions open at once; one more gets 503. Defaults to 100. */
  maxSessions?: number;
  /**
   * A session with no request open (no SSE stream either) for this long is closed when a new
   * session opens: clients that vanish without DELETE do not use up `maxSessions`. Defaults to 30 minutes.
   */
  idleMs?: number;
  /** The time source of `idleMs`. Defaults to `Date.now`. */
  now?: () => number;
}

/** The handler: `(req, res, parsedBody?)`; pass `parsedBody` when a framework already read the body. */
export interface GatewayHttpHandler {
  (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Sessions open now. */
  readonly sessionCount: number;
  /** Ends every HTTP session (also done by `gateway.close()`). */
  close(): Promise<void>;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  /** HTTP requests of this session still open (an SSE stream counts while it is open). */
  open: number;
  lastActive: number;
}

function jsonError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Creates the `/mcp` request handler of a gateway. */
export function createGatewayHttpHandler(gateway: Gateway, options: GatewayHttpOptions = {}): GatewayHttpHandler {
  const sessions = new Map<string, HttpSession>();
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 100;
  const idleMs = options.idleMs ?? 30 * 60_000;

  const track = (session: HttpSession, res: ServerResponse) => {
    session.open++;
    session.lastActive = now();
    res.once('close', () => {
      session.open--;
      session.lastActive = now();
    });
  };

  const closeIdle = async () => {
    const cutoff = now() - idleMs;
    const idle = [...sessions.values()].filter((s) => s.open === 0 && s.lastActive <= cutoff);
    await Promise.allSettled(idle.map((s) => s.transport.close()));
  };

  const open = async (req: IncomingMessage, res: ServerResponse, parsedBody: unknown) => {
    await closeIdle();
    if (sessions.size >= maxSessions) return jsonError(res, 503, -32000, `too many MCP sessions (${maxSessions}); end one with DELETE`, { 'retry-after': '5' });
    const session: HttpSession = { transport: undefined as unknown as StreamableHTTPServerTransport, open: 0, lastActive: now() };
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: options.sessionIdGenerator ?? randomUUID,
      // Registered while initialize is handled, before its answer leaves: the client's next
      // request can never find the session missing.
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
    });
    session.transport = transport;
    // Set before the gateway connects: the SDK chains its own close handler after this one.
    transport.onclose = () => {
      if (transport.sessionId !== undefined && sessions.get(transport.sessionId) === session) sessions.delete(transport.sessionId);
    };
    await gateway.connect(transport);
    track(session, res);
    await transport.handleRequest(req, res, parsedBody);
    // Not an initialize request: the transport answered 400 and no session exists to keep.
    if (transport.sessionId === undefined) await transport.close();
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> => {
    try {
      const header = req.headers['mcp-session-id'];
      const id = Array.isArray(header) ? header[0] : header;
      if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
        return jsonError(res, 405, -32000, 'Method not allowed', { allow: 'GET, POST, DELETE' });
      }
      if (id === undefined) {
        if (req.method === 'POST') return await open(req, res, parsedBody);
        return jsonError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      }
      const session = sessions.get(id);
      if (!session) return jsonError(res, 404, -32001, 'Session not found');
      track(session, res);
      await session.transport.handleRequest(req, res, parsedBody);
    } catch {
      // The message stays on this side: it may name internals of the host.
      jsonError(res, 500, -32603, 'Internal error');
    }
  };

  // defineProperty, not Object.assign: a copied getter would be read once.
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size });
  Object.defineProperty(handler, 'close', {
    value: async () => {
      await Promise.allSettled([...sessions.values()].map((s) => s.transport.close()));
    },
  });
  return handler as GatewayHttpHandler;
}
