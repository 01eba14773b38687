import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard } from '../../src/index.js';
// @ts-expect-error plain JS: the adapter runs under plain node, without a TypeScript loader
import { contextEnv, entrySteps, followRedirect, runEntry } from './adapter.mjs';
// @ts-expect-error plain JS, as above
import { findScenario, scenarios } from './scenarios.mjs';

/**
 * The conformance adapter on Node 20 without the suite (which needs Node 22 and runs from
 * `npm run conformance`): against a local stateless streamable-HTTP McpServer with the suite's
 * `add_numbers` tool.
 */

const CLIENT = fileURLToPath(new URL('./client.mjs', import.meta.url));

interface Seen {
  headers: IncomingHttpHeaders[];
  calls: Array<{ a: number; b: number }>;
  clientNames: string[];
  /** Params of every notifications/cancelled received. */
  cancelled: unknown[];
  /** Every resources/read URI and prompts/get name received. */
  reads: string[];
  prompts: string[];
}

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * A streamable-HTTP server with one session (the adapter opens one), like the suite's stateful
 * scenario servers, on 127.0.0.1:0; it records what the tests look at.
 */
async function startAddServer(options: { failing?: boolean; down?: boolean } = {}): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { headers: [], calls: [], clientNames: [], cancelled: [], reads: [], prompts: [] };
  const mcp = new McpServer({ name: 'add-numbers-server', version: '1.0.0' });
  mcp.registerTool('add_numbers', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
    seen.calls.push({ a, b });
    return { isError: options.failing === true, content: [{ type: 'text', text: `The sum of ${a} and ${b} is ${a + b}` }] };
  });
  // What the modern set's http-standard-headers reads and gets, with a URI as percent-encoded.
  mcp.registerResource('spaced', 'file:///path/to/file%20name.txt', {}, async (uri) => {
    seen.reads.push(uri.href);
    return { contents: [{ uri: uri.href, text: 'spaced' }] };
  });
  mcp.registerPrompt('test_prompt', { description: 'A prompt' }, () => {
    seen.prompts.push('test_prompt');
    return { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] };
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await mcp.connect(transport);
  server = createServer(async (req, res) => {
    seen.headers.push(req.headers);
    if (options.down) {
      res.writeHead(500).end('down');
      return;
    }
    let body: { method?: string; params?: { clientInfo?: { name: string } } } | undefined;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      if (body?.method === 'notifications/cancelled') seen.cancelled.push(body.params);
      if (body?.method === 'initialize' && body.params?.clientInfo) seen.clientNames.push(body.params.clientInfo.name);
    }
    await transport.handleRequest(req, res, body);
  });
  server.on('close', () => void mcp.close());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

