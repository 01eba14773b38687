import { createServer, request, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingMessageNotificationSchema, PingRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGateway, createGatewayHttpHandler, createGatewayRouter, type GatewayHttpOptions } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { Logger } from '../../src/core/logger.js';
import { until } from '../helpers/switchboard.js';

/**
 * `/mcp` under hostile clients (issue 18): a client that stops reading its GET stream or its
 * POST's SSE answer, clients that leave without DELETE, a body that is too large. A real
 * node:http server on 127.0.0.1 port 0 mounts the handler; an in-memory upstream floods logs.
 */

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function upstream(): McpServer {
  const server = new McpServer({ name: 'up', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('flood', { inputSchema: { count: z.number(), size: z.number() } }, async ({ count, size }) => {
    const filler = 'x'.repeat(size);
    for (let i = 0; i < count; i++) {
      await server.server.sendLoggingMessage({ level: 'info', data: `${i} ${filler}` });
      // A turn of the event loop per line: the reading client, in this same process, keeps up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { content: [{ type: 'text', text: `sent ${count}` }] };
  });
  server.registerTool('big', { inputSchema: { size: z.number() } }, async ({ size }) => ({ content: [{ type: 'text', text: 'z'.repeat(size) }] }));
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

interface Served {
  sb: Switchboard;
  url: URL;
  port: number;
  warnings: string[];
  handler: ReturnType<typeof createGatewayHttpHandler>;
  connect(): Promise<Client>;
}

async function serve(options: GatewayHttpOptions = {}, config: Record<string, unknown> = {}): Promise<Served> {
  const router = createGatewayRouter();
  const transports = {
    up: async () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      await upstream().connect(server);
      return client;
    },
  };
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } }, ...config } as never, { transports, handlers: router.handlers });
  const warnings: string[] = [];
  const logger: Logger = { log: (level, message) => void (level === 'warn' && warnings.push(message)) };
  const gateway = createGateway(sb, { router, logger });
  await sb.start();
  const handler = createGatewayHttpHandler(gateway, options);
  const http: HttpServer = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const clients: Client[] = [];
  stops.push(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await handler.close();
    await gateway.close();
    await sb.stop();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const connect = async () => {
    const client = new Client({ name: 'host', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url));
    clients.push(client);
    return client;
  };
  return { sb, url, port, warnings, handler, connect };
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** A client by hand: initialize, initialized, then requests by POST; returns its session id. */
async function rawSession(url: URL): Promise<{ id: string; post(body: unknown): Promise<Response> }> {
  const init = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
  expect(init.status).toBe(200);
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  const post = (body: unknown) => fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return { id, post };
}

/** A request whose response the client does not read (paused as soon as the headers arrive). */
function stalledRequest(port: number, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method, headers }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('/mcp under hostile clients', () => {
  it('drops notifications on the GET stream of a client that stopped reading, warns, and keeps the other client fed', async () => {
    const { url, port, warnings, connect } = await serve({ maxBufferedBytes: 65_536 });
    const reader = await connect();
    let read = 0;
    let big = 0;
    reader.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      read++;
      if (String(n.params.data).length > 1_000) big++;
    });
    await reader.setLoggingLevel('debug');
    const slow = await rawSession(url);
    await slow.post({ jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'debug' } }).then((r) => r.text());
    const stream = await stalledRequest(port, 'GET', { accept: 'text/event-stream', 'mcp-session-id': slow.id, 'mcp-protocol-version': '2025-06-18' });
    expect(stream.statusCode).toBe(200);
    // The reader's GET stream opens after initialize: wait until one log reaches it.
    for (let i = 0; read === 0 && i < 100; i++) await reader.callTool({ name: 'up__flood', arguments: { count: 1, size: 1 } });
    const done = await reader.callTool({ name: 'up__flood', arguments: { count: 2_000, size: 10_000 } });
    expect(done.content).toEqual([{ type: 'text', text: 'sent 2000' }]);
    await until(() => big === 2_000, 20_000, 'every log at the reading client');
    expect(warnings.filter((w) => /is not reading; dropping notifications past 65536 queued bytes/.test(w))).toEqual([
      'gateway: /mcp client #2 (GET stream) is not reading; dropping notifications past 65536 queued bytes (gateway.maxBufferedBytes)',
    ]);
    let received = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (received += chunk));
    stream.resume();
    await until(() => warnings.some((w) => /caught up; \d+ notification\(s\) were dropped/.test(w)), 20_000, 'the slow client to catch up');
    expect(received.split('"method":"notifications/message"').length - 1).toBeLessThan(2_000);
    // Its requests are still answered.
    const answer = await slow.post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'up__echo', arguments: { text: 'still here' } } });
    expect(await answer.text()).toContain('still here');
    stream.destroy();
  });

  it('closes a POST stream whose client does not read its responses', async () => {
    const { url, port, warnings } = await serve({ maxBufferedBytes: 65_536, maxMessageBytes: 262_144 });
    const slow = await rawSession(url);
    const batch = Array.from({ length: 60 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'up__big', arguments: { size: 200_000 } } }));
    const response = await stalledRequest(port, 'POST', { ...HEADERS, 'mcp-session-id': slow.id, 'mcp-protocol-version': '2025-06-18' }, JSON.stringify(batch));
    const ended = new Promise<void>((resolve) => response.once('close', () => resolve()));
    await until(() => warnings.some((w) => /POST stream\) has not read \d+ bytes of responses; closing the stream/.test(w)), 20_000, 'the stream to be closed');
    response.resume();
    await ended;
    const answer = await slow.post({ jsonrpc: '2.0', id: 100, method: 'tools/call', params: { name: 'up__echo', arguments: { text: 'next' } } });
    expect(await answer.text()).toContain('next');
  });

  it('expires idle sessions on a timer, counts live sessions only, and tells a refused client when to retry', async () => {
    const { url, handler, connect } = await serve({ maxSessions: 3, idleMs: 400 });
    // Clients that list and leave without DELETE.
    for (let i = 0; i < 3; i++) {
      const client = await connect();
      await client.listTools();
      await client.close();
    }
    expect(handler.sessionCount).toBe(3);
    const refused = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32000, message: expect.stringMatching(/too many MCP sessions \(3, gateway\.maxSessions\); retry in 1 s/) } });
    // No new session is needed to sweep them.
    await until(() => handler.sessionCount === 0, 5_000, 'the idle sessions to expire');
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__echo');
  });

  it('expires sessions whose clients hold a GET stream open without reading, and says when the first one can expire', async () => {
    const { url, port, handler, connect } = await serve({ maxSessions: 2, idleMs: 1_500 });
    const held: IncomingMessage[] = [];
    for (let i = 0; i < 2; i++) {
      const { id } = await rawSession(url);
      // The GET stream: open, never read, never answered.
      held.push(await stalledRequest(port, 'GET', { accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' }));
    }
    stops.push(async () => void held.forEach((res) => res.destroy()));
    const refused = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    await refused.text();
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    await until(() => handler.sessionCount === 0, 10_000, 'the sessions of silent GET streams to expire');
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__echo');
  });

  it('cuts off requests whose body never finishes, so they hold no slot: before a session exists and inside one', async () => {
    const { url, port, handler, connect, warnings } = await serve({ maxSessions: 2, idleMs: 60_000, bodyTimeoutMs: 300 });
    const { connect: connectSocket } = await import('node:net');
    /** A POST that declares a body and sends only its first bytes. */
    const trickle = (headers: Record<string, string>) =>
      new Promise<import('node:net').Socket>((resolve) => {
        const body = JSON.stringify(INITIALIZE);
        const socket = connectSocket(port, '127.0.0.1', () => {
          const lines = Object.entries({ ...HEADERS, ...headers, host: `127.0.0.1:${port}`, 'content-length': String(body.length) }).map(([k, v]) => `${k}: ${v}`);
          socket.write(`POST /mcp HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body.slice(0, 20)}`);
          resolve(socket);
        });
        socket.on('error', () => undefined);
      });
    const closed = (socket: import('node:net').Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
    // One session that then stalls a request inside it, and one initialize that never finishes its body.
    const { id } = await rawSession(url);
    const inside = await trickle({ 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' });
    const opening = await trickle({});
    stops.push(async () => void [inside, opening].forEach((s) => s.destroy()));
    await Promise.all([closed(inside), closed(opening)]);
    expect(warnings.filter((w) => /did not arrive within 300 ms/.test(w))).toHaveLength(2);
    // Both slots are usable again: the stalled initialize holds none, and a second client fits beside the first session.
    expect(handler.sessionCount).toBe(1);
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__echo');
  });

  it('tells a refused client the idle time left of the session closest to expiry, a held GET stream notwithstanding', async () => {
    let clock = 1_000_000;
    const { url, port, handler } = await serve({ maxSessions: 1, idleMs: 10_000, now: () => clock });
    const { id } = await rawSession(url);
    const held = await stalledRequest(port, 'GET', { accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' });
    stops.push(async () => void held.destroy());
    clock += 7_000;
    const refused = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('3');
    await refused.text();
    clock += 3_000;
    const admitted = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(admitted.status).toBe(200);
    await admitted.text();
    expect(handler.sessionCount).toBe(1);
  });

  it('keeps the session of a client that reads its GET stream and answers the keep-alive pings, past idleMs', async () => {
    const { handler, connect } = await serve({ idleMs: 400 });
    const client = await connect();
    let pings = 0;
    client.setRequestHandler(PingRequestSchema, () => {
      pings++;
      return {};
    });
    // 200 ms apart: six pings span three idle periods without a request of the client's own.
    await until(() => pings >= 6, 10_000, 'six keep-alive pings');
    expect(handler.sessionCount).toBe(1);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__echo');
  });

  it('answers a POST body over maxMessageBytes with 413 and a JSON-RPC error, and garbage with -32700', async () => {
    const { url } = await serve({ maxMessageBytes: 4_096 });
    const padded = { ...INITIALIZE, params: { ...INITIALIZE.params, clientInfo: { name: 'x'.repeat(10_000), version: '1' } } };
    const tooLarge = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(padded) });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000, message: expect.stringMatching(/Payload Too Large.*4096 bytes/) } });
    const session = await rawSession(url);
    const call = await session.post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'up__echo', arguments: { text: 'y'.repeat(10_000) } } });
    expect(call.status).toBe(413);
    await call.text();
    const garbage = await session.post('{ not json');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: { code: -32700 } });
    const fine = await session.post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'up__echo', arguments: { text: 'small' } } });
    expect(await fine.text()).toContain('small');
  });

  it('takes its bounds from the config\'s gateway block when none are given', async () => {
    const { url, connect } = await serve({}, { gateway: { maxSessions: 1, maxMessageBytes: 4_096 } });
    await connect();
    const refused = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await refused.text();
  });
});
