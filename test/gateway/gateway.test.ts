import { LoggingMessageNotificationSchema, McpError, ResourceUpdatedNotificationSchema, RootsListChangedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stdioServer, until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS, type DownstreamOptions, type Era } from './eras.js';
import { ANSWERING, answering, connectClient, setup, teardown, type Setup } from './upstream.js';

/**
 * The gateway in memory (DESIGN §12, §15): a downstream client talks to the gateway, the gateway
 * to a switchboard, the switchboard to SDK McpServers. Qualified names, filters, results
 * unchanged, progress and cancellation across, prompts, resources, completion, list_changed, and
 * upstream questions to the caller. The suites that apply run in both eras: a v1 SDK Client
 * (2025-11-25) and a v2 Client pinned to 2026-07-28; the rest are legacy-only features
 * (resources/subscribe, logging/setLevel, ping).
 */

afterEach(async () => {
  await closeDownstreams();
  await teardown();
});

/** A downstream client of `era` over an in-memory pair to the gateway. */
const connect = (era: Era, gateway: Setup['gateway'], options?: DownstreamOptions) => connectDownstream(era, { kind: 'memory', gateway }, options);

/** A result as the upstream made it: a modern answer also names the gateway in `_meta` (the SDK stamps it). */
function upstreamPart<T extends { _meta?: Record<string, unknown> }>(result: T): T {
  if (!result._meta) return result;
  const { 'io.modelcontextprotocol/serverInfo': _stamp, ...meta } = result._meta;
  const { _meta: _all, ttlMs: _ttl, cacheScope: _scope, ...rest } = result as T & { ttlMs?: unknown; cacheScope?: unknown };
  return (Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest) as T;
}

