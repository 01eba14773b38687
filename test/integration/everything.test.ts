import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, type CallToolResult, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, type ServerRequestHandlers, type Switchboard } from '../../src/index.js';
import { connectPlainClient, everythingConfig, EVERYTHING_MARKER, startEverything, type EverythingServer, type EverythingTransport } from '../helpers/everything.js';
import { markedProcesses, waitUnmarked } from '../helpers/processes.js';
import { until } from '../helpers/switchboard.js';

/**
 * The official server-everything over stdio, SSE and streamable HTTP at once, behind one
 * switchboard with sampling, elicitation and roots handlers; a plain SDK client per transport
 * with the same capabilities is the reference for what the server offers.
 */

const TRANSPORTS: EverythingTransport[] = ['stdio', 'sse', 'http'];
/** What the switchboard declares with all three handlers (serverRequests.ts clientCapabilities). */
const CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: { form: { applyDefaults: true }, url: {} }, roots: { listChanged: true } };
/** The tools server-everything registers only for a client with sampling, elicitation (form, url) or roots. */
const GATED = ['get-roots-list', 'trigger-elicitation-request', 'trigger-sampling-request', 'trigger-url-elicitation'];
const TEXT_TEMPLATE = 'demo://resource/dynamic/text/{resourceId}';

type Asked = { kind: 'sampling' | 'elicitation' | 'roots'; server: string; params?: Record<string, unknown> };

/** The fields the switchboard adds to a server's entries; the rest is the server's own. */
function own<T extends object>(entry: T): Omit<T, 'server' | 'qualifiedName' | 'available'> {
  const { server: _s, qualifiedName: _q, available: _a, ...rest } = entry as T & { server?: unknown; qualifiedName?: unknown; available?: unknown };
  return rest;
}

