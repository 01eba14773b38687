import type { Context } from 'hono';

/**
 * The admin API's routes in one table. It drives everything: the app registers one handler per
 * row (a row without a handler does not compile), the bearer-token rule is the row's `token`, the
 * page at `/api` lists the rows, and a wrong method on a known path answers 405 with the `Allow`
 * header built from them. `/mcp` itself (the gateway) is served beside the app by `serve`, and so
 * is `/mcp/<profile>` (`PROFILE_ROUTES`, a gateway profile, DESIGN §18): a path under `/mcp/` that
 * is not an admin route.
 */

export interface RouteInfo {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  what: string;
  /** Whether the bearer token is required. */
  token: boolean;
}

export const ROUTES = [
  { method: 'GET', path: '/', what: 'the live view, an operator\'s console: summary, servers, statecharts, history, try a tool (the page asks for the token)', token: false },
  { method: 'GET', path: '/view/:file', what: "the live view's script, stylesheet and statecharts (app.js, app.css, machines.json)", token: false },
  { method: 'GET', path: '/api', what: 'this page', token: false },
  { method: 'GET', path: '/healthz', what: 'liveness: { status }', token: false },
  { method: 'GET', path: '/readyz', what: 'readiness: 200 once started, 503 while starting or stopping', token: false },
  { method: 'GET', path: '/mcp/servers', what: 'every server with its state, lastError and stderr tail', token: true },
  { method: 'GET', path: '/mcp/servers/:name', what: 'one server as getServer shows it (404 ServerNotFound)', token: true },
  { method: 'GET', path: '/mcp/servers/:name/tools', what: "one server's tools", token: true },
  { method: 'GET', path: '/mcp/tools', what: 'every tool with its server, qualified name and availability (?server=S for one)', token: true },
  { method: 'GET', path: '/mcp/tools/search', what: 'tool search, best first: ?q=Q (&limit=N, at most 100; &server=S)', token: true },
  { method: 'GET', path: '/mcp/resources', what: 'every resource with its server (?server=S for one)', token: true },
  { method: 'GET', path: '/mcp/resource-templates', what: 'every resource template with its server (?server=S for one)', token: true },
  { method: 'POST', path: '/mcp/resources/read', what: 'read a resource: { uri, server?, timeoutMs?, source? }', token: true },
  { method: 'POST', path: '/mcp/resources/subscribe', what: 'subscribe to a resource (resource.updated on /mcp/events): { uri, server? }', token: true },
  { method: 'POST', path: '/mcp/resources/unsubscribe', what: 'end that subscription: { uri, server? }', token: true },
  { method: 'GET', path: '/mcp/prompts', what: 'every prompt with its server, qualified name and availability (?server=S for one)', token: true },
  { method: 'POST', path: '/mcp/prompts/get', what: 'get a prompt: { name, arguments?, server?, timeoutMs?, source? }', token: true },
  { method: 'POST', path: '/mcp/complete', what: 'complete an argument: { ref, argument, context?, server?, timeoutMs?, source? }', token: true },
  { method: 'POST', path: '/mcp/logging', what: 'set servers\' log level: { level, server?, timeoutMs? }', token: true },
  { method: 'GET', path: '/mcp/health', what: 'live ping of every server (cached up to 1 s)', token: true },
  { method: 'POST', path: '/mcp/call', what: 'call a tool: { tool, arguments?, server?, timeoutMs?, source? } (source: a label carried in call.completed)', token: true },
  { method: 'GET', path: '/mcp/circuit-breakers', what: "every server's circuit breaker", token: true },
  { method: 'POST', path: '/mcp/circuit-breakers/:name/reset', what: 'close one breaker', token: true },
  { method: 'POST', path: '/mcp/servers/:name/reconnect', what: 'reconnect one server now', token: true },
  { method: 'GET', path: '/mcp/cluster', what: "this replica's cluster: { name, redis: 'up' | 'down', self, leader, replicas: [{ id, lastSeenMs }] } (404 NotFound without a cluster: block)", token: true },
  { method: 'POST', path: '/mcp/config/reload', what: 'reload the config file: { added, removed, changed, unchanged }, or 400 ConfigError with issues (what runs is unchanged)', token: true },
  { method: 'GET', path: '/mcp/events', what: 'server-sent events: state, breaker, catalogs, resource updates, calls, logs, errors (each with id: its seq in /mcp/history)', token: true },
  { method: 'GET', path: '/mcp/history', what: 'recent events, calls and per-server activity kept by the service (bounded; no arguments or results)', token: true },
  { method: 'POST', path: '/mcp', what: 'streamable HTTP MCP (the gateway): initialize opens a session, later requests carry its Mcp-Session-Id', token: true },
  { method: 'GET', path: '/mcp', what: "a gateway session's stream of server-to-client messages", token: true },
  { method: 'DELETE', path: '/mcp', what: 'end a gateway session', token: true },
  { method: 'GET', path: '/metrics', what: 'Prometheus metrics', token: true },
] as const satisfies readonly RouteInfo[];

