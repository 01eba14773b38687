import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';
import { serve, type Service } from '../../src/server/serve.js';
import { CLI, runCli, SERVICE_FIXTURE, writeConfig } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS, type Downstream, type Era } from './eras.js';
import { setup, teardown, type Setup } from './upstream.js';

/**
 * Gateway profiles (DESIGN §18, issue 22): `gateway.profiles.<name>: { servers?, tools? }` is a
 * subset of servers and tools for one host, served to `gateway.connect(t, { profile })`, at
 * `/mcp/<profile>` of `serve` and by `switchboard gateway --profile`. Upstreams `up` and `other`
 * (in memory, the same tools, prompt, resource and template each).
 */

const PROFILES = {
  dev: { servers: ['up'] },
  readers: { tools: { allow: ['*__echo', '*__add', '*__hang'] } },
};

const services: Service[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const service of services.splice(0)) await service.close();
  await teardown();
});

/** `up` and `other` behind a gateway whose config has PROFILES (and `gateway.tools`, when given, applied by the gateway). */
const profiled = (tools?: { allow?: string[]; deny?: string[] }) =>
  setup({ other: true, config: { gateway: { profiles: PROFILES } }, ...(tools ? { gateway: { tools } } : {}) });

const connect = (era: Era, gateway: Setup['gateway'], profile?: string) => connectDownstream(era, profile === undefined ? { kind: 'memory', gateway } : { kind: 'memory', gateway, profile });
const toolNames = async (client: Downstream) => (await client.listTools()).tools.map((t) => t.name).sort();

