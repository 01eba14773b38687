// The benchmark MCP server of the modern era (DESIGN §9.4): the same tools and work as
// benchServer.mjs (`echo` plus tool_0..tool_9) on @modelcontextprotocol/server 2.x, which serves
// 2026-07-28 and 2025-11-25 from one factory (the era is picked by the opening message).
//   node bench/benchServerV2.mjs stdio     serve over stdio (the SDK's era-picking `serveStdio`)
//   node bench/benchServerV2.mjs http      serve streamable HTTP on 127.0.0.1:0, print "PORT <n>"
// With a wire log (`... stdio <file>`) every process appends "<pid> start" once and "<pid> <method>" per
// request it receives, so the connect row can count processes and round trips from the server's
// side; without it nothing is counted (the per-call rows measure the plain server).
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { InMemoryTransport, McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

// Bundled into bench/lib/measure.bundle.mjs too: only the server's own process reads its arguments.
const main = /benchServerV2\.mjs$/.test(process.argv[1] ?? '');
const wireLog = main ? process.argv[3] : undefined;
/** Appends one line to the wire log (sync: the connect row reads it right after the client's await). */
const logWire = wireLog ? (what) => appendFileSync(wireLog, `${process.pid} ${what}\n`) : undefined;

/** One v2 server instance with the benchmark's tools (the same answers as benchServer.mjs). */
export function buildBenchServerV2(name = 'bench') {
  const server = new McpServer({ name, version: '2.0.0' });
  server.registerTool('echo', { description: 'Echoes', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  for (let i = 0; i < 10; i++) {
    server.registerTool(`tool_${i}`, { description: `Tool ${i}`, inputSchema: z.object({ n: z.number().optional() }) }, async () => ({ content: [{ type: 'text', text: String(i) }] }));
  }
  return server;
}

/** Shows `observe` every inbound message of `transport` (serveStdio installs its handler before start). */
function observeInbound(transport, observe) {
  const start = transport.start.bind(transport);
  transport.start = async () => {
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      observe(message);
      deliver?.(message, extra);
    };
    await start();
  };
  return transport;
}

/**
 * Serves the benchmark server on `transport` the way a stdio child does: the SDK's era-picking
 * entry (both eras, one instance per connection), so a client's `server/discover` or `initialize`
 * is answered in memory exactly as over stdio. `observe` (optional) sees every inbound message.
 */
export function serveBenchV2(transport, observe) {
  return serveStdio(() => buildBenchServerV2(), { transport: observe ? observeInbound(transport, observe) : transport, legacy: 'serve' });
}

/** A linked in-memory pair: the client end, its server end already served. */
export function benchV2Memory(observe) {
  const [client, server] = InMemoryTransport.createLinkedPair();
  serveBenchV2(server, observe);
  return client;
}

const mode = main ? process.argv[2] : undefined;
if (mode === 'stdio') {
  logWire?.('start');
  serveBenchV2(new StdioServerTransport(), logWire && ((message) => message.method && message.id !== undefined && logWire(message.method)));
  process.stdin.on('end', () => process.exit(0));
} else if (mode === 'http') {
  logWire?.('start');
  // Stateless on the legacy leg, per request on the modern one: the v2 package's HTTP entry.
  const handler = createMcpHandler(() => buildBenchServerV2(), { legacy: 'stateless', keepAliveMs: 0 });
  const listener = getRequestListener((request) => {
    // A modern request names its method in a header; a legacy one is counted by its HTTP method.
    logWire?.(request.headers.get('mcp-method') ?? `legacy-${request.method}`);
    return handler.fetch(request);
  });
  const http = createServer(listener);
  http.keepAliveTimeout = 60_000;
  http.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${http.address().port}\n`));
  process.on('SIGTERM', () => void handler.close().finally(() => process.exit(0)));
  // Started by a measurement process with a stdin pipe: gone with it, however it ended.
  if (!process.stdin.isTTY) process.stdin.on('end', () => process.exit(0)).resume();
}
