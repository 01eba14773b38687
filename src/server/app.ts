import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { EventHistory, PUBLIC_EVENT_TYPES } from '../events/index.js';
import type { Logger } from '../core/logger.js';
import type { ReloadResult } from '../servers/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { readBody, requestOptions, ROUTING_FIELDS, SOURCE_FIELD } from './body.js';
import { EventStream, MAX_QUEUED_EVENT_BYTES } from './eventStream.js';
import { hostOrOriginProblem, presentsToken } from './guards.js';
import { HealthCache } from './healthCache.js';
import { errorResponse, HttpError } from './httpErrors.js';
import { createMetrics } from './metrics.js';
import { createLiveView } from '../view/index.js';
import { indexPage } from './page.js';
import { allowedMethods, routeKey, ROUTES, tokenRequired, type AdminRouteKey, type RouteHandler } from './routes.js';
import { addSurfaceRoutes } from './surfaceRoutes.js';
import { packageVersion } from '../core/version.js';

/** 1 MiB: the largest JSON body the admin API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What `/mcp/events` streams: every public event (the one list lives in src/events/types.ts). */
export const PUBLIC_EVENTS = PUBLIC_EVENT_TYPES;

export interface AdminAppOptions {
  token: string;
  /** Host header values accepted (DNS-rebinding guard); Origin hosts are checked against the same list. */
  allowedHosts: string[];
  /** Heartbeat interval of `/mcp/events`. Defaults to 15 000 ms. */
  heartbeatMs?: number;
  /** What `/mcp/events` queues for a client that does not read before dropping it. Defaults to 1 MiB. */
  maxQueuedEventBytes?: number;
  redact(text: string): string;
  logger?: Logger;
  /** Called around each tool call and surface request so shutdown can wait for what is in flight. */
  lifecycle: { accepting(): boolean; ready(): boolean; begin(): void; end(): void };
  /**
   * Reloads the config file (`POST /mcp/config/reload`); rejects with ConfigError for a bad one.
   * Defaults to none: a service not started from a file answers that route 501 NotSupported.
   */
  reload?: () => Promise<ReloadResult>;
  /** The clock of `/mcp/history` (when events arrived, its per-minute buckets). Defaults to `Date.now`. */
  now?: () => number;
}

const CallBodySchema = z.strictObject({
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).optional(),
  ...ROUTING_FIELDS,
  ...SOURCE_FIELD,
});

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The admin HTTP API of DESIGN §7 as a Hono app; `close()` ends event streams and releases
 * subscriptions. The service's event history (`/mcp/history`, and the numbering of `/mcp/events`)
 * begins here: what happened before the app was created is not in it.
 */
