import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGateway, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { ToolSearch } from '../../src/search/toolSearch.js';
import { stdioServer, until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream } from '../gateway/eras.js';

/**
 * Review of issue 23 parts 1-2: tool search and the search-mode gateway, attacked at the edges.
 * Upstreams are SDK McpServers in memory: `big` with 150 tools about widgets, `small` with one
 * tool that mentions widgets only in its description, and `dyn` whose tools change at run time.
 */

const ERROR_KEY = 'mcp-switchboard/error';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Dyn {
  server?: McpServer;
  extra?: RegisteredTool;
}

function bigServer(): McpServer {
  const s = new McpServer({ name: 'big', version: '1' });
  for (let i = 0; i < 150; i++) {
    s.registerTool(`widget_${i}`, { description: `Widget operation number ${i}`, inputSchema: { widget: z.string() } }, async () => ({ content: [{ type: 'text', text: `w${i}` }] }));
  }
  return s;
}

function smallServer(): McpServer {
  const s = new McpServer({ name: 'small', version: '1' });
  s.registerTool('frobnicate', { description: 'Tunes the frobnicator; it also touches a widget in passing' }, async () => ({ content: [{ type: 'text', text: 'frob' }] }));
  s.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return s;
}

function dynServer(dyn: Dyn): McpServer {
  const s = new McpServer({ name: 'dyn', version: '1' }, { capabilities: { tools: { listChanged: true } } });
  s.registerTool('stable_tool', { description: 'Always here' }, async () => ({ content: [{ type: 'text', text: 'stable' }] }));
  dyn.server = s;
  return s;
}

const memory = (make: () => McpServer) => async (): Promise<Transport> => {
  const [client, server] = InMemoryTransport.createLinkedPair();
  await make().connect(server);
  return client;
};

async function build(config: Record<string, unknown>, servers: Record<string, () => McpServer>, gatewayTools?: { deny: string[] }): Promise<{ sb: Switchboard; gateway: Gateway }> {
  const router = createGatewayRouter();
  const transports = Object.fromEntries(Object.entries(servers).map(([name, make]) => [name, memory(make)]));
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } }, ...config } as never, { transports, handlers: router.handlers });
  const gateway = createGateway(sb, { router, listChangedDebounceMs: 10, ...(gatewayTools ? { tools: gatewayTools } : {}) });
  cleanups.push(() => sb.stop());
  cleanups.push(() => gateway.close());
  await sb.start();
  return { sb, gateway };
}

const names = (r: { structuredContent?: unknown }) => ((r.structuredContent as { tools: { name: string }[] } | undefined)?.tools ?? []).map((t) => t.name);

describe('review23: search_tools in a view that hides most tools', () => {
  it('a profile limited to one server still finds that server\'s matching tool when >100 other tools outrank it', async () => {
    const { gateway } = await build(
      { gateway: { catalog: 'search', profiles: { narrow: { servers: ['small'] } } } },
      { big: bigServer, small: smallServer },
    );
    const client = await connectDownstream('legacy', { kind: 'memory', gateway, profile: 'narrow' });
    const result = await client.callTool({ name: 'search_tools', arguments: { query: 'widget' } });
    expect(result.isError).toBeFalsy();
    // Expected: the profile's only widget tool. Defect: the top 100 of the whole switchboard are
    // filtered after the fact, so the profile's tool is never among them.
    expect(names(result)).toContain('small__frobnicate');
  });

  it('gateway.tools deny hiding >100 better matches still lets the exposed match be found', async () => {
    const { gateway } = await build({ gateway: { catalog: 'search' } }, { big: bigServer, small: smallServer }, { deny: ['big__*'] });
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const result = await client.callTool({ name: 'search_tools', arguments: { query: 'widget' } });
    expect(names(result)).toContain('small__frobnicate');
  });

  it('a profile deny glob hides a tool from search_tools and call_tool (pins behaviour)', async () => {
    const { gateway } = await build(
      { gateway: { catalog: 'search', profiles: { p: { servers: ['small'], tools: { deny: ['small__frobnicate'] } } } } },
      { big: bigServer, small: smallServer },
    );
    const client = await connectDownstream('modern', { kind: 'memory', gateway, profile: 'p' });
    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'frobnicate', limit: 50 } });
    expect(names(found)).not.toContain('small__frobnicate');
    const called = await client.callTool({ name: 'call_tool', arguments: { name: 'small__frobnicate', arguments: {} } });
    expect(called.isError).toBe(true);
    expect((called._meta as Record<string, { code: string }>)[ERROR_KEY]!.code).toBe('ToolNotFound');
  });
});

