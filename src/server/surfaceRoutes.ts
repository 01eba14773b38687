import type { Context } from 'hono';
import { z } from 'zod';
import type { Switchboard } from '../switchboard/switchboard.js';
import { readBody, requestOptions, ROUTING_FIELDS, SOURCE_FIELD } from './body.js';
import { HttpError } from './httpErrors.js';
import type { RouteRegistrar } from './routes.js';

/**
 * The admin API's routes for the client surface beyond tools (DESIGN §10): resources, templates,
 * subscriptions, prompts, completion and logging. Same rules as `/mcp/call`: strict JSON bodies (unknown keys
 * are a 400), errors through the one mapping, refused with 503 once shutdown began, counted as
 * in flight so shutdown waits for them, and cancelled when the caller disconnects.
 */

export interface SurfaceRouteDeps {
  lifecycle: { accepting(): boolean; begin(): void; end(): void };
  /** Throws 404 `ServerNotFound` for a name that is not configured. */
  serverNamed(name: string): unknown;
}

const ReadBodySchema = z.strictObject({ uri: z.string().min(1), ...ROUTING_FIELDS, ...SOURCE_FIELD });

const SubscribeBodySchema = z.strictObject({ uri: z.string().min(1), ...ROUTING_FIELDS });

const PromptBodySchema = z.strictObject({
  name: z.string().min(1),
  // MCP prompt arguments are strings.
  arguments: z.record(z.string(), z.string()).optional(),
  ...ROUTING_FIELDS,
  ...SOURCE_FIELD,
});

const CompleteBodySchema = z.strictObject({
  // References may carry more (a title): kept as sent.
  ref: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('ref/prompt'), name: z.string().min(1) }),
    z.looseObject({ type: z.literal('ref/resource'), uri: z.string().min(1) }),
  ]),
  argument: z.strictObject({ name: z.string(), value: z.string() }),
  context: z.strictObject({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
  ...ROUTING_FIELDS,
  ...SOURCE_FIELD,
});

const LOGGING_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
const LoggingBodySchema = z.strictObject({ level: z.enum(LOGGING_LEVELS), ...ROUTING_FIELDS });

/** Adds the surface routes' handlers to the admin app's table (`on` takes a row of ROUTES). */
export function addSurfaceRoutes(on: RouteRegistrar, sb: Switchboard, deps: SurfaceRouteDeps): void {
  /** `?server=` of a listing: undefined when absent, 404 when not configured. */
  const serverQuery = (c: Context): string | undefined => {
    const server = c.req.query('server');
    if (server !== undefined) deps.serverNamed(server);
    return server;
  };

  /** Runs one admitted request: refused once shutdown began, counted while in flight. */
  const admitted = async <S extends z.ZodType, T>(c: Context, schema: S, work: (body: z.output<S>, raw: Record<string, unknown>, signal: AbortSignal) => Promise<T>) => {
    if (!deps.lifecycle.accepting()) throw new HttpError(503, 'Stopped', 'shutting down');
    const { data, raw } = await readBody(c, schema);
    deps.lifecycle.begin();
    try {
      // The request's signal aborts when the caller disconnects: the request is cancelled.
      return c.json((await work(data, raw, c.req.raw.signal)) as object);
    } finally {
      deps.lifecycle.end();
    }
  };

  on('GET /mcp/resources', (c) => c.json({ resources: sb.listResources(serverQuery(c)) }));
  on('GET /mcp/resource-templates', (c) => c.json({ resourceTemplates: sb.listResourceTemplates(serverQuery(c)) }));
  on('GET /mcp/prompts', (c) => c.json({ prompts: sb.listPrompts(serverQuery(c)) }));

  on('POST /mcp/resources/read', (c) => admitted(c, ReadBodySchema, (body, _raw, signal) => sb.readResource(body.uri, requestOptions(body, signal))));
  // The service holds one subscription per (uri, server as given) until unsubscribed or stopped;
  // updates arrive as `resource.updated` on /mcp/events.
  // The pending subscribe is stored at once, so two concurrent subscribes share it.
  const subscriptions = new Map<string, Promise<() => Promise<void>>>();
  const subscriptionKey = (body: { uri: string; server?: string | undefined }) => JSON.stringify([body.uri, body.server ?? null]);
  on('POST /mcp/resources/subscribe', (c) =>
    admitted(c, SubscribeBodySchema, async (body, _raw, signal) => {
      const key = subscriptionKey(body);
      let subscribing = subscriptions.get(key);
      if (!subscribing) {
        subscribing = sb.subscribeResource(body.uri, requestOptions(body, signal));
        subscriptions.set(key, subscribing);
        subscribing.catch(() => subscriptions.delete(key));
      }
      await subscribing;
      return { ok: true, subscribed: true };
    }),
  );
  on('POST /mcp/resources/unsubscribe', (c) =>
    admitted(c, SubscribeBodySchema, async (body) => {
      const key = subscriptionKey(body);
      const subscribing = subscriptions.get(key);
      if (!subscribing) throw new HttpError(404, 'NotSubscribed', `this service holds no subscription to "${body.uri}"${body.server ? ` on "${body.server}"` : ''}`);
      subscriptions.delete(key);
      const off = await subscribing.catch(() => null);
      await off?.();
      return { ok: true, subscribed: false };
    }),
  );
  on('POST /mcp/prompts/get', (c) =>
    admitted(c, PromptBodySchema, (body, raw, signal) => sb.getPrompt(body.name, raw.arguments as Record<string, string> | undefined, requestOptions(body, signal))),
  );
  on('POST /mcp/complete', (c) =>
    admitted(c, CompleteBodySchema, (body, _raw, signal) => {
      const params: Parameters<Switchboard['complete']>[0] = { ref: body.ref, argument: body.argument };
      if (body.context) params.context = body.context;
      return sb.complete(params, requestOptions(body, signal));
    }),
  );
  on('POST /mcp/logging', (c) =>
    admitted(c, LoggingBodySchema, async (body, _raw, signal) => {
      await sb.setLogLevel(body.level, requestOptions(body, signal));
      return { ok: true };
    }),
  );
}
