// The benchmark MCP server: `echo` plus tool_0..tool_9. Same server for every target.
//   node bench/benchServer.mjs stdio        serve over stdio
//   node bench/benchServer.mjs http         serve streamable HTTP on 127.0.0.1:0, print "PORT <n>"
import { randomUUID } from 'node:crypto';
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

const mode = process.argv[2];
if (mode === 'stdio') {
  await buildBenchServer().connect(new StdioServerTransport());
  process.stdin.on('end', () => process.exit(0));
} else if (mode === 'http') {
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
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
