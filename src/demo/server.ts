#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A small MCP server shipped with the project so that `npm start` works offline:
 * `node dist/src/demo/server.js [--name demo] [--http PORT]` (stdio unless `--http` is given).
 */

function buildDemoServer(name: string): McpServer {
  const server = new McpServer({ name, version: '0.1.0' }, { capabilities: { tools: {}, resources: {}, prompts: {}, completions: {} } });
  server.registerTool(
    'echo',
    { description: 'Returns the text it is given', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
      annotations: { readOnlyHint: true },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool(
    'word_count',
    { description: 'Counts the words of a text', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
    async ({ text }) => {
      const words = text.trim() ? text.trim().split(/\s+/).length : 0;
      return { content: [{ type: 'text', text: String(words) }], structuredContent: { words } };
    },
  );
  server.registerTool(
    'sleep',
    { description: 'Waits ms milliseconds (at most 60 s), reporting progress', inputSchema: { ms: z.number().int().min(0).max(60_000) } },
    async ({ ms }, extra) => {
      const token = extra._meta?.progressToken;
      const started = Date.now();
      while (Date.now() - started < ms && !extra.signal.aborted) {
        await new Promise((r) => setTimeout(r, Math.min(200, ms)));
        if (token !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: Date.now() - started, total: ms } });
        }
      }
      return { content: [{ type: 'text', text: `slept ${Date.now() - started} ms` }] };
    },
  );
  server.registerTool('time', { description: 'The server time in ISO 8601', annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: 'text', text: new Date().toISOString() }],
  }));
  // A resource, a template and a prompt, so the whole client surface can be tried offline.
  server.registerResource('about', `demo://${name}/about`, { description: `What the ${name} server is`, mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: `${name}: a demo MCP server shipped with mcp-switchboard` }],
  }));
  server.registerResource(
    'note',
    new ResourceTemplate(`demo://${name}/notes/{id}`, { list: undefined, complete: { id: (value) => ['1', '2', '3'].filter((id) => id.startsWith(value)) } }),
    { description: 'A numbered note', mimeType: 'text/plain' },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `note ${String(id)} of ${name}` }] }),
  );
  server.registerPrompt('greet', { description: 'Greets someone', argsSchema: { who: z.string() } }, ({ who }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${who}, from ${name}.` } }],
  }));
  return server;
}

function argument(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at === -1 ? undefined : process.argv[at + 1];
}

const name = argument('--name') ?? 'demo';
const httpPort = argument('--http');

if (httpPort === undefined) {
  await buildDemoServer(name).connect(new StdioServerTransport());
  // The SDK's stdio server does not exit when its client goes away; do it here.
  process.stdin.on('end', () => process.exit(0));
} else {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const id = req.headers['mcp-session-id'] as string | undefined;
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      if (id) {
        res.writeHead(404).end();
        return;
      }
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => void sessions.set(sid, created) });
      created.onclose = () => created.sessionId && sessions.delete(created.sessionId);
      await buildDemoServer(name).connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  http.listen(Number(httpPort), '127.0.0.1', () => {
    const address = http.address();
    process.stderr.write(`demo MCP server "${name}" on http://127.0.0.1:${typeof address === 'object' && address ? address.port : httpPort}/mcp\n`);
  });
}