/** Runs client.mjs (the built package entry, plain node) as the suite would, `args` before the URL. */
function runClient(url: string, scenario: string, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLIENT, ...args, url], { env: { ...process.env, MCP_CONFORMANCE_SCENARIO: scenario }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('conformance adapter', () => {
  it('configures the four scenarios of issue 9 as required', () => {
    const names = (scenarios as Array<{ name: string; required?: boolean }>).filter((s) => s.required !== false).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['initialize', 'tools_call', 'elicitation-sep1034-client-defaults', 'sse-retry']));
  });

  it('runs the tools_call entry through the built package and exits 0', async () => {
    const { url, seen } = await startAddServer();
    const { code, stderr } = await runClient(url, 'tools_call');
    expect(code, stderr).toBe(0);
    expect(seen.calls).toEqual([{ a: 2, b: 3 }]);
    expect(seen.clientNames).toEqual(['mcp-switchboard-conformance']);
    // "A client MUST NOT attempt to cancel its initialize request", not even after stop().
    expect(seen.cancelled).toEqual([]);
  });

  it('exits 1 for a scenario without an entry, naming scenarios.mjs', async () => {
    const { url, seen } = await startAddServer();
    const { code, stderr } = await runClient(url, 'no-such-scenario');
    expect(code).toBe(1);
    expect(stderr).toContain('scenarios.mjs');
    expect(seen.headers).toHaveLength(0);
  });

  it('returns 1 when a call answers isError', async () => {
    const { url, seen } = await startAddServer({ failing: true });
    await expect(runEntry(createSwitchboard, findScenario('tools_call'), url)).resolves.toBe(1);
    expect(seen.calls).toHaveLength(1);
  });

  it('rejects when the server does not connect, after a single attempt', async () => {
    const { url, seen } = await startAddServer({ down: true });
    await expect(runEntry(createSwitchboard, { name: 'x', calls: [] }, url)).rejects.toThrow(/not connected: error/);
    expect(seen.headers).toHaveLength(1);
  });

  it('expands ${CONFORMANCE_*} in an entry from MCP_CONFORMANCE_CONTEXT', async () => {
    const { url, seen } = await startAddServer();
    const entry = { name: 'with-context', server: { headers: { 'x-client-id': '${CONFORMANCE_CLIENT_ID}' } }, calls: [{ tool: 'add_numbers', arguments: { a: 1, b: 1 } }] };
    const env = { MCP_CONFORMANCE_CONTEXT: JSON.stringify({ name: 'with-context', client_id: 'client-7' }) };
    await expect(runEntry(createSwitchboard, entry, url, { env })).resolves.toBe(0);
    expect(seen.headers.length).toBeGreaterThan(0);
    expect(seen.headers.every((h) => h['x-client-id'] === 'client-7')).toBe(true);
  });

  it('flattens the context into CONFORMANCE_ variables', () => {
    const json = JSON.stringify({ name: 'auth/x', client_id: 'a', 'token-endpoint': 'u', idp: { id_token: 't' }, scopes: ['r'], n: 2 });
    expect(contextEnv(json)).toEqual({
      CONFORMANCE_NAME: 'auth/x',
      CONFORMANCE_CLIENT_ID: 'a',
      CONFORMANCE_TOKEN_ENDPOINT: 'u',
      CONFORMANCE_IDP_ID_TOKEN: 't',
      CONFORMANCE_SCOPES: '["r"]',
      CONFORMANCE_N: '2',
    });
    expect(contextEnv(undefined)).toEqual({});
  });

  it('runs the entry of the set --set names (legacy without one)', async () => {
    const { url } = await startAddServer();
    // request-metadata is a 2026-07-28 scenario only: the legacy set has no entry for it.
    const legacy = await runClient(url, 'request-metadata');
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toContain('no entry for scenario "request-metadata" in the legacy set');
    const modern = await runClient(url, 'request-metadata', ['--set', 'modern']);
    expect(modern.stderr).toContain('set modern');
    expect(modern.stderr).not.toContain('no entry');
    const unknown = await runClient(url, 'tools_call', ['--set', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('in the nope set');
  });

  it('reads a resource and gets a prompt through the public API for resource and prompt steps', async () => {
    const { url, seen } = await startAddServer();
    const entry = { name: 'steps', calls: [{ resource: 'file:///path/to/file%20name.txt' }, { prompt: 'test_prompt' }] };
    await expect(runEntry(createSwitchboard, entry, url)).resolves.toBe(0);
    expect(seen.reads).toEqual(['file:///path/to/file%20name.txt']);
    expect(seen.prompts).toEqual(['test_prompt']);
  });

  it('returns 1 when a step marked refused reaches the server', async () => {
    const { url, seen } = await startAddServer();
    const answered = { name: 'refused-answered', calls: [{ tool: 'add_numbers', arguments: { a: 1, b: 2 }, refused: true }] };
    await expect(runEntry(createSwitchboard, answered, url)).resolves.toBe(1);
    expect(seen.calls).toEqual([{ a: 1, b: 2 }]);
  });

  it('goes on after a step marked refused that the library refuses, and returns 0', async () => {
    const { url, seen } = await startAddServer();
    const refused = { name: 'refused', calls: [{ tool: 'not_listed', arguments: {}, refused: true }, { tool: 'add_numbers', arguments: { a: 2, b: 2 } }] };
    await expect(runEntry(createSwitchboard, refused, url)).resolves.toBe(0);
    expect(seen.calls).toEqual([{ a: 2, b: 2 }]);
  });

  it('appends the toolCalls of MCP_CONFORMANCE_CONTEXT for a contextCalls entry', async () => {
    const context = JSON.stringify({ name: 'http-custom-headers', toolCalls: [{ name: 'add_numbers', arguments: { a: 4, b: 5 } }, { name: 'other' }] });
    expect(entrySteps({ name: 'x', contextCalls: true, calls: [{ tool: 'first' }] }, context)).toEqual([
      { tool: 'first' },
      { tool: 'add_numbers', arguments: { a: 4, b: 5 } },
      { tool: 'other', arguments: {} },
    ]);
    expect(entrySteps({ name: 'x', calls: [{ tool: 'first' }] }, context)).toEqual([{ tool: 'first' }]);
    expect(() => entrySteps({ name: 'x', contextCalls: true }, undefined)).toThrow(/toolCalls/);
    const { url, seen } = await startAddServer();
    await expect(runEntry(createSwitchboard, { name: 'ctx', contextCalls: true }, url, { env: { MCP_CONFORMANCE_CONTEXT: JSON.stringify({ toolCalls: [{ name: 'add_numbers', arguments: { a: 4, b: 5 } }] }) } })).resolves.toBe(0);
    expect(seen.calls).toEqual([{ a: 4, b: 5 }]);
  });

  it('hands back the RFC 9207 iss of the authorization redirect with the code, and no iss when there is none', async () => {
    let iss: string | undefined;
    const authServer = createServer((req, res) => {
      const state = new URL(req.url!, 'http://127.0.0.1').searchParams.get('state')!;
      const location = new URL('http://127.0.0.1:1/callback');
      location.searchParams.set('code', 'the-code');
      location.searchParams.set('state', state);
      if (iss !== undefined) location.searchParams.set('iss', iss);
      res.writeHead(302, { location: location.href }).end();
    });
    await new Promise<void>((resolve) => authServer.listen(0, '127.0.0.1', () => resolve()));
    try {
      const authorizationUrl = new URL(`http://127.0.0.1:${(authServer.address() as AddressInfo).port}/authorize?state=s1`);
      iss = 'http://127.0.0.1:9/tenant';
      await expect(followRedirect({ authorizationUrl })).resolves.toEqual({ code: 'the-code', iss: 'http://127.0.0.1:9/tenant' });
      iss = undefined;
      await expect(followRedirect({ authorizationUrl })).resolves.toEqual({ code: 'the-code' });
    } finally {
      authServer.closeAllConnections();
      await new Promise<void>((resolve) => authServer.close(() => resolve()));
    }
  });
});