describe.each(ERAS)('catalog (%s client)', (era) => {
  it('lists every tool under its qualified name with the server schemas, annotations and title', async () => {
    const { gateway } = await setup({ other: true });
    const client = await connect(era, gateway);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'add', 'echo', 'hang', 'progress', 'roots', 'sample'].flatMap((t) => [`other__${t}`, `up__${t}`]).sort());
    const add = tools.find((t) => t.name === 'up__add')!;
    expect(add).toMatchObject({ title: 'Add', description: 'Adds', annotations: { readOnlyHint: true } });
    expect(add.inputSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
    expect(add.outputSchema).toMatchObject({ type: 'object', properties: { sum: { type: 'number' } } });
  });

  it('speaks the era the client asked for', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway);
    expect(client.version()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
  });

  it('advertises tools, prompts, resources, completion and logging at initialize', async () => {
    const { gateway } = await setup();
    const client = await connectClient(gateway);
    expect(client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true, subscribe: true }, completions: {}, logging: {} });
  });

  it('exposes only the tools that allow admits and deny does not hide, and refuses the others as unknown', async () => {
    const { gateway } = await setup({ other: true, gateway: { tools: { allow: ['up__*', 'other__echo'], deny: ['*__hang', 'up__s*'] } } });
    const client = await connect(era, gateway);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['other__echo', 'up__add', 'up__ask', 'up__echo', 'up__progress', 'up__roots']);
    await expect(client.callTool({ name: 'up__hang' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Tool up__hang not found') });
    await expect(client.callTool({ name: 'other__add', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({ code: -32602 });
  });

  it('answers an unknown tool, a bare name and a server__ typo with JSON-RPC -32602', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway);
    for (const name of ['nope', 'echo', 'up__nope', 'down__echo']) {
      const error = await client.callTool({ name, arguments: { text: 'x' } }).catch((e: unknown) => e);
      if (era === 'legacy') expect(error).toBeInstanceOf(McpError);
      // The v1 client prefixes "MCP error <code>: "; the wire message is the same.
      expect(error).toMatchObject({ code: -32602, message: `${era === 'legacy' ? 'MCP error -32602: ' : ''}Tool ${name} not found` });
    }
  });

  it('lists prompts by qualified name and gets one through the switchboard', async () => {
    const { gateway } = await setup({ other: true });
    const client = await connect(era, gateway);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['other__greet', 'up__greet']);
    expect(prompts.find((p) => p.name === 'up__greet')).toEqual({ name: 'up__greet', title: 'Greet', description: 'Greets', arguments: [{ name: 'who', required: true }] });
    expect(upstreamPart(await client.getPrompt({ name: 'other__greet', arguments: { who: 'Ada' } }))).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'Hello Ada from other' } }] });
    await expect(client.getPrompt({ name: 'greet', arguments: { who: 'x' } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Prompt greet not found') });
  });

  it('lists resources and templates with uris unchanged and reads both', async () => {
    const { gateway } = await setup({ other: true });
    const client = await connect(era, gateway);
    const { resources } = await client.listResources();
    expect(resources.sort((a, b) => a.uri.localeCompare(b.uri))).toEqual([
      { uri: 'mem://other/readme', name: 'readme', description: 'Read me', mimeType: 'text/plain' },
      { uri: 'mem://up/readme', name: 'readme', description: 'Read me', mimeType: 'text/plain' },
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['mem://other/items/{id}', 'mem://up/items/{id}']);
    expect(upstreamPart(await client.readResource({ uri: 'mem://up/readme' }))).toEqual({ contents: [{ uri: 'mem://up/readme', text: 'readme of up' }] });
    expect(upstreamPart(await client.readResource({ uri: 'mem://other/items/7' }))).toEqual({ contents: [{ uri: 'mem://other/items/7', text: 'item 7' }] });
    const error = await client.readResource({ uri: 'mem://nowhere/x' }).catch((e: unknown) => e);
    // The v2 server package answers "resource not found" with -32602 in both eras (the
    // 2026-07-28 spec's code; it maps -32002 so); the switchboard's code tells which failure.
    expect(error).toMatchObject({ code: -32602, data: { 'mcp-switchboard/error': { code: 'ResourceNotFound' } } });
  });

  it('completes prompt arguments by qualified name and template variables by uri template', async () => {
    const { gateway } = await setup({ other: true });
    const client = await connect(era, gateway);
    const prompt = await client.complete({ ref: { type: 'ref/prompt', name: 'up__greet' }, argument: { name: 'who', value: 'a' } });
    expect(prompt.completion.values).toEqual(['ada', 'alan']);
    const template = await client.complete({ ref: { type: 'ref/resource', uri: 'mem://other/items/{id}' }, argument: { name: 'id', value: '1' } });
    expect(template.completion.values).toEqual(['1', '12']);
  });
});

describe.each(ERAS)('calls (%s client)', (era) => {
  it('returns the upstream result unchanged, structuredContent and _meta included', async () => {
    const { sb, gateway } = await setup();
    const client = await connect(era, gateway);
    const direct = await sb.callTool('up__add', { a: 2, b: 3 });
    const result = upstreamPart(await client.callTool({ name: 'up__add', arguments: { a: 2, b: 3 } }));
    expect(result).toEqual({ content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 }, _meta: { from: 'up' } });
    expect(result).toEqual(direct);
  });

  it('forwards upstream progress to the downstream progress handler', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway);
    const seen: unknown[] = [];
    const result = await client.callTool({ name: 'up__progress' }, { onprogress: (p) => seen.push(p) });
    expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(seen).toEqual([
      { progress: 1, total: 2, message: 'step 1' },
      { progress: 2, total: 2, message: 'step 2' },
    ]);
  });

  it('cancels the upstream call with notifications/cancelled when the downstream client cancels', async () => {
    const { gateway, probe } = await setup();
    const client = await connect(era, gateway);
    const controller = new AbortController();
    const call = client.callTool({ name: 'up__hang' }, { signal: controller.signal });
    await until(() => probe.hanging === 1, 5_000, 'the call to reach the upstream');
    controller.abort('user stop');
    await expect(call).rejects.toThrow();
    await until(() => probe.cancelled.length === 1, 5_000, 'notifications/cancelled upstream');
  });

  it('cancels the upstream calls of a session that closes', async () => {
    const { gateway, probe } = await setup();
    const client = await connect(era, gateway);
    void client.callTool({ name: 'up__hang' }).catch(() => undefined);
    await until(() => probe.hanging === 1, 5_000, 'the call to reach the upstream');
    await client.close();
    await until(() => probe.cancelled.length === 1, 5_000, 'notifications/cancelled upstream');
    await until(() => gateway.sessionCount === 0, 5_000, 'the session to end');
  });

  it('answers a tool whose server was removed after the listing as unknown (-32602)', async () => {
    const { sb, gateway } = await setup();
    const client = await connect(era, gateway);
    await sb.removeServer('up');
    // Listed before the removal, gone now: unknown, not a refusal.
    await expect(client.callTool({ name: 'up__echo', arguments: { text: 'x' } })).rejects.toMatchObject({ code: -32602 });
  });
});