/** Every page of a paginated SDK list call. */
async function allPages<T>(list: (cursor?: string) => Promise<{ nextCursor?: string } & Record<string, unknown>>, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...(page[key] as T[]));
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Dynamic resources carry the time they were made ("created at 10:31:07 AM"); mask it, in text and base64 blobs. */
function masked(value: unknown): unknown {
  const mask = (text: string) => text.replace(/created at [^"\\]+/g, 'created at <time>');
  return JSON.parse(JSON.stringify(value), (key, v) => {
    if (typeof v !== 'string') return v;
    if (key === 'blob') return mask(Buffer.from(v, 'base64').toString('utf8'));
    return mask(v);
  });
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('server-everything over stdio, SSE and streamable HTTP behind one switchboard', () => {
  let sse: EverythingServer;
  let http: EverythingServer;
  let sb: Switchboard;
  let bare: Switchboard;
  const plain = {} as Record<EverythingTransport, Client>;
  const asked: Asked[] = [];

  const handlers: ServerRequestHandlers = {
    sampling: async (params, ctx) => {
      asked.push({ kind: 'sampling', server: ctx.server, params });
      const first = params.messages[0]!.content as { text: string };
      return { role: 'assistant', model: `model-of-${ctx.server}`, content: { type: 'text', text: `${ctx.server} answers "${first.text}"` } };
    },
    elicitation: async (params, ctx) => {
      asked.push({ kind: 'elicitation', server: ctx.server, params });
      return params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: { name: `user of ${ctx.server}`, check: true } };
    },
    roots: ({ server }) => {
      asked.push({ kind: 'roots', server });
      return [{ uri: `file:///work/${server}`, name: `root of ${server}` }];
    },
  };

  beforeAll(async () => {
    // Settle both before failing, so that afterAll stops the one that did start.
    const started = await Promise.allSettled([startEverything('sse').then((s) => (sse = s)), startEverything('http').then((s) => (http = s))]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    const config = everythingConfig(sse, http);
    sb = createSwitchboard(config, { handlers });
    // Without handlers, over the HTTP transports only: enough to see which tools need capabilities.
    bare = createSwitchboard({ servers: { sse: config.servers.sse, http: config.servers.http } });
    const clients = TRANSPORTS.map((t) =>
      connectPlainClient(t, { sse, http }, CAPABILITIES, (client) => {
        client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///plain', name: 'plain' }] }));
        client.setRequestHandler(CreateMessageRequestSchema, () => ({ role: 'assistant', model: 'plain', content: { type: 'text', text: 'plain' } }));
        client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' }));
      }).then((client) => (plain[t] = client)),
    );
    await Promise.all([sb.start(), bare.start(), ...clients]);
    // server-everything registers its capability-gated tools after `initialized` and announces them with list_changed.
    await until(() => TRANSPORTS.every((t) => sb.listTools(t).some((tool) => tool.name === 'get-roots-list')), 15_000, 'gated tools on every transport');
  }, 40_000);

  afterAll(async () => {
    await Promise.allSettled([sb?.stop(), bare?.stop(), ...Object.values(plain).map((c) => c.close())]);
    await Promise.allSettled([sse?.stop(), http?.stop()]);
  });

  it('connects to server-everything over every transport', () => {
    for (const t of TRANSPORTS) expect(sb.getServer(t)).toMatchObject({ state: 'connected', transport: t, serverInfo: { name: 'mcp-servers/everything' } });
  });

  it.each(TRANSPORTS)('lists the same resources and templates over %s as a plain SDK client', async (t) => {
    const resources = sb.listResources(t);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((r) => r.server === t)).toBe(true);
    expect(resources.map(own)).toEqual(await allPages((cursor) => plain[t].listResources({ cursor }), 'resources'));
    const templates = sb.listResourceTemplates(t);
    expect(templates.map((x) => x.uriTemplate).sort()).toEqual(['demo://resource/dynamic/blob/{resourceId}', TEXT_TEMPLATE]);
    expect(templates.map(own)).toEqual(await allPages((cursor) => plain[t].listResourceTemplates({ cursor }), 'resourceTemplates'));
  });

  it.each(TRANSPORTS)('reads listed and template-matched resources over %s as a plain SDK client does', async (t) => {
    const uris = [...sb.listResources(t).slice(0, 2).map((r) => r.uri), 'demo://resource/dynamic/text/7', 'demo://resource/dynamic/blob/3'];
    for (const uri of uris) {
      const [ours, theirs] = await Promise.all([sb.readResource(uri, { server: t }), plain[t].readResource({ uri })]);
      expect(ours.contents[0]!.uri).toBe(uri);
      expect(masked(ours)).toEqual(masked(theirs));
    }
    const dynamic = await sb.readResource('demo://resource/dynamic/text/7', { server: t });
    expect(dynamic.contents).toEqual([{ uri: 'demo://resource/dynamic/text/7', mimeType: 'text/plain', text: expect.stringMatching(/^Resource 7: This is a plaintext resource created at /) }]);
  });

  it('refuses a uri that every server matches without a server as AmbiguousResource', async () => {
    const error = await sb.readResource('demo://resource/dynamic/text/7').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AmbiguousResource' });
    expect((error as { servers: string[] }).servers.sort()).toEqual(['http', 'sse', 'stdio']);
  });

  it.each(TRANSPORTS)('lists the same prompts over %s as a plain SDK client, with qualified names', async (t) => {
    const prompts = sb.listPrompts(t);
    expect(prompts.map((p) => p.qualifiedName)).toContain(`${t}__args-prompt`);
    expect(prompts.every((p) => p.server === t && p.available === true)).toBe(true);
    expect(prompts.map(own)).toEqual(await allPages((cursor) => plain[t].listPrompts({ cursor }), 'prompts'));
  });

  it.each(TRANSPORTS)('gets prompts with arguments over %s as a plain SDK client does', async (t) => {
    const cases: [string, Record<string, string>][] = [
      ['simple-prompt', {}],
      ['args-prompt', { city: 'Lyon', state: 'Rhône' }],
      ['completable-prompt', { department: 'Sales', name: 'Eve' }],
      ['resource-prompt', { resourceType: 'Blob', resourceId: '4' }],
    ];
    for (const [name, args] of cases) {
      const [ours, theirs] = await Promise.all([sb.getPrompt(`${t}__${name}`, args), plain[t].getPrompt({ name, arguments: args })]);
      expect(masked(ours)).toEqual(masked(theirs));
    }
    const args = await sb.getPrompt('args-prompt', { city: 'Lyon' }, { server: t });
    expect(args.messages[0]!.content).toEqual({ type: 'text', text: "What's weather in Lyon?" });
  });

  it.each(TRANSPORTS)('completes prompt and template arguments over %s as a plain SDK client does', async (t) => {
    const requests = [
      { ref: { type: 'ref/prompt' as const, name: 'completable-prompt' }, argument: { name: 'department', value: 'S' } },
      { ref: { type: 'ref/prompt' as const, name: 'completable-prompt' }, argument: { name: 'name', value: '' }, context: { arguments: { department: 'Engineering' } } },
      { ref: { type: 'ref/prompt' as const, name: 'resource-prompt' }, argument: { name: 'resourceType', value: 'B' } },
      { ref: { type: 'ref/resource' as const, uri: TEXT_TEMPLATE }, argument: { name: 'resourceId', value: '12' } },
    ];
    const values: string[][] = [];
    for (const request of requests) {
      const [ours, theirs] = await Promise.all([sb.complete(request, { server: t }), plain[t].complete(request)]);
      expect(ours).toEqual(theirs);
      values.push(ours.completion.values);
    }
    expect(values).toEqual([['Sales', 'Support'], ['Alice', 'Bob', 'Charlie'], ['Blob'], ['12']]);
    // A qualified prompt name routes without `{ server }`.
    const routed = await sb.complete({ ref: { type: 'ref/prompt', name: `${t}__completable-prompt` }, argument: { name: 'department', value: 'M' } });
    expect(routed.completion.values).toEqual(['Marketing']);
  });

  it('completes a qualified prompt name with { server } as getPrompt routes it', async () => {
    // getPrompt resolves `stdio__args-prompt` with { server }; complete must route the same name the same way.
    expect((await sb.getPrompt('stdio__args-prompt', { city: 'Oslo' }, { server: 'stdio' })).messages).toHaveLength(1);
    const result = await sb.complete({ ref: { type: 'ref/prompt', name: 'stdio__completable-prompt' }, argument: { name: 'department', value: 'S' } }, { server: 'stdio' });
    expect(result.completion.values).toEqual(['Sales', 'Support']);
  });

  it.each(TRANSPORTS)('reports resources/updated from %s for a subscribed resource as resource.updated', async (t) => {
    const uri = sb.listResources(t)[0]!.uri;
    const updates: string[] = [];
    const stopListening = sb.on('resource.updated', (e) => updates.push(`${e.server} ${e.uri}`));
    const off = await sb.subscribeResource(uri, { server: t });
    try {
      // The tool sends one update per subscribed uri at once, then every 5 s until toggled off.
      await sb.callTool(`${t}__toggle-subscriber-updates`);
      await until(() => updates.includes(`${t} ${uri}`), 10_000, `resource.updated from ${t}`);
    } finally {
      await sb.callTool(`${t}__toggle-subscriber-updates`);
      await off();
      stopListening();
    }
    expect(updates.every((u) => u === `${t} ${uri}`)).toBe(true);
  });

  it('lists the capability-gated tools only when the handlers exist', () => {
    for (const t of ['sse', 'http'] as const) {
      const without = new Set(bare.listTools(t).map((tool) => tool.name));
      expect(without.size).toBeGreaterThan(0);
      expect(sb.listTools(t).map((tool) => tool.name).filter((name) => !without.has(name)).sort()).toEqual(GATED);
    }
    expect(GATED.every((name) => sb.listTools('stdio').some((tool) => tool.qualifiedName === `stdio__${name}`))).toBe(true);
  });

  it('refuses a capability-gated tool on a switchboard without handlers as ToolNotFound', async () => {
    await expect(bare.callTool('http__trigger-sampling-request', { prompt: 'x' })).rejects.toMatchObject({ code: 'ToolNotFound' });
  });

  it.each(TRANSPORTS)('lists the same tools over %s as a plain SDK client with the same capabilities', async (t) => {
    expect(sb.listTools(t).map(own)).toEqual(await allPages((cursor) => plain[t].listTools({ cursor }), 'tools'));
  });

  it.each(TRANSPORTS)('answers the sampling request of %s__trigger-sampling-request with the sampling handler', async (t) => {
    const result = await sb.callTool(`${t}__trigger-sampling-request`, { prompt: `hello ${t}`, maxTokens: 7 });
    const mine = asked.filter((a) => a.kind === 'sampling' && a.server === t);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.params).toMatchObject({ maxTokens: 7, systemPrompt: 'You are a helpful test server.', messages: [{ role: 'user', content: { type: 'text', text: `Resource trigger-sampling-request context: hello ${t}` } }] });
    expect(text(result)).toContain(`"model": "model-of-${t}"`);
    expect(text(result)).toContain(`${t} answers \\"Resource trigger-sampling-request context: hello ${t}\\"`);
  });

  it.each(TRANSPORTS)('answers the elicitation of %s__trigger-elicitation-request, with the schema defaults filled in', async (t) => {
    const result = await sb.callTool(`${t}__trigger-elicitation-request`);
    const mine = asked.filter((a) => a.kind === 'elicitation' && a.server === t);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.params).toMatchObject({ message: 'Please provide inputs for the following fields:', requestedSchema: { required: ['name'] } });
    // The handler gave name and check; integer (42) and number (3.14) come from the schema's defaults.
    expect(text(result)).toContain(`- Name: user of ${t}\n- Agreed to terms: true`);
    expect(text(result)).toContain('- Favorite Integer: 42\n- Favorite Number: 3.14');
  });

  it.each(TRANSPORTS)('answers a url-mode elicitation of %s__trigger-url-elicitation', async (t) => {
    const result = await sb.callTool(`${t}__trigger-url-elicitation`, { url: 'https://example.com/consent', elicitationId: `consent-${t}` });
    const mine = asked.filter((a) => a.kind === 'elicitation' && a.server === t && a.params?.mode === 'url');
    expect(mine.map((a) => a.params)).toEqual([{ mode: 'url', url: 'https://example.com/consent', message: 'Please open the link to complete this action.', elicitationId: `consent-${t}` }]);
    expect(text(result)).toContain(`✅ User completed the URL elicitation flow.\nElicitation ID: consent-${t}`);
  });

  it.each(TRANSPORTS)('gives %s the roots of the roots handler, then the ones set by setRoots', async (t) => {
    expect(text(await sb.callTool(`${t}__get-roots-list`))).toContain(`1. root of ${t}\n   URI: file:///work/${t}`);
    expect(asked.some((a) => a.kind === 'roots' && a.server === t)).toBe(true);
  });

  it('tells every server about setRoots, and each lists the new roots', async () => {
    sb.setRoots([{ uri: 'file:///shared/a', name: 'shared a' }, { uri: 'file:///shared/b' }]);
    // Each server asks for the roots again when notified; poll its tool until it has them.
    for (const t of TRANSPORTS) {
      let listed = '';
      const deadline = Date.now() + 10_000;
      while (!listed.includes('(2 total)') && Date.now() < deadline) listed = text(await sb.callTool(`${t}__get-roots-list`));
      expect(listed).toContain('1. shared a\n   URI: file:///shared/a\n\n2. Unnamed Root\n   URI: file:///shared/b');
    }
  });

  it('stops every server-everything process it started', async () => {
    expect(markedProcesses(EVERYTHING_MARKER).length).toBe(4); // sse, http, and two stdio children (switchboard's and plain client's)
    await Promise.all([sb.stop(), bare.stop(), ...Object.values(plain).map((c) => c.close())]);
    await Promise.all([sse.stop(), http.stop()]);
    expect(await waitUnmarked(EVERYTHING_MARKER)).toEqual([]);
  });
});
