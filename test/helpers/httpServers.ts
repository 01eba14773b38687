import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
// @ts-expect-error plain JS fixture shared with the stdio child process
import { buildServer } from '../fixtures/demoTools.mjs';

/** A real MCP server on 127.0.0.1, with counters and switches for fault tests. */
export interface TestHttpServer {
  url: string;
  port: number;
  /** Every request received. */
  requests: number;
  /** tools/call requests received. */
  calls: number;
  /** tools/call requests whose socket is still open (a finished or aborted call's socket closes). */
  openCallSockets: number;
  /**
   * Switches: answer tools/call with HTTP 500; never answer initialize; refuse the GET stream
   * (405); answer every request with this status (401 or 403, with WWW-Authenticate) while set.
   */
  faults: { fail500: boolean; hangInit: boolean; noGetStream: boolean; authStatus: 0 | 401 | 403 };
  /** Forget every session (as a restart would). */
  dropSessions(): void;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The test's view of a running server: its URL, counters, fault switches and controls. */
function handle(
  server: Server,
  path: string,
  sessions: Map<string, { close(): Promise<void> }>,
  state: { requests: number; calls: number; callSockets: Set<unknown> },
  faults: TestHttpServer['faults'],
): TestHttpServer {
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    faults,
    get openCallSockets() {
      return state.callSockets.size;
    },
    get requests() {
      return state.requests;
    },
    get calls() {
      return state.calls;
    },
    dropSessions: () => {
      for (const t of sessions.values()) void t.close();
      sessions.clear();
    },
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      sessions.clear();
      await closeServer(server);
    },
  };
}

/** Remembers a tools/call request's socket until the socket closes. */
function trackCallSocket(req: IncomingMessage, sockets: Set<unknown>): void {
  const socket = req.socket;
  if (socket.destroyed || sockets.has(socket)) return;
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
}

/** Answers with the auth fault's status while it is set; true when it did. */
function refuseAuth(res: ServerResponse, faults: TestHttpServer['faults']): boolean {
  if (!faults.authStatus) return false;
  const challenge = faults.authStatus === 401 ? 'Bearer realm="test"' : 'Bearer error="insufficient_scope"';
  res.writeHead(faults.authStatus, { 'www-authenticate': challenge, 'content-type': 'text/plain' }).end('not authorized');
  return true;
}

/** A stateful streamable-HTTP server at `/mcp`, one McpServer per session. */
export async function startStreamableHttpServer(name: string, port = 0): Promise<TestHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const state = { requests: 0, calls: 0, callSockets: new Set<unknown>() };
  const faults: TestHttpServer['faults'] = { fail500: false, hangInit: false, noGetStream: false, authStatus: 0 };
  const server = await listen(async (req, res) => {
    state.requests++;
    try {
      if (refuseAuth(res, faults)) return;
      if (faults.noGetStream && req.method === 'GET') {
        res.writeHead(405, { allow: 'POST, DELETE' }).end();
        return;
      }
      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const method = (body as { method?: string } | undefined)?.method;
      if (method === 'tools/call') {
        state.calls++;
        trackCallSocket(req, state.callSockets);
      }
      if (faults.fail500 && method === 'tools/call') {
        res.writeHead(500).end('internal failure');
        return;
      }
      if (faults.hangInit && method === 'initialize') return;
      let transport = sessionId ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId || req.method !== 'POST') {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, created);
          },
        });
        created.onclose = () => {
          if (created.sessionId) sessions.delete(created.sessionId);
        };
        await buildServer(name).connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  }, port);
  return handle(server, '/mcp', sessions, state, faults);
}

/** A legacy SSE server: GET /sse opens the stream, POST /messages?sessionId= carries requests. */
export async function startSseServer(name: string, port = 0): Promise<TestHttpServer> {
  const sessions = new Map<string, SSEServerTransport>();
  const state = { requests: 0, calls: 0, callSockets: new Set<unknown>() };
  const faults: TestHttpServer['faults'] = { fail500: false, hangInit: false, noGetStream: false, authStatus: 0 };
  const server = await listen(async (req, res) => {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (refuseAuth(res, faults)) return;
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        sessions.set(transport.sessionId, transport);
        transport.onclose = () => sessions.delete(transport.sessionId);
        await buildServer(name).connect(transport);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/messages') {
        const transport = sessions.get(url.searchParams.get('sessionId') ?? '');
        if (!transport) {
          res.writeHead(404).end('unknown session');
          return;
        }
        await transport.handlePostMessage(req, res, await readJson(req));
        return;
      }
      res.writeHead(404).end();
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  }, port);
  return handle(server, '/sse', sessions, state, faults);
}

/** A raw (SDK-free) streamable-HTTP server in a child process: test/fixtures/rawHttpServer.mjs. */
export interface RawHttpServer {
  url: string;
  close(): Promise<void>;
}

/** Starts test/fixtures/rawHttpServer.mjs and waits for its port. */
export async function startRawHttpServer(): Promise<RawHttpServer> {
  const script = fileURLToPath(new URL('../fixtures/rawHttpServer.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`raw HTTP server exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
