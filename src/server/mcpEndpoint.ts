import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayHttpHandler } from '../gateway/index.js';
import { hostOrOriginProblem, presentsToken } from './guards.js';

/**
 * Streamable HTTP MCP at `/mcp` of `serve` (DESIGN §12), and at `/mcp/<profile>` for each gateway
 * profile (§18): the gateway's node:http handlers behind the admin API's own checks, in the order
 * the admin routes run them (Host and Origin first, then the bearer token), so a page on another
 * origin can neither read nor drive it and nobody without the token opens a session, or learns
 * which profiles exist. While the service stops, new requests get 503; POSTs in flight count as
 * in flight, so shutdown lets them finish within its grace period (a GET stream never finishes by
 * itself and is not counted).
 */

/** Options of `mcpEndpoint`. */
export interface McpEndpointOptions {
  /** The handler of `/mcp` (profile undefined) or of a profile's path; undefined for a profile the config does not have (404). */
  handlerFor(profile: string | undefined): GatewayHttpHandler | undefined;
  /** The profiles the config has, named in the 404 of an unknown one. */
  profiles(): string[];
  token: string;
  /** Accepted Host values (and Origin hosts), lower case. */
  allowedHosts: ReadonlySet<string>;
  lifecycle: { accepting(): boolean; begin(): void; end(): void };
}

/** The path the gateway answers on. */
export const MCP_PATH = '/mcp';

function refuse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: { code, message } }));
}

/** The request listener of `/mcp` and of `/mcp/<profile>` (`profile` given: routes.ts `profileOfPath`). */
export function mcpEndpoint(options: McpEndpointOptions): (req: IncomingMessage, res: ServerResponse, profile?: string) => void {
  return (req, res, profile) => {
    const problem = hostOrOriginProblem(req.headers.host, req.headers.origin, options.allowedHosts);
    if (problem) return refuse(res, 403, 'Forbidden', problem);
    if (!presentsToken(req.headers, options.token)) return refuse(res, 401, 'Unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    if (!options.lifecycle.accepting()) return refuse(res, 503, 'Stopped', 'shutting down', { 'retry-after': '5' });
    const handler = options.handlerFor(profile);
    if (!handler) {
      const known = options.profiles().map((p) => `"${p}"`).join(', ') || 'none';
      return refuse(res, 404, 'NotFound', `no gateway profile named "${profile}" (gateway.profiles has ${known})`);
    }
    if (req.method === 'POST') {
      options.lifecycle.begin();
      res.once('close', () => options.lifecycle.end());
    }
    void handler(req, res);
  };
}