describe('subscriptions and logs', () => {
  it('forwards resources/updated of a subscribed uri and unsubscribes upstream when asked and when the session ends', async () => {
    const { gateway, probe } = await setup();
    const updated: string[] = [];
    const client = await connectClient(gateway, {}, (c) => c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri)));
    const other = await connectClient(gateway);
    await client.subscribeResource({ uri: 'mem://up/readme' });
    await other.subscribeResource({ uri: 'mem://up/readme' });
    expect(probe.subscriptions).toEqual(['sub mem://up/readme']);
    await probe.server!.server.sendResourceUpdated({ uri: 'mem://up/readme' });
    await until(() => updated.length === 1, 5_000, 'notifications/resources/updated');
    expect(updated).toEqual(['mem://up/readme']);
    await client.unsubscribeResource({ uri: 'mem://up/readme' });
    // The other session still holds its subscription: the upstream keeps it.
    expect(probe.subscriptions).toEqual(['sub mem://up/readme']);
    await other.close();
    await until(() => probe.subscriptions.length === 2, 5_000, 'the upstream unsubscribe');
    expect(probe.subscriptions).toEqual(['sub mem://up/readme', 'unsub mem://up/readme']);
  });

  it('forwards upstream log messages at or above the level the client set', async () => {
    const { gateway, probe } = await setup();
    const logs: unknown[] = [];
    const client = await connectClient(gateway, {}, (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params)));
    await client.setLoggingLevel('warning');
    await probe.server!.server.sendLoggingMessage({ level: 'info', data: 'quiet' });
    await probe.server!.server.sendLoggingMessage({ level: 'error', data: 'loud' });
    await until(() => logs.length > 0, 5_000, 'a forwarded log');
    expect(logs).toEqual([{ level: 'error', logger: 'up', data: 'loud' }]);
  });
});

