import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';

/**
 * `limits.maxResultChars` through the library (DESIGN §17): a real McpServer in memory answers
 * with a megabyte; the switchboard's caller gets the cap's worth, a marker and the count.
 */

const MEGABYTE = 1_000_000;
const marker = (chars: number) => `\n… [cut by mcp-switchboard: ${chars} characters in all]`;

function bigServer(): McpServer {
  const server = new McpServer({ name: 'big', version: '1.0.0' });
  server.registerTool('dump', { description: 'A megabyte of text', inputSchema: { size: z.number() } }, async ({ size }) => ({
    content: [{ type: 'text', text: 'é'.repeat(size) }],
    _meta: { page: 1 },
  }));
  server.registerTool('photo', { description: 'A large image' }, async () => ({ content: [{ type: 'image', data: 'A'.repeat(4 * 30_000), mimeType: 'image/png' }] }));
  server.registerResource('log', 'mem://big/log', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'l'.repeat(MEGABYTE) }] }));
  server.registerPrompt('context', { description: 'A long context' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'p'.repeat(MEGABYTE) } }],
  }));
  return server;
}

const started: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sb) => sb.stop()));
});

async function switchboard(limits?: { maxResultChars: number }): Promise<Switchboard> {
  const transports = {
    big: async () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      await bigServer().connect(server);
      return client;
    },
  };
  const defaults = { health: { intervalMs: 0 }, ...(limits ? { limits } : {}) };
  const sb = createSwitchboard({ servers: {}, defaults } as never, { transports });
  started.push(sb);
  await sb.start();
  return sb;
}

describe('limits.maxResultChars', () => {
  it('passes a megabyte result through unchanged by default', async () => {
    const sb = await switchboard();
    const result = await sb.callTool('dump', { size: MEGABYTE });
    expect(result.content).toEqual([{ type: 'text', text: 'é'.repeat(MEGABYTE) }]);
    expect(result._meta).toEqual({ page: 1 });
  });

  it('cuts a tool result at the cap with a marker and the original count in _meta', async () => {
    const sb = await switchboard({ maxResultChars: 10_000 });
    const result = await sb.callTool('big__dump', { size: MEGABYTE });
    expect(result.content).toEqual([{ type: 'text', text: 'é'.repeat(10_000) + marker(MEGABYTE) }]);
    expect(result._meta).toEqual({ page: 1, 'mcp-switchboard/truncated': { originalChars: MEGABYTE } });
    // A result within the cap is the server's as it is.
    expect(await sb.callTool('dump', { size: 10_000 })).toEqual({ content: [{ type: 'text', text: 'é'.repeat(10_000) }], _meta: { page: 1 } });
  });

  it('replaces an image over the cap with a note', async () => {
    const sb = await switchboard({ maxResultChars: 10_000 });
    const result = await sb.callTool('photo');
    expect(result.content).toEqual([{ type: 'text', text: '<90000 bytes of image/png, over the limit of 10000 characters>' }]);
    expect(result._meta).toEqual({ 'mcp-switchboard/truncated': { originalChars: 120_000 } });
  });

  it('caps a resource read and a prompt the same way', async () => {
    const sb = await switchboard({ maxResultChars: 5_000 });
    const read = await sb.readResource('mem://big/log');
    expect(read.contents).toEqual([{ uri: 'mem://big/log', text: 'l'.repeat(5_000) + marker(MEGABYTE) }]);
    expect(read._meta).toEqual({ 'mcp-switchboard/truncated': { originalChars: MEGABYTE } });
    const prompt = await sb.getPrompt('context');
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'p'.repeat(5_000) + marker(MEGABYTE) } }]);
    expect(prompt._meta).toEqual({ 'mcp-switchboard/truncated': { originalChars: MEGABYTE } });
  });
});