describe('review23: search_tools / call_tool arguments', () => {
  it('bad arguments are tool errors with InvalidArguments, never protocol errors', async () => {
    const { gateway } = await build({ gateway: { catalog: 'search' } }, { small: smallServer });
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const cases: Array<[string, Record<string, unknown>]> = [
      ['search_tools', { query: 42 }],
      ['search_tools', { query: ['echo'] }],
      ['search_tools', { query: 'echo', limit: 1e9 }],
      ['search_tools', { query: 'echo', limit: '5' }],
      ['search_tools', { query: 'echo', limit: null }],
      ['call_tool', { name: 'small__echo', arguments: null }],
      ['call_tool', { name: 'small__echo', arguments: [1] }],
      ['call_tool', { name: 7 }],
      ['call_tool', {}],
    ];
    for (const [name, args] of cases) {
      const r = await client.callTool({ name, arguments: args });
      expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect((r._meta as Record<string, { code: string }>)[ERROR_KEY]!.code, `${name} ${JSON.stringify(args)}`).toBe('InvalidArguments');
    }
  });

  it('call_tool naming call_tool or search_tools is not recursion: ToolNotFound', async () => {
    const { gateway } = await build({ gateway: { catalog: 'search' } }, { small: smallServer });
    const client = await connectDownstream('modern', { kind: 'memory', gateway });
    for (const inner of ['call_tool', 'search_tools']) {
      const r = await client.callTool({ name: 'call_tool', arguments: { name: inner, arguments: { name: 'small__echo', arguments: { text: 'x' }, query: 'echo' } } });
      expect(r.isError, inner).toBe(true);
      expect((r._meta as Record<string, { code: string }>)[ERROR_KEY]!.code, inner).toBe('ToolNotFound');
    }
  });

  it('call_tool with arguments omitted calls the tool with none; the tool\'s own validation error comes back as a tool error', async () => {
    const { gateway } = await build({ gateway: { catalog: 'search' } }, { small: smallServer });
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const ok = await client.callTool({ name: 'call_tool', arguments: { name: 'small__frobnicate' } });
    expect(ok).toMatchObject({ content: [{ type: 'text', text: 'frob' }] });
    const bad = await client.callTool({ name: 'call_tool', arguments: { name: 'small__echo', arguments: { text: 5 } } });
    expect(bad.isError).toBe(true);
  });

  it('a pinned glob matching nothing lists only the two; "*" lists everything plus the two, once each', async () => {
    const none = await build({ gateway: { catalog: 'search', pinned: ['nosuch__*'] } }, { small: smallServer });
    const c1 = await connectDownstream('legacy', { kind: 'memory', gateway: none.gateway });
    expect((await c1.listTools()).tools.map((t) => t.name)).toEqual(['search_tools', 'call_tool']);
    const all = await build({ gateway: { catalog: 'search', pinned: ['*'] } }, { small: smallServer });
    const c2 = await connectDownstream('legacy', { kind: 'memory', gateway: all.gateway });
    const listed = (await c2.listTools()).tools.map((t) => t.name);
    expect(listed).toEqual(['search_tools', 'call_tool', 'small__frobnicate', 'small__echo']);
  });

  it('an upstream tool named search_tools/call_tool cannot shadow the gateway\'s own in search mode', async () => {
    const clash = () => {
      const s = new McpServer({ name: 'clash', version: '1' });
      s.registerTool('search_tools', { description: 'upstream impostor' }, async () => ({ content: [{ type: 'text', text: 'impostor' }] }));
      return s;
    };
    const { gateway } = await build({ gateway: { catalog: 'search', pinned: ['*'] } }, { clash, small: smallServer });
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const listed = (await client.listTools()).tools.map((t) => t.name);
    expect(listed.filter((n) => n === 'search_tools')).toHaveLength(1);
    const r = await client.callTool({ name: 'search_tools', arguments: { query: 'echo' } });
    expect(r.structuredContent).toBeDefined();
  });
});

