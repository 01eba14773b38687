import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { isLegacyRequest, WebStandardStreamableHTTPServerTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Gateway } from './gateway.js';
import type { GatewayHttpHandler, GatewayHttpOptions } from './httpOptions.js';
import { modernLeg } from './httpModern.js';
import { createSharedSessions, initializeOf, replayInitialize, type InitializeParams } from './sharedSessions.js';
import { boundedSseBody } from './sseBody.js';

/**
 * Streamable HTTP MCP for the gateway (DESIGN §12), in both protocol eras (§15). 2025-11-25:
 * stateful sessions, one SDK transport and one `Server` per `Mcp-Session-Id`. A POST without a
 * session id opens a session (the transport refuses anything but `initialize` there); POST, GET
 * (the server's SSE stream) and DELETE with a known id go to its transport; DELETE ends the
 * session and its `Server`; an unknown id is 404 so the client starts over, as the spec says.
 * 2026-07-28: a POST without a session id that carries the per-request `_meta` envelope (the v2
 * SDK's own classifier, `isLegacyRequest`, decides) goes to the v2 package's `createMcpHandler`
 * in its modern-only mode: one `Server` per request, `subscriptions/listen` streams for
 * list_changed. The v2 entry's own legacy serving is stateless (no GET stream, no list_changed,
 * no server → client requests outside a POST), so the sessions stay ours. Framework-agnostic on
 * node:http: mount it where the admin bearer token and the Host/Origin checks have already run.
 *
 * Bounded against clients that misbehave: a session with no request for `idleMs` is closed by a
 * timer (clients that vanish without DELETE must not lock the others out), a client over
 * `maxSessions` gets 503 with a Retry-After of when the first session can expire, every SSE stream
 * is an `Outbox` of `maxBufferedBytes`, and a POST body over `maxMessageBytes` gets 413.
 *
 * An open GET stream is no proof of life: a client that vanished without a FIN, or holds the stream
 * and never reads, looks the same as one that listens. So the gateway pings on the GET stream every
 * `min(15 s, idleMs / 2)` (MCP's ping, which a client must answer) and only requests count as
 * activity — a listening client's answers keep its session; a silent one expires by the idle rule.
 * Any SSE stream whose queue has held unread bytes for `idleMs` is closed. Modern requests get the
 * same bounds: their SSE answers and listen streams go through the same `Outbox`, their bodies
 * the same size and time limits, and at most `maxSessions` listen streams are open at once.
 *
 * In a cluster (`cluster` given, DESIGN §16) legacy sessions are shared (`sharedSessions.ts`): an
 * id another replica created is looked up in Redis before the 404 and the session is built here
 * (it counts against `maxSessions` like one opened here); a DELETE on any replica ends it on all.
 */

interface HttpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  /** Names it in logs without its id (the id is the session's only credential). */
  label: string;
  /** POST and DELETE requests of this session still open (a POST's SSE answer counts while it is open); GET streams do not. */
  open: number;
  /** GET streams open now (the SDK allows one); while there is one, `pinger` pings the client on it. */
  streams: number;
  pinger: ReturnType<typeof setInterval> | undefined;
  lastActive: number;
}

/** 15 s: the longest time between two keep-alive pings on a GET stream. */
const MAX_PING_MS = 15_000;
/** Default of `bodyTimeoutMs`. */
export const BODY_TIMEOUT_MS = 30_000;
/** The ids of the gateway's keep-alive pings; their answers stop here. */
const PING_ID = 'switchboard-keepalive-';

/** setTimeout's longest delay. */
const MAX_DELAY = 2_147_483_647;

