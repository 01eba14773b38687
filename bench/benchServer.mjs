// The benchmark MCP server: `echo` plus tool_0..tool_9. Same server for every target.
//   node bench/benchServer.mjs stdio        serve over stdio
//   node bench/benchServer.mjs http         serve streamable HTTP on 127.0.0.1:0, print "PORT <n>"
// With a wire log (`... stdio <file>`) every process appends "<pid> start" once and "<pid> <method>"
// per request it receives (the connect row counts processes and round trips with it); without one
// nothing is counted. benchServerV2.mjs is the same server on the v2 SDK.
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export function buildBenchServer(name = 'bench') {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  for (let i = 0; i < 10; i++) {
    server.registerTool(`tool_${i}`, { description: `Tool ${i}`, inputSchema: { n: z.number().optional() } }, async () => ({ content: [{ type: 'text', text: String(i) }] }));
  }
  return server;
}

// Bundled into bench/lib/measure.bundle.mjs too: only the server's own process reads its arguments.
const main = /benchServer\.mjs$/.test(process.argv[1] ?? '');
const wireLog = main ? process.argv[3] : undefined;
/** Appends one line to the wire log (sync: the connect row reads it right after the client's await). */
const logWire = wireLog ? (what) => appendFileSync(wireLog, `${process.pid} ${what}\n`) : undefined;

/** Logs every inbound request of `transport` (McpServer.connect installs its handler before start). */
function logged(transport) {
  if (!logWire) return transport;
  const start = transport.start.bind(transport);
  transport.start = async () => {
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (message.method && message.id !== undefined) logWire(message.method);
      deliver?.(message, extra);
    };
    await start();
  };
  return transport;
}

const mode = main ? process.argv[2] : undefined;
logWire?.('start');
if (mode === 'stdio') {
  await buildBenchServer().connect(logged(new StdioServerTransport()));
  process.stdin.on('end', () => process.exit(0));
} else if (mode === 'http') {
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    if (body?.method && body.id !== undefined) logWire?.(body.method);
    const id = req.headers['mcp-session-id'];
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      if (id) return void res.writeHead(404).end();
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => sessions.set(sid, transport) });
      transport.onclose = () => sessions.delete(transport.sessionId);
      await buildBenchServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  http.keepAliveTimeout = 60_000;
  http.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${http.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
  // Started by a measurement process with a stdin pipe: gone with it, however it ended.
  if (!process.stdin.isTTY) process.stdin.on('end', () => process.exit(0)).resume();
}
