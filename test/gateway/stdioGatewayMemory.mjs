// The stdio gateway over an in-memory upstream "up" that asks its caller: `node stdioGatewayMemory.mjs`
// speaks MCP (either era) on stdin/stdout; "up" has add, ask (elicitation), watch (progress, then
// runs until cancelled), cancelled (how many watch calls were cancelled), a prompt with completion
// and a resource. Stops when stdin closes, as `switchboard gateway` does.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { createGateway, createGatewayRouter, serveStdio } from '../../dist/src/gateway/index.js';
import { createSwitchboard } from '../../dist/src/index.js';
import { createJsonLogger } from '../../dist/src/core/logger.js';

let cancelled = 0;

function upstream() {
  const server = new McpServer({ name: 'up', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }));
  // Progress, then no result until cancelled: a result in the same read as the last progress
  // would race it in the client SDKs (they dispatch notifications a microtask late).
  server.registerTool('watch', {}, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) for (const progress of [1, 2]) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 2 } });
    await new Promise((resolve) => extra.signal.addEventListener('abort', resolve, { once: true }));
    cancelled++;
    throw new Error('aborted');
  });
  server.registerTool('cancelled', {}, async () => ({ content: [{ type: 'text', text: String(cancelled) }] }));
  server.registerTool('ask', {}, async () => {
    const result = await server.server.elicitInput({ mode: 'form', message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
    return { content: [{ type: 'text', text: `${result.action} ${String(result.content?.name)}` }] };
  });
  server.registerPrompt('greet', { argsSchema: { who: completable(z.string(), (value) => ['ada', 'alan', 'bob'].filter((n) => n.startsWith(value))) } }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${who}` } }] }));
  server.registerResource('readme', 'mem://up/readme', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'readme of up' }] }));
  return server;
}

const logger = createJsonLogger({ minimum: 'info' });
const router = createGatewayRouter();
const transports = {
  up: async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    await upstream().connect(server);
    return client;
  },
};
const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { transports, handlers: router.handlers, logger });
const gateway = createGateway(sb, { router, logger });
await sb.start();
const { ended } = await serveStdio(gateway);
void ended.then(async (reason) => {
  logger.log('info', `gateway: stopping (${reason})`);
  await gateway.close();
  await sb.stop();
  process.exit(0);
});