describe('review23: caps through call_tool', () => {
  it('call_tool results get the gateway default cap (100 000) with the truncated mark; the library itself does not cap by default', async () => {
    const { sb, gateway } = await build({ gateway: { catalog: 'search' } }, { small: smallServer });
    const text = 'é😀'.repeat(60_000); // 180 000 units
    const direct = await sb.callTool('small__echo', { text });
    expect((direct.content as Array<{ text: string }>)[0]!.text.length).toBe(text.length);
    const client = await connectDownstream('modern', { kind: 'memory', gateway });
    const r = await client.callTool({ name: 'call_tool', arguments: { name: 'small__echo', arguments: { text } } });
    const out = (r.content as Array<{ text: string }>)[0]!.text;
    const kept = out.split('\n… [cut by mcp-switchboard')[0]!;
    expect(kept.length).toBeLessThanOrEqual(100_000);
    expect(kept.length).toBeGreaterThan(99_990);
    expect(/[\ud800-\udbff]$/.test(kept)).toBe(false);
    expect((r._meta as Record<string, unknown>)['mcp-switchboard/truncated']).toEqual({ originalChars: text.length });
  });
});

describe('review23: the index follows catalog changes', () => {
  it('a tool added by list_changed is found on the next search; a removed one is not returned and call_tool says ToolNotFound', async () => {
    const dyn: Dyn = {};
    const { sb, gateway } = await build({ gateway: { catalog: 'search' } }, { dyn: () => dynServer(dyn) });
    expect((await sb.searchTools('quasar')).map((t) => t.name)).toEqual([]);
    dyn.extra = dyn.server!.registerTool('quasar_launch', { description: 'Launches a quasar' }, async () => ({ content: [{ type: 'text', text: 'launched' }] }));
    await until(() => sb.listTools('dyn').some((t) => t.name === 'quasar_launch'), 5_000, 'the new tool');
    expect((await sb.searchTools('quasar')).map((t) => t.name)).toEqual(['quasar_launch']);
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'launch quasar' } });
    expect(names(found)).toEqual(['dyn__quasar_launch']);
    dyn.extra.remove();
    await until(() => !sb.listTools('dyn').some((t) => t.name === 'quasar_launch'), 5_000, 'the tool gone');
    expect((await sb.searchTools('quasar')).map((t) => t.name)).toEqual([]);
    expect(names(await client.callTool({ name: 'search_tools', arguments: { query: 'quasar' } }))).toEqual([]);
    const called = await client.callTool({ name: 'call_tool', arguments: { name: 'dyn__quasar_launch' } });
    expect(called.isError).toBe(true);
    expect((called._meta as Record<string, { code: string }>)[ERROR_KEY]!.code).toBe('ToolNotFound');
  });

  it('a server removed by reload is gone from the search at once (stdio servers)', async () => {
    const cfg = (servers: Record<string, unknown>) => ({ servers, defaults: { health: { intervalMs: 0 } } });
    const sb = createSwitchboard(cfg({ files: stdioServer('files'), other: stdioServer('other') }) as never);
    cleanups.push(() => sb.stop());
    await sb.start();
    expect((await sb.searchTools('only other')).map((t) => t.qualifiedName)).toContain('other__only_other');
    await sb.reload(cfg({ files: stdioServer('files') }) as never);
    await until(() => !sb.listServers().some((s) => s.name === 'other'), 10_000, 'other removed');
    const after = (await sb.searchTools('only other', { limit: 100 })).map((t) => t.qualifiedName);
    expect(after.filter((n) => n.startsWith('other__'))).toEqual([]);
  });

  it('a tool renamed by reload (tools.rename) is found under its new name only', async () => {
    const cfg = (extra: Record<string, unknown>) => ({ servers: { files: stdioServer('files', undefined, extra) }, defaults: { health: { intervalMs: 0 } } });
    const sb = createSwitchboard(cfg({}) as never);
    cleanups.push(() => sb.stop());
    await sb.start();
    expect((await sb.searchTools('echo')).map((t) => t.name)).toContain('echo');
    await sb.reload(cfg({ tools: { rename: { echo: 'parrot' } } }) as never);
    await until(() => sb.listTools('files').some((t) => t.name === 'parrot'), 10_000, 'the rename');
    const found = (await sb.searchTools('parrot')).map((t) => t.name);
    expect(found).toContain('parrot');
    expect((await sb.searchTools('echo', { limit: 100 })).map((t) => t.name)).not.toContain('echo');
  });
});