function jsonError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function jsonResponse(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export type { GatewayHttpHandler, GatewayHttpOptions } from './httpOptions.js';

/** Creates the `/mcp` request handler of a gateway. */
export function createGatewayHttpHandler(gateway: Gateway, options: GatewayHttpOptions = {}): GatewayHttpHandler {
  const limits = gateway.limits;
  const sessions = new Map<string, HttpSession>();
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? limits.maxSessions;
  const idleMs = options.idleMs ?? limits.sessionIdleMs;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const maxBufferedBytes = options.maxBufferedBytes ?? limits.maxBufferedBytes;
  const maxMessageBytes = options.maxMessageBytes ?? limits.maxMessageBytes;
  const logger = gateway.logger;
  let opening = 0;
  let opened = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  let closed = false;
  let modernRequests = 0;

  const profile = options.profile;
  const modern = modernLeg(gateway, { maxMessageBytes, maxSessions }, profile);
  const shared = options.cluster
    ? createSharedSessions(options.cluster, { ttlMs: idleMs, profile, ...(options.clusterTimeoutMs === undefined ? {} : { timeoutMs: options.clusterTimeoutMs }) })
    : undefined;
  // Another replica ended a session (DELETE there): its copy here goes too.
  shared?.onEnded((id) => void sessions.get(id)?.transport.close());
  /** Unknown ids being looked up in the cluster: one look-up (and one adoption) per id at a time. */
  const adopting = new Map<string, Promise<HttpSession | Response | undefined>>();

  /** When the next idle session expires; one timer, re-armed as sessions go idle. */
  const arm = () => {
    if (closed) return;
    let next = Infinity;
    for (const session of sessions.values()) if (session.open === 0) next = Math.min(next, session.lastActive + idleMs);
    if (next === Infinity || (timer !== undefined && timerAt <= next)) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(sweep, Math.min(Math.max(0, next - now()), MAX_DELAY));
    // A sweep must never keep the host alive.
    timer.unref();
  };

  const closeIdle = async () => {
    const cutoff = now() - idleMs;
    const idle = [...sessions.values()].filter((s) => s.open === 0 && s.lastActive <= cutoff);
    if (idle.length > 0) logger?.log('info', `gateway: closing ${idle.length} /mcp session(s) idle for ${idleMs} ms`);
    await Promise.allSettled(idle.map((s) => s.transport.close()));
  };

  const sweep = () => {
    timer = undefined;
    timerAt = Infinity;
    void closeIdle().then(arm);
  };

  const pingMs = Math.max(1, Math.min(MAX_PING_MS, Math.floor(idleMs / 2)));
  let pings = 0;

  /** Pings the client on its GET stream; its answer (a POST) is the activity that keeps the session. */
  const startPinging = (session: HttpSession) => {
    session.pinger ??= setInterval(() => {
      void session.transport.send({ jsonrpc: '2.0', id: `${PING_ID}${++pings}`, method: 'ping' }).catch(() => undefined);
    }, pingMs);
    // A keep-alive must never keep the host alive.
    session.pinger.unref();
  };
  const stopPinging = (session: HttpSession) => {
    clearInterval(session.pinger);
    session.pinger = undefined;
  };

  /** A request is activity; a GET stream is not while it lasts (see the module comment). */
  const track = (session: HttpSession, req: IncomingMessage, res: ServerResponse) => {
    session.lastActive = now();
    if (req.method === 'GET') {
      if (++session.streams === 1) startPinging(session);
      res.once('close', () => {
        if (--session.streams === 0) stopPinging(session);
      });
      arm();
      return;
    }
    session.open++;
    res.once('close', () => {
      session.open--;
      session.lastActive = now();
      if (session.open === 0) arm();
    });
  };

  /**
   * Seconds until a slot can free: when the session closest to expiry expires under the idle rule
   * (one with a request open can expire `idleMs` after it ends at the earliest). At least 1.
   */
  const retryAfter = () => {
    // Every session busy: a request still sending its body ends within bodyTimeoutMs at the latest.
    let wait = idleMs + bodyTimeoutMs;
    for (const session of sessions.values()) if (session.open === 0) wait = Math.min(wait, session.lastActive + idleMs - now());
    return Math.max(1, Math.ceil(wait / 1000));
  };

  /** An SSE answer through an Outbox (issue 18): the SDK's stream is read as fast as it fills. */
  const bounded = (response: Response, label: string, res: ServerResponse): Response => {
    if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return response;
    const body = boundedSseBody(response.body, { maxBufferedBytes, stallBytes: maxMessageBytes, stuckMs: idleMs, label, logger, onStall: () => res.destroy() });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  const listen = (serve: (request: Request) => Promise<Response>) => getRequestListener(serve, { overrideGlobalObjects: false });

  /** Serves one request of a session's transport. */
  const respond = async (session: HttpSession, request: Request, req: IncomingMessage, res: ServerResponse, parsedBody: unknown) => {
    const response = await session.transport.handleRequest(request, parsedBody === undefined ? {} : { parsedBody });
    return bounded(response, `${session.label} (${req.method === 'GET' ? 'GET stream' : 'POST stream'})`, res);
  };

  const serveRequest = (session: HttpSession, req: IncomingMessage, res: ServerResponse, parsedBody: unknown) =>
    listen((request) => respond(session, request, req, res, parsedBody))(req, res);

  /** A modern (2026-07-28) request: no session; its answer, or its listen stream, bounded the same way. */
  const serveModern = async (request: Request, res: ServerResponse, parsedBody: unknown) => {
    const response = await modern.fetch(request, parsedBody, (listener) => (res.closed || res.destroyed ? listener() : res.once('close', listener)));
    return bounded(response, `/mcp modern request #${++modernRequests}`, res);
  };

  /** A 503 when `maxSessions` are open (or opening), with a Retry-After of when one can expire; undefined while there is room. */
  const refuseWhenFull = (): Response | undefined => {
    if (sessions.size + opening < maxSessions) return undefined;
    const seconds = retryAfter();
    logger?.log('warn', `gateway: refused an /mcp session: ${maxSessions} are open (gateway.maxSessions)`);
    return jsonResponse(503, -32000, `too many MCP sessions (${maxSessions}, gateway.maxSessions); retry in ${seconds} s, or end a session with DELETE`, { 'retry-after': String(seconds) });
  };

  /**
   * A new session and its transport, connected to a gateway `Server`; counted in `opening` until
   * `uncount()`. `id` names the session an adoption rebuilds (else a new id is made); `seen` gets
   * each message the client sends.
   */
  const connectSession = async (id: string | undefined, seen?: (message: JSONRPCMessage) => void) => {
    const session: HttpSession = { transport: undefined as unknown as WebStandardStreamableHTTPServerTransport, label: `/mcp client #${++opened}`, open: 0, streams: 0, pinger: undefined, lastActive: now() };
    let counted = true;
    opening++;
    const uncount = () => {
      if (counted) opening--;
      counted = false;
    };
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: id === undefined ? (options.sessionIdGenerator ?? randomUUID) : () => id,
      maxRequestBodySize: maxMessageBytes,
      // Registered while initialize is handled, before its answer leaves: the client's next
      // request can never find the session missing.
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, session);
        uncount();
      },
      // A DELETE (here): the session ends on every replica.
      ...(shared ? { onsessionclosed: (sessionId: string | undefined) => (sessionId === undefined ? undefined : shared.ended(sessionId)) } : {}),
    });
    session.transport = transport;
    // Set before the gateway connects: the SDK chains its own close handler after this one.
    transport.onclose = () => {
      stopPinging(session);
      if (transport.sessionId !== undefined && sessions.get(transport.sessionId) === session) {
        sessions.delete(transport.sessionId);
        shared?.dropped(transport.sessionId);
      }
    };
    try {
      await gateway.connectLegacy(transport, profile);
    } catch (error) {
      uncount();
      throw error;
    }
    // The answers to our keep-alive pings stop here: the gateway's Server never sent them.
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if ('id' in message && typeof message.id === 'string' && message.id.startsWith(PING_ID) && !('method' in message)) return;
      seen?.(message);
      deliver?.(message, extra);
    };
    return { session, transport, uncount };
  };

  /** Opens a legacy session for an `initialize` (the transport refuses anything else there). */
  const openLegacy = async (request: Request, req: IncomingMessage, res: ServerResponse, parsedBody: unknown, created: (transport: WebStandardStreamableHTTPServerTransport) => void): Promise<Response> => {
    await closeIdle();
    const full = refuseWhenFull();
    if (full) return full;
    let init: InitializeParams | undefined;
    const { session, transport, uncount } = await connectSession(undefined, (message) => void (init ??= initializeOf(message)));
    created(transport);
    try {
      track(session, req, res);
      const response = await respond(session, request, req, res, parsedBody);
      // Stored before the client learns the id (bounded): its next request may reach another replica.
      if (shared && init && transport.sessionId !== undefined) await shared.created(transport.sessionId, init);
      return response;
    } finally {
      uncount();
    }
  };

  /**
   * The session `id` another replica created, built here from its record in the cluster (its
   * `initialize` replayed); undefined when there is none (or Redis is down or slow), a 503 at
   * `maxSessions`.
   */
  const adopt = (id: string): Promise<HttpSession | Response | undefined> => {
    let pending = adopting.get(id);
    if (pending) return pending;
    pending = (async () => {
      const record = await shared!.find(id);
      if (!record || closed) return undefined;
      const known = sessions.get(id);
      if (known) return known;
      await closeIdle();
      const full = refuseWhenFull();
      if (full) return full;
      const { session, transport, uncount } = await connectSession(id);
      try {
        if (await replayInitialize(transport, id, record)) return session;
        logger?.log('warn', `gateway: an /mcp session of replica ${record.replica} could not be rebuilt here; its client gets 404 and starts over`);
        await transport.close();
        return undefined;
      } finally {
        uncount();
      }
    })().finally(() => adopting.delete(id));
    adopting.set(id, pending);
    return pending;
  };

  /** A POST without a session id: a modern request, or a legacy `initialize` that opens a session. */
  const open = async (req: IncomingMessage, res: ServerResponse, parsedBody: unknown) => {
    let transport: WebStandardStreamableHTTPServerTransport | undefined;
    await listen(async (request) => {
      if (!(await isLegacyRequest(request, parsedBody, { maxRequestBodySize: maxMessageBytes }))) return serveModern(request, res, parsedBody);
      return openLegacy(request, req, res, parsedBody, (created) => (transport = created));
    })(req, res);
    // Not an initialize request: the transport answered 4xx and no session exists to keep.
    if (transport && transport.sessionId === undefined) await transport.close();
  };

  /** Cuts off a request whose body is still arriving after bodyTimeoutMs (see the option). */
  const guardBody = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' || req.readableEnded || req.complete) return;
    const timer = setTimeout(() => {
      if (req.complete) return;
      logger?.log('warn', `gateway: cut off an /mcp ${req.method} whose body did not arrive within ${bodyTimeoutMs} ms`);
      req.destroy();
      res.destroy();
    }, bodyTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> => {
    guardBody(req, res);
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
      let session = sessions.get(id);
      if (!session && shared) {
        // Ended here from another replica: no session to build, only the record and the others' copies to end.
        if (req.method === 'DELETE' && (await shared.find(id))) {
          await shared.ended(id);
          res.writeHead(200).end();
          return;
        }
        const adopted = await adopt(id);
        if (adopted instanceof Response) return await listen(async () => adopted)(req, res);
        session = adopted;
      }
      if (!session) return jsonError(res, 404, -32001, 'Session not found');
      shared?.touched(id);
      track(session, req, res);
      await serveRequest(session, req, res, parsedBody);
    } catch {
      // The message stays on this side: it may name internals of the host.
      jsonError(res, 500, -32603, 'Internal error');
    }
  };

  // defineProperty, not Object.assign: a copied getter would be read once.
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size });
  Object.defineProperty(handler, 'close', {
    value: async () => {
      closed = true;
      // This replica's copies end; the records stay: the other replicas go on serving them.
      shared?.close();
      await modern.close();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await Promise.allSettled([...sessions.values()].map((s) => s.transport.close()));
    },
  });
  return handler as GatewayHttpHandler;
}
