import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { createJsonLogger } from '../../src/core/logger.js';
import { issuesOf } from '../config/issues.js';
import { serve, type Service } from '../../src/server/serve.js';
import { CLI, SERVICE_FIXTURE, writeConfig } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS, type Downstream, type Era } from './eras.js';
import { setup, teardown, type Setup } from './upstream.js';

/**
 * The search-mode gateway (DESIGN §17, issue 23): with `gateway.catalog: search` `tools/list` is
 * the pinned tools plus `search_tools` and `call_tool`; `call_tool` behaves as calling the tool
 * directly (routing, errors with `_meta["mcp-switchboard/error"]`, progress, cancellation). In
 * memory for both downstream eras (upstreams `up` and `other`, the SDK's McpServer), over `/mcp`
 * of `serve`, and over stdio by `switchboard gateway` with real stdio upstreams.
 */

const services: Service[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const service of services.splice(0)) await service.close();
  await teardown();
});

const HEALTH = { health: { intervalMs: 0 } };
/** `up` and `other` behind a gateway whose config says `catalog: search` (and `tools`, when given, applied by the gateway as the CLI does). */
const searching = (gateway: Record<string, unknown> = {}, tools?: { deny: string[] }) =>
  setup({ other: true, config: { defaults: HEALTH, gateway: { catalog: 'search', pinned: ['up__echo'], ...gateway } }, ...(tools ? { gateway: { tools } } : {}) });
const connect = (era: Era, gateway: Setup['gateway'], profile?: string) => connectDownstream(era, profile === undefined ? { kind: 'memory', gateway } : { kind: 'memory', gateway, profile });
const toolNames = async (client: Downstream) => (await client.listTools()).tools.map((t) => t.name);
const ERROR_KEY = 'mcp-switchboard/error';