describe.each(ERAS)('list_changed (%s client: unsolicited in legacy, on a subscriptions/listen stream in modern)', (era) => {
  it('tells the client after addServer, and the new tools are listed', async () => {
    const { sb, gateway } = await setup();
    let changes = 0;
    const client = await connect(era, gateway);
    await client.onToolsChanged(() => void changes++);
    sb.addServer('late', stdioServer('late'));
    await until(() => changes > 0, 10_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('late__only_late');
  });

  it('tells the client when the tool filter changes', async () => {
    const { gateway } = await setup();
    let changes = 0;
    const client = await connect(era, gateway);
    await client.onToolsChanged(() => void changes++);
    gateway.setToolFilter({ allow: ['up__echo'] });
    await until(() => changes === 1, 5_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['up__echo']);
  });
});

describe('list_changed', () => {

  it('tells the client after a reload that adds a server', async () => {
    const { sb, gateway } = await setup();
    let changes = 0;
    const client = await connectClient(gateway, {}, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++));
    const result = await sb.reload({ servers: { added: stdioServer('added') }, defaults: { health: { intervalMs: 0 } } });
    expect(result.added).toEqual(['added']);
    await until(() => changes > 0, 10_000, 'tools/list_changed');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['added__only_added', 'up__echo']));
  });

  it('sends one tools/list_changed for a burst of changes', async () => {
    // Faked from the start: the debounce timer of the first listing at start is fake too.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { gateway } = await setup();
      let changes = 0;
      const client = await connectClient(gateway, {}, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++));
      vi.advanceTimersByTime(10);
      await client.ping();
      expect(changes).toBe(0);
      gateway.setToolFilter({ deny: ['up__hang'] });
      gateway.setToolFilter({ deny: ['up__ask'] });
      gateway.setToolFilter({});
      await client.ping();
      expect(changes).toBe(0);
      vi.advanceTimersByTime(10);
      await client.ping();
      expect(changes).toBe(1);
      vi.advanceTimersByTime(1_000);
      await client.ping();
      expect(changes).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** What asked the client: a request (legacy) or an input_required result (modern), as it arrived. */
function questions(received: unknown[]): string[] {
  const asked: string[] = [];
  for (const message of received as { method?: string; result?: { resultType?: string; inputRequests?: Record<string, { method: string }> } }[]) {
    if (message.method && message.method !== 'notifications/progress' && !message.method.startsWith('notifications/')) asked.push(`request ${message.method}`);
    if (message.result?.resultType === 'input_required') for (const request of Object.values(message.result.inputRequests ?? {})) asked.push(`input_required ${request.method}`);
  }
  return asked;
}

describe.each(ERAS)('server -> client requests (%s client: requests in legacy, input_required in modern)', (era) => {
  const how = era === 'legacy' ? 'request' : 'input_required';

  it('sends sampling from the upstream during a call to the calling client', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway, { answer: true });
    expect((await client.callTool({ name: 'up__sample' })).content).toEqual([{ type: 'text', text: 'sampled: question' }]);
    expect(questions(client.received)).toEqual([`${how} sampling/createMessage`]);
  });

  it('sends elicitation and roots during a call to the calling client', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway, { answer: true });
    expect((await client.callTool({ name: 'up__ask' })).content).toEqual([{ type: 'text', text: 'accept Ada' }]);
    expect((await client.callTool({ name: 'up__roots' })).content).toEqual([{ type: 'text', text: 'file:///work/a' }]);
    expect(questions(client.received)).toEqual([`${how} elicitation/create`, `${how} roots/list`]);
  });

  it('refuses sampling outside a call', async () => {
    const { gateway, probe } = await setup();
    await connect(era, gateway, { answer: true });
    const ask = probe.server!.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'q' } }], maxTokens: 5 });
    await expect(ask).rejects.toThrow(/refused: only an MCP client whose request to that server is running can answer it, and none is \(calls from the admin API, the CLI or the library have no client to ask\)/);
  });

  it('refuses sampling for a client that did not declare it', async () => {
    const { gateway } = await setup();
    const client = await connect(era, gateway);
    const result = await client.callTool({ name: 'up__sample' });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toMatch(/the client of this call did not declare sampling/);
  });

  it('refuses sampling while calls of two clients run on the same server', async () => {
    const { gateway, probe } = await setup();
    const first = await connect(era, gateway, { answer: true });
    const second = await connect(era, gateway, { answer: true });
    void first.callTool({ name: 'up__hang' }).catch(() => undefined);
    await until(() => probe.hanging === 1, 5_000, 'the first call to arrive');
    const result = await second.callTool({ name: 'up__sample' });
    expect((result.content as { text: string }[])[0]!.text).toMatch(/requests of 2 clients are running on it/);
  });
});

describe('server -> client requests (legacy only)', () => {
  it('tells the upstream servers when the roots of a client change', async () => {
    const { gateway, probe } = await setup();
    const client = await connectClient(gateway, ANSWERING, answering);
    let changes = 0;
    probe.server!.server.setNotificationHandler(RootsListChangedNotificationSchema, () => void changes++);
    await client.sendRootsListChanged();
    await until(() => changes === 1, 5_000, 'the upstream to hear of the roots change');
  });
});
