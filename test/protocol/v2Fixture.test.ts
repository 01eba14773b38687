import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/switchboard.js';
import { startV2HttpServer, V2_SERVER_ENTRY, V2_TOOL_COUNT, type V2HttpServer } from '../helpers/v2Servers.js';

/**
 * The v2 fixture servers themselves (test/fixtures/v2Server.mjs over stdio, the same surface over
 * streamable HTTP on 127.0.0.1), checked with bare SDK clients before any suite relies on them: a
 * v2 client pinned to 2026-07-28 gets the whole surface in both modes; a v1 client is refused
 * with −32022 by the modern-only mode and served by the default one.
 */

type Wire = 'stdio' | 'http';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A v2 fixture reachable over `wire`: stdio spawns a child per client, HTTP runs one server here. */
async function fixture(wire: Wire, modernOnly: boolean) {
  let http: V2HttpServer | undefined;
  if (wire === 'http') {
    http = await startV2HttpServer('web', { modernOnly });
    cleanups.push(() => http!.close());
  }
  const args = [V2_SERVER_ENTRY, 'files', ...(modernOnly ? ['--modern-only'] : [])];
  return {
    name: wire === 'http' ? 'web' : 'files',
    http,
    modern: () => (wire === 'http' ? new StreamableHTTPClientTransport(new URL(http!.url)) : new StdioClientTransport({ command: process.execPath, args, stderr: 'ignore' })),
    legacy: () => (wire === 'http' ? new V1HttpClientTransport(new URL(http!.url)) : new V1StdioClientTransport({ command: process.execPath, args, stderr: 'ignore' })),
  };
}