describe.each(ERAS)('a search-mode gateway (%s client)', (era) => {
  it('lists its two tools and the pinned ones only; a full gateway lists every tool', async () => {
    const { gateway } = await searching();
    const client = await connect(era, gateway);
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(['search_tools', 'call_tool', 'up__echo']);
    const search = tools.find((t) => t.name === 'search_tools')!;
    expect(search.inputSchema).toMatchObject({ type: 'object', required: ['query'] });
    expect(search.description).toMatch(/call_tool/);
    expect(tools.find((t) => t.name === 'call_tool')!.inputSchema).toMatchObject({ required: ['name'] });

    const full = await setup({ other: true, config: { defaults: HEALTH } });
    const all = await toolNames(await connect(era, full.gateway));
    expect(all).not.toContain('search_tools');
    expect(all.length).toBe(14);
  });

  it('search_tools answers the best matches with names, descriptions and input schemas', async () => {
    const { gateway } = await searching();
    const client = await connect(era, gateway);
    const result = await client.callTool({ name: 'search_tools', arguments: { query: 'add numbers', limit: 3 } });
    expect(result.isError).toBeFalsy();
    const found = (result.structuredContent as { tools: { name: string; description?: string; inputSchema: Record<string, unknown> }[] }).tools;
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThanOrEqual(3);
    expect(['up__add', 'other__add']).toContain(found[0]!.name);
    expect(found[0]).toMatchObject({ description: 'Adds', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } });
    // The same matches as text for a model that reads only content.
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(found);
    // Typo-tolerant, and a query that matches nothing says so.
    const typo = await client.callTool({ name: 'search_tools', arguments: { query: 'ask the usrr' } });
    expect((typo.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('up__ask');
    const none = await client.callTool({ name: 'search_tools', arguments: { query: 'zzqqxx' } });
    expect(none).toMatchObject({ structuredContent: { tools: [] }, content: [{ type: 'text', text: 'No tool matches "zzqqxx". Try other words.' }] });
  });

  it('search_tools refuses bad arguments as a tool error naming the argument', async () => {
    const { gateway } = await searching();
    const client = await connect(era, gateway);
    for (const [args, what] of [
      [{}, '"query"'],
      [{ query: '  ' }, '"query"'],
      [{ query: 'add', limit: 0 }, '"limit"'],
      [{ query: 'add', limit: 2.5 }, '"limit"'],
      [{ query: 'add', extra: 1 }, '"extra"'],
    ] as const) {
      const result = await client.callTool({ name: 'search_tools', arguments: args as Record<string, unknown> });
      expect(result.isError).toBe(true);
      expect((result.content[0] as { text: string }).text).toContain(what);
      expect(result._meta?.[ERROR_KEY]).toEqual({ code: 'InvalidArguments' });
    }
  });

  it('call_tool answers what the tool answers directly, errors included', async () => {
    const { gateway } = await searching();
    const client = await connect(era, gateway);
    const viaCallTool = await client.callTool({ name: 'call_tool', arguments: { name: 'other__add', arguments: { a: 2, b: 3 } } });
    const direct = await client.callTool({ name: 'other__add', arguments: { a: 2, b: 3 } });
    expect(viaCallTool).toEqual(direct);
    expect(viaCallTool).toMatchObject({ structuredContent: { sum: 5 } });
    // Arguments the tool's schema refuses: the same tool error either way.
    const badDirect = await client.callTool({ name: 'other__add', arguments: { a: 'x' } });
    const badVia = await client.callTool({ name: 'call_tool', arguments: { name: 'other__add', arguments: { a: 'x' } } });
    expect(badDirect.isError).toBe(true);
    expect(badVia).toEqual(badDirect);
  });

  it("call_tool answers the switchboard's refusals as a direct call does, with _meta[\"mcp-switchboard/error\"]", async () => {
    const { sb, gateway, probe } = await searching();
    const client = await connect(era, gateway);
    // `up` goes down and does not come back: a call is refused at once (no wait for a reconnect).
    await sb.reload({ servers: {}, defaults: { ...HEALTH, admission: { waitForReconnectMs: 0 } }, gateway: { catalog: 'search', pinned: ['up__echo'] } });
    probe.refuse = true;
    sb.reconnect('up');
    await until(() => sb.getServer('up')?.state !== 'connected', 5_000, 'up to go down');
    const direct = await client.callTool({ name: 'up__echo', arguments: { text: 'x' } });
    const via = await client.callTool({ name: 'call_tool', arguments: { name: 'up__echo', arguments: { text: 'x' } } });
    expect(direct._meta?.[ERROR_KEY]).toMatchObject({ code: 'ServerUnavailable' });
    expect(via).toMatchObject({ isError: true, content: direct.content, _meta: { [ERROR_KEY]: { code: 'ServerUnavailable', retryAfterMs: expect.any(Number) } } });
  });

  it("call_tool answers an unknown name or bad arguments of its own with a tool error the model can act on", async () => {
    const { gateway } = await searching({}, { deny: ['other__hang'] });
    const client = await connect(era, gateway);
    for (const name of ['nope__nothing', 'other__hang', 'search_tools']) {
      const result = await client.callTool({ name: 'call_tool', arguments: { name } });
      expect(result).toMatchObject({ isError: true, _meta: { [ERROR_KEY]: { code: 'ToolNotFound' } } });
      expect((result.content[0] as { text: string }).text).toContain(`no tool named "${name}"`);
    }
    for (const args of [{}, { name: '' }, { name: 'up__echo', arguments: [1] }, { name: 'up__echo', text: 'x' }]) {
      const result = await client.callTool({ name: 'call_tool', arguments: args as Record<string, unknown> });
      expect(result).toMatchObject({ isError: true, _meta: { [ERROR_KEY]: { code: 'InvalidArguments' } } });
    }
    // Denied tools are not found by search either.
    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'runs until cancelled', limit: 50 } });
    expect((found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name)).not.toContain('other__hang');
  });

  it('call_tool passes progress on and cancels the upstream call when the client cancels', async () => {
    const { gateway, probe } = await searching();
    const client = await connect(era, gateway);
    const progress: string[] = [];
    const result = await client.callTool({ name: 'call_tool', arguments: { name: 'up__progress' } }, { onprogress: (p) => progress.push(`${p.progress}/${p.total} ${p.message}`) });
    expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(progress).toEqual(['1/2 step 1', '2/2 step 2']);

    const controller = new AbortController();
    const call = client.callTool({ name: 'call_tool', arguments: { name: 'up__hang' } }, { signal: controller.signal });
    await until(() => probe.hanging === 1, 5_000, 'the upstream call to start');
    controller.abort();
    await expect(call).rejects.toThrow();
    await until(() => probe.cancelled.length === 1, 5_000, 'the upstream to be told of the cancel');
  });

  it('a profile may list in full while the gateway searches; search stays within the profile', async () => {
    const { gateway } = await searching({ profiles: { everything: { servers: ['up'], catalog: 'full' }, few: { servers: ['other'], pinned: ['other__add'] } } });
    expect(await toolNames(await connect(era, gateway, 'everything'))).toHaveLength(7);
    const few = await connect(era, gateway, 'few');
    expect(await toolNames(few)).toEqual(['search_tools', 'call_tool', 'other__add']);
    const found = await few.callTool({ name: 'search_tools', arguments: { query: 'echo', limit: 50 } });
    const names = (found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain('other__echo');
    expect(names.filter((n) => !n.startsWith('other__'))).toEqual([]);
    const outside = await few.callTool({ name: 'call_tool', arguments: { name: 'up__echo', arguments: { text: 'x' } } });
    expect(outside._meta?.[ERROR_KEY]).toEqual({ code: 'ToolNotFound' });
  });
});