describe('review23: sb.searchTools / ToolSearch edges', () => {
  const tool = (server: string, name: string, description = '') => ({ server, name, qualifiedName: `${server}__${name}`, description, inputSchema: { type: 'object' } }) as never;

  it('a limit of NaN answers the default, not nothing', async () => {
    const s = new ToolSearch();
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail')] }]);
    expect((await s.search('mail', { limit: Number.NaN })).length).toBe(1);
  });

  it('a huge, zero or negative limit is clamped (1..100)', async () => {
    const s = new ToolSearch();
    const many = Array.from({ length: 150 }, (_, i) => tool('a', `mail_${i}`, 'mail'));
    s.sync([{ server: 'a', keys: [1], tools: () => many }]);
    expect((await s.search('mail', { limit: 1e9 })).length).toBe(100);
    expect((await s.search('mail', { limit: Infinity })).length).toBe(100);
    expect((await s.search('mail', { limit: 0 })).length).toBe(1);
    expect((await s.search('mail', { limit: -3 })).length).toBe(1);
  });

  it('a non-string query is a typed error (or no match), not a TypeError from inside', async () => {
    const s = new ToolSearch();
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail')] }]);
    let error: unknown;
    try {
      await s.search(42 as never);
    } catch (e) {
      error = e;
    }
    expect(error === undefined || (error as { code?: string }).code === 'InvalidRequest').toBe(true);
  });

  it('two servers with the same tool name are both indexed; a server filter keeps one', async () => {
    const s = new ToolSearch();
    s.sync([
      { server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail')] },
      { server: 'b', keys: [1], tools: () => [tool('b', 'send_mail', 'Sends mail')] },
    ]);
    expect((await s.search('send mail')).map((t) => (t as { server: string }).server).sort()).toEqual(['a', 'b']);
    expect((await s.search('send mail', { server: 'b' })).map((t) => (t as { server: string }).server)).toEqual(['b']);
  });

  it('query of only punctuation / stop words answers [] without throwing', async () => {
    const s = new ToolSearch();
    s.sync([{ server: 'a', keys: [1], tools: () => [tool('a', 'send_mail', 'Sends mail')] }]);
    for (const q of ['???', '   ', 'the a of', '__', '*', '\u0000']) expect(await s.search(q)).toBeInstanceOf(Array);
  });

  it('a pathological long query stays fast', async () => {
    const s = new ToolSearch();
    const many = Array.from({ length: 3000 }, (_, i) => tool(`s${i % 10}`, `op_${i}_thing`, `Does thing number ${i} with stuff`));
    const bySrv = new Map<string, unknown[]>();
    for (const t of many as Array<{ server: string }>) bySrv.set(t.server, [...(bySrv.get(t.server) ?? []), t]);
    s.sync([...bySrv].map(([server, tools]) => ({ server, keys: [1], tools: () => tools as never })));
    const q = Array.from({ length: 200 }, (_, i) => `wrd${i}x`).join(' ');
    const start = performance.now();
    await s.search(q);
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});
