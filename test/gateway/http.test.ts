import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayHttpHandler, type Gateway, type GatewayHttpHandler, type GatewayHttpOptions } from '../../src/gateway/index.js';
import { until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS, type DownstreamOptions, type Era } from './eras.js';
import { setup, teardown } from './upstream.js';

/**
 * The gateway over streamable HTTP (DESIGN §12): a node:http server on 127.0.0.1 port 0 mounts
 * the handler at /mcp; plain SDK Clients connect with StreamableHTTPClientTransport. Stateful
 * sessions, one per client; DELETE ends one; gateway.close() ends all.
 */

const open: { http: HttpServer; clients: Client[] }[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const { http, clients } of open.splice(0)) {
    await Promise.allSettled(clients.map((c) => c.close()));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
  await teardown();
});

interface Served {
  gateway: Gateway;
  handler: GatewayHttpHandler;
  url: URL;
  probe: Awaited<ReturnType<typeof setup>>['probe'];
  sb: Awaited<ReturnType<typeof setup>>['sb'];
  connect(capabilities?: ClientCapabilities, prepare?: (client: Client) => void): Promise<Client>;
  /** A downstream client of either era (closed by afterEach). */
  connectEra(era: Era, options?: DownstreamOptions): ReturnType<typeof connectDownstream>;
}

async function serve(options: GatewayHttpOptions = {}): Promise<Served> {
  const { sb, gateway, probe } = await setup();
  const handler = createGatewayHttpHandler(gateway, options);
  const http = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/mcp') void handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  const entry = { http, clients: [] as Client[] };
  open.push(entry);
  const connect = async (capabilities: ClientCapabilities = {}, prepare?: (client: Client) => void) => {
    const client = new Client({ name: 'host', version: '1.0.0' }, { capabilities });
    prepare?.(client);
    await client.connect(new StreamableHTTPClientTransport(url));
    entry.clients.push(client);
    return client;
  };
  return { gateway, handler, url, probe, sb, connect, connectEra: (era, options) => connectDownstream(era, { kind: 'http', url }, options) };
}

const sessionOf = (client: Client) => (client.transport as StreamableHTTPClientTransport).sessionId!;

describe.each(ERAS)('streamable HTTP at /mcp (%s client)', (era) => {
  it('lists qualified tools, calls one, gets a prompt, completes and reads a resource', async () => {
    const { connectEra, handler } = await serve();
    const client = await connectEra(era);
    expect(client.version()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
    // 2026-07-28 has no sessions: a modern client holds no session slot.
    expect(handler.sessionCount).toBe(era === 'legacy' ? 1 : 0);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__add');
    expect(await client.callTool({ name: 'up__add', arguments: { a: 1, b: 41 } })).toMatchObject({ content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 }, _meta: { from: 'up' } });
    expect((await client.getPrompt({ name: 'up__greet', arguments: { who: 'Ada' } })).messages[0]!.content).toEqual({ type: 'text', text: 'Hello Ada from up' });
    expect((await client.readResource({ uri: 'mem://up/items/3' })).contents).toEqual([{ uri: 'mem://up/items/3', text: 'item 3' }]);
    expect((await client.complete({ ref: { type: 'ref/prompt', name: 'up__greet' }, argument: { name: 'who', value: 'a' } })).completion.values).toEqual(['ada', 'alan']);
    await expect(client.callTool({ name: 'up__nope' })).rejects.toMatchObject({ code: -32602 });
    await expect(client.readResource({ uri: 'mem://nowhere/x' })).rejects.toMatchObject({ code: -32602, data: { 'mcp-switchboard/error': { code: 'ResourceNotFound' } } });
  });

  it('forwards progress, sampling and elicitation during a call, and a cancellation to the upstream', async () => {
    const { connectEra, probe } = await serve();
    const client = await connectEra(era, { answer: true });
    const seen: number[] = [];
    await client.callTool({ name: 'up__progress' }, { onprogress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2]);
    expect((await client.callTool({ name: 'up__sample' })).content).toEqual([{ type: 'text', text: 'sampled: question' }]);
    expect((await client.callTool({ name: 'up__ask' })).content).toEqual([{ type: 'text', text: 'accept Ada' }]);
    const controller = new AbortController();
    const call = client.callTool({ name: 'up__hang' }, { signal: controller.signal });
    await until(() => probe.hanging === 1, 5_000, 'the call to reach the upstream');
    controller.abort();
    await expect(call).rejects.toThrow();
    await until(() => probe.cancelled.length === 1, 5_000, 'notifications/cancelled upstream');
  });

  it('sends tools/list_changed (the session stream in legacy, a listen stream in modern)', async () => {
    const { connectEra, gateway } = await serve();
    let changes = 0;
    const client = await connectEra(era);
    await client.onToolsChanged(() => void changes++);
    // A legacy client opens its GET stream after initialize; a notification before it would be dropped.
    if (era === 'legacy') await until(() => gateway.sessionCount === 1, 5_000, 'the session');
    await client.listTools();
    gateway.setToolFilter({ allow: ['up__echo'] });
    await until(() => changes > 0, 5_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['up__echo']);
  });
});