describe('a search-mode gateway and reloads', () => {
  it('a reload that turns search mode on is a tools/list_changed, and the next list is the short one', async () => {
    const { sb, gateway } = await setup({ other: true, config: { defaults: HEALTH } });
    const client = await connect('legacy', gateway);
    expect(await toolNames(client)).toHaveLength(14);
    let changed = 0;
    await client.onToolsChanged(() => changed++);
    await sb.reload({ servers: {}, defaults: HEALTH, gateway: { catalog: 'search', pinned: ['*__add'] } });
    // The CLI's reloader tells the gateway (followGatewayConfig); in the library the host does.
    gateway.setToolFilter(sb.gatewayConfig.tools);
    await until(() => changed > 0, 5_000, 'tools/list_changed');
    const names = await toolNames(client);
    expect(names.slice(0, 2)).toEqual(['search_tools', 'call_tool']);
    expect(names.slice(2).sort()).toEqual(['other__add', 'up__add']);
  });
});

describe('a search-mode gateway at /mcp of serve', () => {
  const TOKEN = 'search-mode-token-0123456789';
  for (const era of ERAS) {
    it(`serves search_tools and call_tool to a ${era} client over HTTP`, async () => {
      const { sb, gateway } = await searching();
      const service = await serve(sb, { port: 0, token: TOKEN, gateway, logger: createJsonLogger({ write: () => undefined }), logEvents: false });
      services.push(service);
      const client = await connectDownstream(era, { kind: 'http', url: new URL(`${service.url}/mcp`), headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await toolNames(client)).toEqual(['search_tools', 'call_tool', 'up__echo']);
      const found = await client.callTool({ name: 'search_tools', arguments: { query: 'greeting echo text' } });
      expect((found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('other__echo');
      expect(await client.callTool({ name: 'call_tool', arguments: { name: 'other__echo', arguments: { text: 'over http' } } })).toMatchObject({ content: [{ type: 'text', text: 'over http' }] });
    });
  }
});

describe('switchboard gateway with gateway.catalog: search', () => {
  it('serves the short list over stdio and calls real stdio upstreams through call_tool', async () => {
    const fixture = (name: string) => ({ transport: 'stdio', command: process.execPath, args: [SERVICE_FIXTURE, `name=${name}`] });
    const config = writeConfig(JSON.stringify({ servers: { alpha: fixture('alpha'), beta: fixture('beta') }, defaults: HEALTH, gateway: { catalog: 'search', pinned: ['alpha__mark'] } }));
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'gateway', '--config', config], stderr: 'pipe' });
    const client = new Client({ name: 'host', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['search_tools', 'call_tool', 'alpha__mark']);
      const found = await client.callTool({ name: 'search_tools', arguments: { query: 'structured', limit: 5 } });
      const names = (found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['alpha__structured', 'beta__structured']));
      const direct = await client.callTool({ name: 'beta__structured', arguments: {} });
      expect(await client.callTool({ name: 'call_tool', arguments: { name: 'beta__structured', arguments: {} } })).toEqual(direct);
    } finally {
      await client.close();
    }
  });
});

describe('gateway.catalog and gateway.pinned in the config', () => {
  it('default to a full catalog with nothing pinned', () => {
    expect(resolveConfig({ servers: {} }).gateway).toMatchObject({ catalog: 'full', pinned: [] });
    expect(resolveConfig({ servers: {}, gateway: { catalog: 'search', pinned: ['a__*'] } }).gateway).toMatchObject({ catalog: 'search', pinned: ['a__*'] });
  });

  it('are a ConfigError naming the exact key when wrong', () => {
    expect(issuesOf(() => resolveConfig({ servers: {}, gateway: { catalog: 'partial' } } as never)).map((i) => i.path)).toEqual(['gateway.catalog']);
    expect(issuesOf(() => resolveConfig({ servers: {}, gateway: { pinned: ['ok', ''] } } as never)).map((i) => i.path)).toEqual(['gateway.pinned[1]']);
    expect(issuesOf(() => resolveConfig({ servers: {}, gateway: { profiles: { p: { catalog: 'all' } } } } as never)).map((i) => i.path)).toEqual(['gateway.profiles.p.catalog']);
  });
});
