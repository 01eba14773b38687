import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';

/**
 * A factory of fresh in-memory transports to a real SDK McpServer with what the console's history
 * sees: tools (`echo`, `fail` answers isError, `say` sends one log message, `flood` sends `count`
 * of them), a prompt `greet` whose `who` completes, and a resource `fixture://readme`.
 */
export function consoleServer(name: string): () => Promise<Transport> {
  return async () => {
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    const server = new McpServer({ name, version: '1.0.0' }, { capabilities: { tools: {}, prompts: {}, resources: {}, completions: {}, logging: {} } });
    server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    server.registerTool('fail', { description: 'Answers isError' }, async () => ({ isError: true, content: [{ type: 'text', text: 'it failed' }] }));
    server.registerTool('say', { description: 'Sends one log message', inputSchema: { text: z.string() } }, async ({ text }) => {
      await server.server.sendLoggingMessage({ level: 'info', data: text });
      return { content: [{ type: 'text', text: 'said' }] };
    });
    server.registerTool('flood', { description: 'Sends count log messages', inputSchema: { count: z.number() } }, async ({ count }) => {
      for (let i = 1; i <= count; i++) await server.server.sendLoggingMessage({ level: 'info', data: `flood ${i}` });
      return { content: [{ type: 'text', text: `sent ${count}` }] };
    });
    const who = completable(z.string(), (value) => ['Ada', 'Alan', 'Grace'].filter((w) => w.startsWith(value)));
    server.registerPrompt('greet', { description: 'Greets someone', argsSchema: { who } }, async ({ who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${who}!` } }],
    }));
    server.registerResource('readme', 'fixture://readme', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'hello' }] }));
    await server.connect(serverSide);
    return client;
  };
}