describe('streamable HTTP at /mcp', () => {
  it('sends tools/list_changed on the session stream', async () => {
    const { connect, gateway } = await serve();
    let changes = 0;
    const client = await connect({}, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++));
    // The client opens its GET stream after initialize; a notification before it would be dropped.
    await until(() => gateway.sessionCount === 1, 5_000, 'the session');
    await client.listTools();
    gateway.setToolFilter({ allow: ['up__echo'] });
    await until(() => changes > 0, 5_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['up__echo']);
  });

  it('keeps one session per client and ends one with DELETE', async () => {
    const { connect, handler, gateway, url } = await serve();
    const first = await connect();
    const second = await connect();
    expect(sessionOf(first)).not.toBe(sessionOf(second));
    expect(handler.sessionCount).toBe(2);
    expect(gateway.sessionCount).toBe(2);
    const id = sessionOf(first);
    await (first.transport as StreamableHTTPClientTransport).terminateSession();
    await until(() => handler.sessionCount === 1 && gateway.sessionCount === 1, 5_000, 'the session to end');
    const stale = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(stale.status).toBe(404);
    expect((await second.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('ends every session on gateway.close()', async () => {
    const { connect, handler, gateway } = await serve();
    const client = await connect();
    await connect();
    await gateway.close();
    expect(handler.sessionCount).toBe(0);
    await expect(client.listTools()).rejects.toThrow(/404|Session not found/);
  });

  it('refuses requests without a session, other methods, and one session too many', async () => {
    const { connect, handler, url } = await serve({ maxSessions: 1 });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const list = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(list.status).toBe(400);
    expect(handler.sessionCount).toBe(0);
    expect((await fetch(url, { method: 'GET', headers })).status).toBe(400);
    const put = await fetch(url, { method: 'PUT', headers });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST, DELETE']);
    await connect();
    await expect(connect()).rejects.toThrow(/503|too many MCP sessions/);
    expect(handler.sessionCount).toBe(1);
  });

  it('closes sessions idle longer than idleMs when a new one opens', async () => {
    let now = 1_000;
    const { connect, handler, url } = await serve({ idleMs: 60_000, now: () => now });
    // A client that initializes and vanishes: its answer read to the end, no GET stream, no DELETE.
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gone', version: '1' } } };
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(initialize) });
    expect(await response.text()).toContain('"serverInfo"');
    const gone = response.headers.get('mcp-session-id')!;
    expect(handler.sessionCount).toBe(1);
    now += 59_999;
    // Not idle long enough yet; this client holds its GET stream open, so it never is.
    const kept = await connect();
    expect(handler.sessionCount).toBe(2);
    now += 1;
    await connect();
    expect(handler.sessionCount).toBe(2);
    const stale = await fetch(url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': gone } });
    expect(stale.status).toBe(404);
    expect((await kept.listTools()).tools.length).toBeGreaterThan(0);
  });
});
