import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Switchboard } from '../../src/switchboard/switchboard.js';
import { createLiveView } from '../../src/view/router.js';

/**
 * A small stand-in for `serve` while the admin app is being changed elsewhere: the live view's
 * routes plus the few admin routes the page reads, over a real `Switchboard`, with the same kind
 * of checks (Host/Origin on every request, bearer token on `/mcp/*`). It records every request
 * line and whether it carried the token, so a test can prove the token never enters a URL.
 */

export interface ViewHarness {
  url: string;
  /** Every request as `METHOD path?query`, and whether it presented the token in a header. */
  requests: { line: string; bearer: boolean }[];
  close(): Promise<void>;
}

const EVENTS = ['server.stateChanged', 'breaker.stateChanged', 'tools.changed', 'call.completed', 'server.log', 'error'] as const;

export async function startViewHarness(sb: Switchboard, token: string, assetsDir: string): Promise<ViewHarness> {
  const route = createLiveView({ assetsDir, version: 'test' });
  const requests: ViewHarness['requests'] = [];
  const streams = new Set<ServerResponse>();
  let allowed = new Set<string>();

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const bearer = req.headers.authorization === `Bearer ${token}`;
    requests.push({ line: `${req.method} ${req.url}`, bearer });
    const origin = req.headers.origin;
    if (!allowed.has(String(req.headers.host)) || (origin !== undefined && !allowed.has(new URL(origin).host))) return json(res, 403, { error: { code: 'Forbidden', message: 'Host or Origin not allowed' } });
    if (!url.pathname.startsWith('/mcp/')) {
      const answer = req.method === 'GET' ? route(url.pathname) : null;
      if (!answer) return json(res, 404, { error: { code: 'NotFound', message: 'no route' } });
      res.writeHead(answer.status, answer.headers);
      return res.end(answer.body);
    }
    if (!bearer) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, { error: { code: 'Unauthorized', message: 'a valid bearer token is required' } });
    }
    const reconnect = /^\/mcp\/servers\/([^/]+)\/reconnect$/.exec(url.pathname);
    const reset = /^\/mcp\/circuit-breakers\/([^/]+)\/reset$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/mcp/servers') return json(res, 200, { servers: sb.listServers() });
    if (req.method === 'GET' && url.pathname === '/mcp/tools') return json(res, 200, { tools: sb.listTools() });
    if (req.method === 'POST' && reconnect) {
      sb.reconnect(decodeURIComponent(reconnect[1]!));
      return json(res, 202, { ok: true });
    }
    if (req.method === 'POST' && reset) {
      sb.resetBreaker(decodeURIComponent(reset[1]!));
      return json(res, 200, { ok: true });
    }
    if (req.method === 'GET' && url.pathname === '/mcp/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const offs = EVENTS.map((type) => sb.on(type, (event: unknown) => res.write(`event: ${type}\ndata: ${JSON.stringify(event)}\n\n`)));
      streams.add(res);
      res.on('close', () => {
        streams.delete(res);
        for (const off of offs) off();
      });
      res.write('event: ready\ndata: {}\n\n');
      return;
    }
    return json(res, 404, { error: { code: 'NotFound', message: 'no route' } });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: async () => {
      for (const res of streams) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
