import { getEventListeners } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { listCatalog } from '../../src/protocol/v1/catalog.js';
import { coalesceWrites } from '../../src/protocol/v1/connect.js';
import { FAST, rawServer } from '../helpers/switchboard.js';

const PAGES = 200;

/** A server listing one tool per page over PAGES pages. */
function pagedServer(): Server {
  const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const page = Number(request.params?.cursor ?? 0);
    const tools = [{ name: `tool_${page}`, inputSchema: { type: 'object' as const } }];
    return page + 1 < PAGES ? { tools, nextCursor: String(page + 1) } : { tools };
  });
  server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  return server;
}

async function pagedTransport() {
  const [client, end] = InMemoryTransport.createLinkedPair();
  await pagedServer().connect(end);
  return client;
}

/** A child that reads and drops everything on stdin. */
const SINK = `process.stdin.on('data', () => undefined); process.stdin.on('end', () => process.exit(0));`;

/** No listener outlives the request that added it, and no warning reaches the host's stderr. */
describe('listeners of finished requests', () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  let sb: Switchboard | undefined;
  let transport: StdioClientTransport | undefined;
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await sb?.stop();
    sb = undefined;
    await transport?.close();
    transport = undefined;
  });
  /** Warnings are emitted on the next tick. */
  const flushWarnings = () => new Promise((resolve) => setImmediate(resolve));

  it(`lists a ${PAGES}-page catalog leaving no abort listener on the listing's signal`, async () => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(await pagedTransport());
    const controller = new AbortController();
    const catalog = await listCatalog(client, { name: 'paged' }, controller.signal, () => undefined, ['tools']);
    expect(catalog.tools).toHaveLength(PAGES);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await flushWarnings();
    expect(warnings).toEqual([]);
    await client.close();
  });

  it(`connects to a server with a ${PAGES}-page catalog without a MaxListenersExceededWarning`, async () => {
    sb = createSwitchboard({ servers: {} }, { transports: { paged: pagedTransport } });
    await sb.start();
    expect(sb.listTools('paged')).toHaveLength(PAGES);
    await flushWarnings();
    expect(warnings).toEqual([]);
  });

  it('shares one drain listener among writes waiting for a full stdin pipe, and leaves none', async () => {
    transport = new StdioClientTransport({ command: process.execPath, args: ['-e', SINK], stderr: 'ignore' });
    coalesceWrites(transport);
    await transport.start();
    const stdin = (transport as unknown as { _process: { stdin: NodeJS.WritableStream } })._process.stdin;
    const pad = 'x'.repeat(200 * 1024);
    const sent = Array.from({ length: 40 }, (_, n) => transport!.send({ jsonrpc: '2.0', method: 'notifications/note', params: { n, pad } }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(stdin as never, 'drain').length).toBeLessThanOrEqual(1);
    await Promise.all(sent);
    expect(getEventListeners(stdin as never, 'drain')).toHaveLength(0);
    await flushWarnings();
    expect(warnings).toEqual([]);
  });

  it('sends a burst of large calls to a stdio server without a MaxListenersExceededWarning', async () => {
    sb = createSwitchboard({ servers: { raw: rawServer() as never }, defaults: { ...FAST, limits: { maxConcurrentCalls: 64 }, timeouts: { ...FAST.timeouts, callMs: 20_000 } } as never });
    await sb.start();
    const pad = 'x'.repeat(200 * 1024);
    const results = await Promise.all(Array.from({ length: 40 }, () => sb!.callTool('do', { pad })));
    expect(results).toHaveLength(40);
    await flushWarnings();
    expect(warnings).toEqual([]);
  });
});