export function createAdminApp(sb: Switchboard, options: AdminAppOptions): { app: Hono; close(): void } {
  const app = new Hono();
  const metrics = createMetrics(sb);
  const health = new HealthCache(sb);
  // One redaction and one number per event, shared by the history and every /mcp/events client.
  const history = new EventHistory(sb, { redact: options.redact, ...(options.now ? { now: options.now } : {}) });
  const allowedHosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const streams = new Set<EventStream>();
  const closers: (() => void)[] = [() => metrics.close(), () => health.close(), () => [...streams].forEach((s) => s.close()), () => history.close()];

  const fail = (c: Context, error: unknown) => {
    const { status, body, headers } = errorResponse(error, options.redact);
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    return c.json(body, status as 400);
  };

  app.onError((error, c) => fail(c, error));
  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    if (allow.length === 0) return fail(c, new HttpError(404, 'NotFound', `no route for ${c.req.method} ${c.req.path}`));
    c.header('allow', allow.join(', '));
    return fail(c, new HttpError(405, 'MethodNotAllowed', `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allow.join(', ')})`));
  });

  // DNS rebinding: only the accepted names may appear as Host or as Origin's host.
  app.use('*', async (c, next) => {
    const problem = hostOrOriginProblem(c.req.header('host'), c.req.header('origin'), allowedHosts);
    if (problem) throw new HttpError(403, 'Forbidden', problem);
    await next();
  });

  // The token rule is the route table's (routes.ts `tokenRequired`).
  app.use('*', async (c, next) => {
    if (tokenRequired(c.req.method, c.req.path) && !presentsToken({ authorization: c.req.header('authorization') }, options.token)) {
      c.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'Unauthorized', 'a valid bearer token is required');
    }
    await next();
  });

  // Every row of the route table gets exactly one handler; the rows are registered in table order.
  const handlers = new Map<AdminRouteKey, RouteHandler>();
  const on = (key: AdminRouteKey, handler: RouteHandler) => {
    if (handlers.has(key)) throw new Error(`admin route ${key} has two handlers`);
    handlers.set(key, handler);
  };

  // Any body, however it is framed (content-length or chunked), must be JSON.
  app.use('/mcp/*', async (c, next) => {
    const length = c.req.header('content-length');
    const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && hasBody && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      // Read (and drop) what the client is still sending, so it gets the 415 instead of a reset socket.
      await drain(c.req.raw.body, MAX_BODY_BYTES);
      throw new HttpError(415, 'UnsupportedMediaType', 'request bodies must be application/json');
    }
    await next();
  });
  app.use(
    '/mcp/*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HttpError(413, 'PayloadTooLarge', `request bodies are limited to ${MAX_BODY_BYTES} bytes`); } }),
  );

  // The live view (DESIGN §14): a static page and bundle, no token (they hold no data); the page
  // reads /mcp/* with the token typed into it. The Host/Origin check above covers them too.
  const liveView = createLiveView({ version: packageVersion(), cluster: sb.cluster !== undefined });
  const view = (c: Context) => {
    const answer = liveView(c.req.path);
    if (!answer) throw new HttpError(404, 'NotFound', `no route for ${c.req.method} ${c.req.path}`);
    return c.body(typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body), answer.status as 200, answer.headers);
  };
  on('GET /', view);
  on('GET /view/:file', view);
  on('GET /api', (c) => c.html(indexPage(packageVersion())));
  on('GET /healthz', (c) => c.json({ status: 'ok' }));
  on('GET /readyz', (c) => (options.lifecycle.ready() ? c.json({ status: 'ready' }) : c.json({ status: options.lifecycle.accepting() ? 'starting' : 'stopping' }, 503)));

  /** The `:name` of a row's path (handlers take Hono's plain Context, whose params are untyped). */
  const nameParam = (c: Context): string => {
    const name = c.req.param('name');
    if (name === undefined || name === '') throw new HttpError(404, 'ServerNotFound', 'no server name in the path');
    return name;
  };
  const serverNamed = (name: string) => {
    const server = sb.getServer(name);
    if (!server) throw new HttpError(404, 'ServerNotFound', `no server named "${name}"`);
    return server;
  };
  on('GET /mcp/servers', (c) => c.json({ servers: sb.listServers().map((s) => ({ ...s, stderrTail: options.redact(s.stderrTail) })) }));
  on('GET /mcp/servers/:name', (c) => {
    const server = serverNamed(nameParam(c));
    return c.json({ ...server, stderrTail: options.redact(server.stderrTail) });
  });
  on('GET /mcp/servers/:name/tools', (c) => {
    const name = nameParam(c);
    serverNamed(name);
    return c.json({ tools: sb.listTools(name) });
  });
  on('GET /mcp/tools', (c) => {
    const server = c.req.query('server');
    if (server !== undefined) serverNamed(server);
    return c.json({ tools: sb.listTools(server) });
  });
  on('GET /mcp/tools/search', async (c) => {
    const server = c.req.query('server');
    if (server !== undefined) serverNamed(server);
    const limit = c.req.query('limit');
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new HttpError(400, 'InvalidRequest', 'limit must be a positive integer');
    return c.json({ tools: await sb.searchTools(c.req.query('q') ?? '', { limit: n, server }) });
  });
  on('GET /mcp/health', async (c) => {
    const reports = await health.get();
    const healthy = Object.values(reports).every((r) => r.ok);
    return c.json({ healthy, servers: reports }, healthy ? 200 : 503);
  });
  on('GET /mcp/circuit-breakers', (c) =>
    c.json({ breakers: Object.fromEntries(sb.listServers().filter((s) => s.breaker).map((s) => [s.name, s.breaker])) }),
  );
  on('POST /mcp/circuit-breakers/:name/reset', (c) => {
    const name = nameParam(c);
    serverNamed(name);
    sb.resetBreaker(name);
    return c.json({ ok: true, breaker: sb.getServer(name)?.breaker ?? null });
  });
  // Read from what this replica knows (never a round trip to Redis): it answers while Redis is down.
  on('GET /mcp/cluster', (c) => {
    const cluster = sb.cluster;
    if (!cluster) throw new HttpError(404, 'NotFound', 'no cluster is configured (no `cluster:` block): this process runs alone');
    return c.json(cluster.status());
  });
  on('POST /mcp/servers/:name/reconnect', (c) => {
    const name = nameParam(c);
    serverNamed(name);
    sb.reconnect(name);
    return c.json({ ok: true }, 202);
  });

  on('POST /mcp/call', async (c) => {
    if (!options.lifecycle.accepting()) throw new HttpError(503, 'Stopped', 'shutting down');
    const { data, raw } = await readBody(c, CallBodySchema);
    // The caller's object, not zod's copy: it keeps a `__proto__` key (see readBody).
    const args = raw.arguments as Record<string, unknown> | undefined;
    options.lifecycle.begin();
    try {
      return c.json(await sb.callTool(data.tool, args, requestOptions(data, c.req.raw.signal)));
    } finally {
      options.lifecycle.end();
    }
  });

  // Servers change through the config file only: no route adds one (a route that adds a stdio
  // server would let any token holder run commands on this host).
  on('POST /mcp/config/reload', async (c) => {
    const text = await c.req.text();
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'InvalidRequest', 'the body is not valid JSON');
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length > 0) {
        throw new HttpError(400, 'InvalidRequest', 'body: the reload takes no parameters (send no body or {}); it reads the config file again');
      }
    }
    if (!options.reload) throw new HttpError(501, 'NotSupported', 'this service was not started from a config file');
    return c.json(await options.reload());
  });

  addSurfaceRoutes(on, sb, { lifecycle: options.lifecycle, serverNamed });

  on('GET /mcp/events', (c) => {
    let off: () => void = () => undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const stream = new EventStream({
      maxQueuedBytes: options.maxQueuedEventBytes ?? MAX_QUEUED_EVENT_BYTES,
      disconnect: () => outgoingOf(c.env)?.destroy(),
      onClose: (reason) => {
        streams.delete(stream);
        clearInterval(heartbeat);
        off();
        if (reason === 'slow') options.logger?.log('warn', 'dropped an /mcp/events client that does not read', { maxQueuedBytes: options.maxQueuedEventBytes ?? MAX_QUEUED_EVENT_BYTES });
      },
    });
    streams.add(stream);
    // `id:` is the event's seq, the same number as in /mcp/history: a page that read the history skips what it has.
    off = history.subscribe((event) => stream.send(event.type, event.json, event.seq));
    heartbeat = setInterval(() => stream.send('heartbeat', '{}'), options.heartbeatMs ?? 15_000);
    stream.send('ready', '{}');
    return new Response(stream.body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
  });

  on('GET /mcp/history', (c) => c.json(history.snapshot()));

  on('GET /metrics', async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  for (const route of ROUTES) {
    if (route.path === '/mcp') continue; // the gateway, served beside this app (serve.ts)
    const key = routeKey(route) as AdminRouteKey;
    const handler = handlers.get(key);
    if (!handler) throw new Error(`admin route ${key} has no handler`);
    app.on(route.method, route.path, handler);
  }
  if (handlers.size !== ROUTES.filter((r) => r.path !== '/mcp').length) throw new Error('a handler was given for a route that is not in the table');

  return {
    app,
    close: () => {
      for (const close of closers.splice(0)) close();
    },
  };
}

/** The Node response behind a request served by `@hono/node-server` (`c.env.outgoing`), if any. */
function outgoingOf(env: unknown): { destroy(): void } | undefined {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing !== null && typeof outgoing === 'object' && typeof (outgoing as { destroy?: unknown }).destroy === 'function'
    ? (outgoing as { destroy(): void })
    : undefined;
}

/** Reads a request body up to `limit` bytes and drops it; a larger body is cut off. */
async function drain(body: ReadableStream<Uint8Array> | null, limit: number): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  try {
    while (read <= limit) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing left to answer.
  }
}