describe.each(ERAS)('a gateway profile (%s client)', (era) => {
  it("shows only its servers' tools, prompts, resources and templates", async () => {
    const { gateway } = await profiled();
    const dev = await connect(era, gateway, 'dev');
    expect(await toolNames(dev)).toEqual(['up__add', 'up__ask', 'up__echo', 'up__hang', 'up__progress', 'up__roots', 'up__sample']);
    expect((await dev.listPrompts()).prompts.map((p) => p.name)).toEqual(['up__greet']);
    expect((await dev.listResources()).resources.map((r) => r.uri)).toEqual(['mem://up/readme']);
    expect((await dev.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['mem://up/items/{id}']);
    // The same gateway without a profile still shows both servers.
    const all = await connect(era, gateway);
    expect((await toolNames(all)).filter((n) => n.startsWith('other__'))).toHaveLength(7);
  });

  it('serves what is in it and refuses everything else as unknown', async () => {
    const { gateway } = await profiled();
    const dev = await connect(era, gateway, 'dev');
    expect(await dev.callTool({ name: 'up__add', arguments: { a: 1, b: 2 } })).toMatchObject({ structuredContent: { sum: 3 } });
    expect((await dev.readResource({ uri: 'mem://up/items/3' })).contents).toEqual([{ uri: 'mem://up/items/3', text: 'item 3' }]);
    expect((await dev.complete({ ref: { type: 'ref/prompt', name: 'up__greet' }, argument: { name: 'who', value: 'a' } })).completion.values).toEqual(['ada', 'alan']);
    expect((await dev.complete({ ref: { type: 'ref/resource', uri: 'mem://up/items/{id}' }, argument: { name: 'id', value: '1' } })).completion.values).toEqual(['1', '12']);

    await expect(dev.callTool({ name: 'other__add', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Tool other__add not found') });
    await expect(dev.getPrompt({ name: 'other__greet', arguments: { who: 'x' } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Prompt other__greet not found') });
    for (const uri of ['mem://other/readme', 'mem://other/items/1']) {
      await expect(dev.readResource({ uri })).rejects.toMatchObject({ code: -32602, data: { 'mcp-switchboard/error': { code: 'ResourceNotFound' } } });
    }
    await expect(dev.complete({ ref: { type: 'ref/prompt', name: 'other__greet' }, argument: { name: 'who', value: 'a' } })).rejects.toMatchObject({ code: -32602 });
    await expect(dev.complete({ ref: { type: 'ref/resource', uri: 'mem://other/items/{id}' }, argument: { name: 'id', value: '1' } })).rejects.toMatchObject({ code: -32602 });
  });

  it("filters tools with the profile's globs on qualified names, after gateway.tools", async () => {
    const { gateway } = await profiled({ deny: ['*__hang'] });
    const readers = await connect(era, gateway, 'readers');
    expect(await toolNames(readers)).toEqual(['other__add', 'other__echo', 'up__add', 'up__echo']);
    await expect(readers.callTool({ name: 'up__progress' })).rejects.toMatchObject({ code: -32602 });
    // Prompts and resources are not tools: a profile without `servers` shows every server's.
    expect((await readers.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['other__greet', 'up__greet']);
  });

  it("tells a changed profile's sessions that their lists changed after a reload, and not the others'", async () => {
    const { sb, gateway } = await profiled();
    const dev = await connect(era, gateway, 'dev');
    const readers = await connect(era, gateway, 'readers');
    let devChanged = 0;
    let readersChanged = 0;
    await dev.onToolsChanged(() => void devChanged++);
    await readers.onToolsChanged(() => void readersChanged++);
    expect(await toolNames(dev)).toContain('up__echo');
    await sb.reload({ servers: {}, defaults: { health: { intervalMs: 0 } }, gateway: { profiles: { ...PROFILES, dev: { servers: ['other'] } } } });
    await until(() => devChanged > 0, 5_000, 'list_changed to the dev session');
    expect((await toolNames(dev)).every((n) => n.startsWith('other__'))).toBe(true);
    // A round trip on the other session: a notification sent with dev's would have come before its answer.
    await toolNames(readers);
    expect(readersChanged).toBe(0);

    // Removed: its sessions see nothing (and are told).
    const before = devChanged;
    await sb.reload({ servers: {}, defaults: { health: { intervalMs: 0 } }, gateway: { profiles: { readers: PROFILES.readers } } });
    await until(() => devChanged > before, 5_000, 'list_changed after the profile went');
    expect(await toolNames(dev)).toEqual([]);
    await expect(dev.callTool({ name: 'other__echo', arguments: { text: 'x' } })).rejects.toMatchObject({ code: -32602 });
  });
});

describe('gateway profiles', () => {
  it('refuses a connection to a profile the config does not have', async () => {
    const { gateway } = await profiled();
    await expect(connect('legacy', gateway, 'nope')).rejects.toThrow('no gateway profile named "nope" (gateway.profiles has "dev", "readers")');
  });
});

describe('gateway profiles at /mcp/<profile> of serve', () => {
  const TOKEN = 'profile-test-token-0123456789';

  async function served(): Promise<{ sb: Setup['sb']; gateway: Setup['gateway']; service: Service }> {
    const { sb, gateway } = await profiled();
    const service = await serve(sb, { port: 0, token: TOKEN, gateway, logger: createJsonLogger({ write: () => undefined }), logEvents: false });
    services.push(service);
    return { sb, gateway, service };
  }
  const post = (url: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });

  for (const era of ERAS) {
    it(`serves a profile's tools to a ${era} client with the admin token`, async () => {
      const { service } = await served();
      const headers = { authorization: `Bearer ${TOKEN}` };
      const dev = await connectDownstream(era, { kind: 'http', url: new URL(`${service.url}/mcp/dev`), headers });
      expect((await toolNames(dev)).every((n) => n.startsWith('up__'))).toBe(true);
      const all = await connectDownstream(era, { kind: 'http', url: new URL(`${service.url}/mcp`), headers });
      expect((await toolNames(all)).some((n) => n.startsWith('other__'))).toBe(true);
    });
  }

  it('asks for the token and checks the Host first, then answers an unknown profile with a 404 JSON error', async () => {
    const { service } = await served();
    expect((await post(`${service.url}/mcp/dev`)).status).toBe(401);
    expect((await post(`${service.url}/mcp/nope`)).status).toBe(401);
    expect((await post(`${service.url}/mcp/dev`, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).status).toBe(403);
    const unknown = await post(`${service.url}/mcp/nope`, { authorization: `Bearer ${TOKEN}` });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'NotFound', message: 'no gateway profile named "nope" (gateway.profiles has "dev", "readers")' } });
    // An admin route under /mcp/ is still the admin route.
    const tools = await fetch(`${service.url}/mcp/tools`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(tools.status).toBe(200);
    expect(((await tools.json()) as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
  });

  it('ends the sessions of a profile a reload removes; its path answers 404 from then on', async () => {
    const { sb, gateway, service } = await served();
    const headers = { authorization: `Bearer ${TOKEN}` };
    const dev = await connectDownstream('legacy', { kind: 'http', url: new URL(`${service.url}/mcp/dev`), headers });
    expect(await toolNames(dev)).toContain('up__echo');
    expect(gateway.sessionCount).toBe(1);
    await sb.reload({ servers: {}, defaults: { health: { intervalMs: 0 } }, gateway: { profiles: { readers: PROFILES.readers } } });
    await until(() => gateway.sessionCount === 0, 5_000, 'the profile session to end');
    await expect(toolNames(dev)).rejects.toThrow();
    expect((await post(`${service.url}/mcp/dev`, headers)).status).toBe(404);
  });
});

describe('switchboard gateway --profile', () => {
  const fixture = (name: string) => ({ transport: 'stdio', command: process.execPath, args: [SERVICE_FIXTURE, `name=${name}`] });
  const config = () => writeConfig(JSON.stringify({ servers: { alpha: fixture('alpha'), beta: fixture('beta') }, defaults: { health: { intervalMs: 0 } }, gateway: { profiles: { a: { servers: ['alpha'], tools: { deny: ['*__flood'] } } } } }));

  it("serves only the profile's servers and tools over stdio", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'gateway', '--config', config(), '--profile', 'a'], stderr: 'pipe' });
    const client = new Client({ name: 'host', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['alpha__echo_args', 'alpha__mark', 'alpha__structured']);
      await expect(client.callTool({ name: 'beta__echo_args', arguments: {} })).rejects.toThrow(/beta__echo_args not found/);
    } finally {
      await client.close();
    }
  });

  it('exits 2 with a clear message for a profile the config does not have', async () => {
    const result = await runCli(['gateway', '--config', config(), '--profile', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/has no gateway profile named "nope" \(gateway\.profiles has "a"\)/);
  });
});
