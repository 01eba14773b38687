import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';

const TOKEN = 'search-test-token-0123456789';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };

function tracker(): McpServer {
  const server = new McpServer({ name: 'tracker', version: '1.0.0' });
  server.registerTool('create_issue', { description: 'Opens an issue in the tracker', inputSchema: { title: z.string(), body: z.string() } }, async () => ({ content: [] }));
  server.registerTool('list_issues', { description: 'Lists issues', inputSchema: { state: z.string() } }, async () => ({ content: [] }));
  server.registerTool('delete_branch', { description: 'Deletes a git branch', inputSchema: { ref: z.string() } }, async () => ({ content: [] }));
  return server;
}

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

describe('searchTools', () => {
  it('ranks real servers\' tools, typos tolerated, and follows a tools list change', async () => {
    const server = tracker();
    sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, {
      transports: {
        tracker: async () => {
          const [client, end] = InMemoryTransport.createLinkedPair();
          await server.connect(end);
          return client;
        },
      },
    });
    await sb.start();
    const found = await sb.searchTools('creat isue');
    expect(found[0]?.qualifiedName).toBe('tracker__create_issue');
    expect(found[0]?.available).toBe(true);
    expect((await sb.searchTools('branch', { limit: 1 })).map((t) => t.name)).toEqual(['delete_branch']);
    expect(await sb.searchTools('branch', { server: 'other' })).toEqual([]);

    server.registerTool('merge_pull_request', { description: 'Merges a pull request' }, async () => ({ content: [] }));
    await until(() => sb!.listTools().some((t) => t.name === 'merge_pull_request'), 10_000, 'the new tool');
    expect((await sb.searchTools('merge pull'))[0]?.name).toBe('merge_pull_request');

    const { app, close } = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
    const headers = { host: 'localhost', authorization: `Bearer ${TOKEN}` };
    const response = await app.request('/mcp/tools/search?q=isues&limit=1', { headers });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(['list_issues']);
    expect((await app.request('/mcp/tools/search?q=x&server=nope', { headers })).status).toBe(404);
    expect((await app.request('/mcp/tools/search?q=x&limit=0', { headers })).status).toBe(400);
    expect((await app.request('/mcp/tools/search?q=x', { headers: { host: 'localhost' } })).status).toBe(401);
    close();
  });

  it('is hybrid with an embedder: a synonym only the embedder knows finds the tool', async () => {
    const server = tracker();
    const embed = async (texts: string[]) => texts.map((t) => [/issue|ticket/i.test(t) ? 1 : 0, /branch/i.test(t) ? 1 : 0, 0.01]);
    sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, {
      transports: { tracker: async () => { const [c, e] = InMemoryTransport.createLinkedPair(); await server.connect(e); return c; } },
      search: { embed },
    });
    await sb.start();
    const names = (await sb.searchTools('ticket', { limit: 2 })).map((t) => t.name).sort();
    expect(names).toEqual(['create_issue', 'list_issues']);
  });
});
