import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { SwitchboardEventType } from '../events.js';
import type { HealthReport } from '../health.js';
import type { Switchboard } from '../switchboard.js';
import { tokenMatches } from './auth.js';
import { errorResponse, HttpError } from './httpErrors.js';
import { createMetrics } from './metrics.js';

/** 1 MiB: the largest JSON body the admin API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

const PUBLIC_EVENTS: SwitchboardEventType[] = ['server.stateChanged', 'breaker.stateChanged', 'tools.changed', 'call.completed'];

export interface AdminAppOptions {
  token: string;
  /** Host names accepted in the Host header besides the bind address (DNS-rebinding guard). */
  allowedHosts: string[];
  /** Heartbeat interval of `/mcp/events`. Defaults to 15 000 ms. */
  heartbeatMs?: number;
  redact(text: string): string;
  /** Called around each tool call so shutdown can wait for in-flight calls. */
  lifecycle: { accepting(): boolean; ready(): boolean; begin(): void; end(): void };
}

const CallBodySchema = z.strictObject({
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).optional(),
  server: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
});

/** The admin HTTP API of DESIGN §7 as a Hono app; `close()` releases its subscriptions. */
export function createAdminApp(sb: Switchboard, options: AdminAppOptions): { app: Hono; close(): void } {
  const app = new Hono();
  const metrics = createMetrics(sb);
  const allowedHosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  let healthCache: { at: number; body: Record<string, HealthReport> } | null = null;
  const closers: (() => void)[] = [() => metrics.close()];

  const fail = (c: Context, error: unknown) => {
    const { status, body, headers } = errorResponse(error, options.redact);
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    return c.json(body, status as 400);
  };

  app.onError((error, c) => fail(c, error));
  app.notFound((c) => fail(c, new HttpError(404, 'NotFound', `no route for ${c.req.method} ${c.req.path}`)));

  // DNS rebinding: only the bind address (or configured names) may appear as Host or Origin.
  app.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (!allowedHosts.has(host)) throw new HttpError(403, 'Forbidden', 'Host header not allowed');
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        // An unparseable Origin is refused like a foreign one.
      }
      if (!allowedHosts.has(originHost)) throw new HttpError(403, 'Forbidden', 'Origin not allowed');
    }
    await next();
  });

  const requireToken = async (c: Context, next: () => Promise<void>) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !tokenMatches(match[1]!.trim(), options.token)) {
      c.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'Unauthorized', 'a valid bearer token is required');
    }
    await next();
  };
  app.use('/mcp/*', requireToken);
  app.use('/metrics', requireToken);

  app.use('/mcp/*', async (c, next) => {
    if (c.req.method === 'POST' && (c.req.header('content-length') ?? '0') !== '0') {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'UnsupportedMediaType', 'request bodies must be application/json');
    }
    await next();
  });
  app.use(
    '/mcp/*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HttpError(413, 'PayloadTooLarge', `request bodies are limited to ${MAX_BODY_BYTES} bytes`); } }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => (options.lifecycle.ready() ? c.json({ status: 'ready' }) : c.json({ status: options.lifecycle.accepting() ? 'starting' : 'stopping' }, 503)));

  app.get('/mcp/servers', (c) => c.json({ servers: sb.listServers().map((s) => ({ ...s, stderrTail: options.redact(s.stderrTail) })) }));
  app.get('/mcp/servers/:name/tools', (c) => {
    const name = c.req.param('name');
    if (!sb.getServer(name)) throw new HttpError(404, 'ServerNotFound', `no server named "${name}"`);
    return c.json({ tools: sb.listTools(name) });
  });
  app.get('/mcp/tools', (c) => c.json({ tools: sb.listTools() }));
  app.get('/mcp/health', async (c) => {
    if (!healthCache || Date.now() - healthCache.at > 1_000) healthCache = { at: Date.now(), body: await sb.health() };
    const healthy = Object.values(healthCache.body).every((r) => r.ok);
    return c.json({ healthy, servers: healthCache.body }, healthy ? 200 : 503);
  });
  app.get('/mcp/circuit-breakers', (c) =>
    c.json({ breakers: Object.fromEntries(sb.listServers().filter((s) => s.breaker).map((s) => [s.name, s.breaker])) }),
  );
  app.post('/mcp/circuit-breakers/:name/reset', (c) => {
    const name = c.req.param('name');
    sb.resetBreaker(name);
    return c.json({ ok: true, breaker: sb.getServer(name)!.breaker });
  });
  app.post('/mcp/servers/:name/reconnect', (c) => {
    sb.reconnect(c.req.param('name'));
    return c.json({ ok: true }, 202);
  });

  app.post('/mcp/call', async (c) => {
    if (!options.lifecycle.accepting()) throw new HttpError(503, 'Stopped', 'shutting down');
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new HttpError(400, 'InvalidRequest', 'the body is not valid JSON');
    }
    const parsed = CallBodySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, 'InvalidRequest', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { tool, arguments: args, server, timeoutMs } = parsed.data;
    options.lifecycle.begin();
    try {
      const callOptions: Parameters<Switchboard['callTool']>[2] = { signal: c.req.raw.signal };
      if (server !== undefined) callOptions.server = server;
      if (timeoutMs !== undefined) callOptions.timeoutMs = timeoutMs;
      return c.json(await sb.callTool(tool, args, callOptions));
    } finally {
      options.lifecycle.end();
    }
  });

  app.get('/mcp/events', (c) =>
    streamSSE(c, async (stream) => {
      const offs = PUBLIC_EVENTS.map((type) =>
        sb.on(type, (event: unknown) => {
          void stream.writeSSE({ event: type, data: options.redact(JSON.stringify(event)) });
        }),
      );
      const heartbeat = setInterval(() => void stream.writeSSE({ event: 'heartbeat', data: '{}' }), options.heartbeatMs ?? 15_000);
      const done = new Promise<void>((resolve) => {
        stream.onAbort(() => resolve());
        closers.push(() => resolve());
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      await done;
      clearInterval(heartbeat);
      for (const off of offs) off();
    }),
  );

  app.get('/metrics', async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  return {
    app,
    close: () => {
      for (const close of closers.splice(0)) close();
    },
  };
}
