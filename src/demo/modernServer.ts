#!/usr/bin/env node
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

/**
 * A small MCP server of the 2026-07-28 era, shipped so that `npm start` shows both protocol eras
 * offline: `node dist/src/demo/modernServer.js [--name modern]` over stdio, on
 * `@modelcontextprotocol/server` 2.x, refusing legacy clients (a 2025 `initialize` gets −32022), so
 * the switchboard reaches it only by speaking 2026-07-28. Its tools mirror the legacy demo's.
 */

function buildModernServer(name: string): McpServer {
  const server = new McpServer({ name, version: '0.1.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the text it is given', inputSchema: z.object({ text: z.string() }), annotations: { readOnlyHint: true } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }), outputSchema: z.object({ sum: z.number() }), annotations: { readOnlyHint: true } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool('time', { description: 'The server time in ISO 8601', annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: 'text', text: new Date().toISOString() }],
  }));
  server.registerResource('about', `demo://${name}/about`, { description: `What the ${name} server is`, mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: `${name}: a demo MCP server of the 2026-07-28 era shipped with mcp-switchboard` }],
  }));
  server.registerPrompt('greet', { description: 'Greets someone', argsSchema: z.object({ who: z.string() }) }, ({ who }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${who}, from ${name}.` } }],
  }));
  return server;
}

const at = process.argv.indexOf('--name');
const name = at === -1 ? 'modern' : (process.argv[at + 1] ?? 'modern');
serveStdio(() => buildModernServer(name), { legacy: 'reject' });
// The client going away ends this process (as the legacy demo does).
process.stdin.on('end', () => process.exit(0));