/**
 * A gateway profile's MCP endpoint (DESIGN §18): the same as `/mcp` (token, Host/Origin checks,
 * bounds), for the servers and tools of `gateway.profiles.<profile>`. Served by `serve` beside the
 * admin app, like `/mcp`; an unknown profile is 404. A profile named like an admin route under
 * `/mcp/` (`RESERVED_PROFILE_NAMES`) is not served here: the admin route answers.
 */
export const PROFILE_ROUTES = [
  { method: 'POST', path: '/mcp/:profile', what: "streamable HTTP MCP of a gateway profile (gateway.profiles): only its servers' tools, prompts and resources", token: true },
  { method: 'GET', path: '/mcp/:profile', what: "a gateway profile session's stream of server-to-client messages", token: true },
  { method: 'DELETE', path: '/mcp/:profile', what: 'end a gateway profile session', token: true },
] as const satisfies readonly RouteInfo[];

/** The first path segments under `/mcp/` that admin routes use: no profile is served at these. */
export const RESERVED_PROFILE_NAMES: ReadonlySet<string> = new Set(
  ROUTES.map((route) => /^\/mcp\/([^/:]+)/.exec(route.path)?.[1]).filter((segment): segment is string => segment !== undefined),
);

/** A profile path segment: the characters a profile name may have (`PROFILE_NAME` in the config schema). */
const PROFILE_SEGMENT = /^\/mcp\/([A-Za-z0-9_-]{1,32})$/;

/**
 * The profile a request path names (`/mcp/<profile>`, no query), or undefined when the path is
 * not a profile's: `/mcp` itself, an admin route, or no single segment of profile characters.
 */
export function profileOfPath(path: string): string | undefined {
  const segment = PROFILE_SEGMENT.exec(path)?.[1];
  return segment === undefined || RESERVED_PROFILE_NAMES.has(segment) ? undefined : segment;
}

type Row = (typeof ROUTES)[number];
/** A row's key, `METHOD path` as in the table: `GET /mcp/servers/:name`. */
export type RouteKey = `${Row['method']} ${Row['path']}`;
/** The rows the admin app serves (every row but the gateway's `/mcp`). */
export type AdminRouteKey = Exclude<RouteKey, `${string} /mcp`>;

/** A handler of one row (Hono's). */
export type RouteHandler = (c: Context) => Response | Promise<Response>;
/** Gives a row of ROUTES its handler. */
export type RouteRegistrar = (key: AdminRouteKey, handler: RouteHandler) => void;

export function routeKey(route: { method: string; path: string }): RouteKey {
  return `${route.method} ${route.path}` as RouteKey;
}

const matchers = ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/:[a-z]+/g, '[^/]+')}/?$`),
}));

/**
 * Whether a request needs the bearer token, by the table: the row of its method and path decides;
 * a known path with another method (a 405) needs it when any row of that path does; an unknown
 * path under the API's `/mcp/` namespace needs it too, so that a client without the token learns
 * nothing of the table (401 before 404).
 */
export function tokenRequired(method: string, path: string): boolean {
  const wanted = method === 'HEAD' ? 'GET' : method;
  let known = false;
  let anyToken = false;
  for (const { route, pattern } of matchers) {
    if (!pattern.test(path)) continue;
    if (route.method === wanted) return route.token;
    known = true;
    anyToken ||= route.token;
  }
  return known ? anyToken : path.startsWith('/mcp/');
}

/** The methods a known path accepts (GET implies HEAD), or an empty list for an unknown path. */
export function allowedMethods(path: string): string[] {
  const methods = new Set<string>();
  for (const { route, pattern } of matchers) {
    if (!pattern.test(path)) continue;
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
  }
  return [...methods];
}