/** A bare v2 client pinned to 2026-07-28 that answers elicitation and sampling. */
async function modernClient(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Client> {
  const client = new Client({ name: 'bare-v2', version: '1.0.0' }, { capabilities: { elicitation: { form: {} }, sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
  client.setRequestHandler('sampling/createMessage', async () => ({ role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'test-model' }));
  cleanups.push(() => client.close());
  await client.connect(transport);
  return client;
}

/** A bare v1 client (the 2025-11-25 handshake). */
function legacyClient(): V1Client {
  const client = new V1Client({ name: 'bare-v1', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  cleanups.push(() => client.close());
  return client;
}

const textOf = (result: unknown) => ((result as { content: { text: string }[] }).content[0]!).text;

describe.each<Wire>(['stdio', 'http'])('the v2 fixture over %s', (wire) => {
  it('refuses a v1 client with -32022 in modern-only mode and serves a v2 client pinned to 2026-07-28', async () => {
    const server = await fixture(wire, true);
    const error = await legacyClient().connect(server.legacy()).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    // stdio: a JSON-RPC error with the code; HTTP: the v1 transport's error names the body it got.
    expect(`${(error as { code?: number }).code} ${(error as Error).message}`).toMatch(/-32022/);
    const client = await modernClient(server.modern());
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(server.name);
  });

  it('serves both eras by default', async () => {
    const server = await fixture(wire, false);
    const legacy = legacyClient();
    await legacy.connect(server.legacy());
    expect(legacy.getServerVersion()).toMatchObject({ name: server.name });
    expect(await legacy.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).toEqual({ content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } });
    const modern = await modernClient(server.modern());
    expect(modern.getProtocolEra()).toBe('modern');
    expect((await modern.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({ sum: 5 });
    if (server.http) expect(new Set(server.http.state.eras)).toEqual(new Set(['legacy', 'modern']));
  });

  it('gives a modern client tools, structuredContent, progress, elicitation, sampling and a -32602', async () => {
    const client = await modernClient((await fixture(wire, true)).modern());
    const tools = (await client.listTools()).tools;
    expect(tools).toHaveLength(V2_TOOL_COUNT);
    expect(tools.find((t) => t.name === 'echo')!.annotations).toEqual({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'add')!.outputSchema).toMatchObject({ type: 'object' });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(await client.callTool({ name: 'fail', arguments: {} })).toMatchObject({ isError: true, content: [{ type: 'text', text: 'it failed' }] });
    await expect(client.callTool({ name: 'invalid_params', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    const progress: number[] = [];
    expect(textOf(await client.callTool({ name: 'slow', arguments: { ms: 200, progress: true } }, { onprogress: (p) => progress.push(p.progress) }))).toBe('slept 200');
    expect(progress.length).toBeGreaterThan(0);
    expect(JSON.parse(textOf(await client.callTool({ name: 'elicit', arguments: {} })))).toEqual({ action: 'accept', content: { name: 'Ada' } });
    expect(JSON.parse(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })))).toMatchObject({ content: { text: 'sampled' } });
  });

  it('stops a slow call the modern client cancels', async () => {
    const client = await modernClient((await fixture(wire, true)).modern());
    const abort = new AbortController();
    let started = false;
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000, progress: true } }, { signal: abort.signal, onprogress: () => void (started = true) });
    await until(() => started, 10_000, 'the first progress');
    abort.abort();
    await expect(call).rejects.toThrow();
    // The server saw it: its handler's signal aborted and the call counted as cancelled.
    const cancelled = async () => JSON.parse(textOf(await client.callTool({ name: 'stats', arguments: {} }))).cancelled as number;
    const deadline = Date.now() + 10_000;
    while ((await cancelled()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await cancelled()).toBe(1);
  });

  it('gives a modern client resources, a template, prompts with arguments and completion', async () => {
    const client = await modernClient((await fixture(wire, true)).modern());
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['res://a', 'res://b']);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([{ name: 'item', title: 'Item', uriTemplate: 'item://{id}', description: 'One item', mimeType: 'application/json' }]);
    expect((await client.readResource({ uri: 'item://42' })).contents).toEqual([{ uri: 'item://42', mimeType: 'application/json', text: '{"id":"42"}' }]);
    expect((await client.complete({ ref: { type: 'ref/resource', uri: 'item://{id}' }, argument: { name: 'id', value: '10' } })).completion.values).toEqual(['10', '100']);
    const prompts = (await client.listPrompts()).prompts;
    expect(prompts.find((p) => p.name === 'greet')!.arguments).toEqual([
      { name: 'name', description: 'Who', required: true },
      { name: 'tone', required: false },
    ]);
    expect((await client.getPrompt({ name: 'greet', arguments: { name: 'Bo', tone: 'warm' } })).messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello Bo (warm)' } }]);
    expect((await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'al' } })).completion.values).toEqual(['alice', 'alex']);
  });

  it('sends tools list_changed and resources/updated on a subscriptions/listen stream', async () => {
    const client = await modernClient((await fixture(wire, true)).modern());
    const seen: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void seen.push('tools'));
    client.setNotificationHandler('notifications/resources/updated', (n) => void seen.push(`updated ${n.params.uri}`));
    const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['res://a'] });
    cleanups.push(() => subscription.close());
    expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true, resourceSubscriptions: ['res://a'] });
    await client.callTool({ name: 'add_tool', arguments: { tool: 'late' } });
    await until(() => seen.includes('tools'), 10_000, 'tools list_changed');
    const relisted = await client.listTools(undefined, { cacheMode: 'refresh' });
    expect(relisted.tools.map((t) => t.name)).toContain('late');
    expect(textOf(await client.callTool({ name: 'late', arguments: {} }))).toBe('late');
    await client.callTool({ name: 'touch', arguments: { uri: 'res://a' } });
    await until(() => seen.includes('updated res://a'), 10_000, 'resources/updated');
  });

  it('passes log messages of a tool call at the level its _meta asks for to a modern client', async () => {
    const client = await modernClient((await fixture(wire, true)).modern());
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (n) => void logs.push(n.params));
    // No logging/setLevel in 2026-07-28: a request asks for log messages with a level in its _meta.
    await client.callTool({ name: 'log', arguments: { level: 'debug', message: 'below' }, _meta: { [LOG_LEVEL_META_KEY]: 'info' } });
    await client.callTool({ name: 'log', arguments: { level: 'error', message: 'disk full' }, _meta: { [LOG_LEVEL_META_KEY]: 'info' } });
    await until(() => logs.length > 0, 10_000, 'notifications/message');
    expect(logs).toEqual([{ level: 'error', logger: 'fixture', data: 'disk full' }]);
  });
});

describe('the v2 fixture to a legacy client over stdio', () => {
  it('serves elicitation through the SDK legacy shim and tools list_changed as a plain notification', async () => {
    const server = await fixture('stdio', false);
    const client = legacyClient();
    const { ElicitRequestSchema, ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Bo' } }));
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    await client.connect(server.legacy());
    expect(JSON.parse(textOf(await client.callTool({ name: 'elicit', arguments: {} })))).toEqual({ action: 'accept', content: { name: 'Bo' } });
    await client.callTool({ name: 'add_tool', arguments: { tool: 'late' } });
    await until(() => changed > 0, 10_000, 'tools list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('late');
  });
});
