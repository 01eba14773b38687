import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { SimulatedClock } from 'xstate';
import { createSwitchboard, type Switchboard } from '../../src/index.js';

/**
 * An in-memory MCP server with one tool per kind of result a model API has to carry (text,
 * images of a type every API takes and of one none takes, links, resources, audio, structured
 * content only, an `isError` result, nothing at all, a call that hangs until cancelled) and
 * JSON Schemas written out by hand, so the framework tests can assert exact shapes. Built on the
 * SDK's low-level `Server`: `McpServer` would rewrite the schemas.
 */

/** A configured secret: the server's env value, which the switchboard masks wherever it shows text. */
export const SECRET = 'sk-live-4f9a2c7e1b';

/** A 1x1 PNG, base64 (67 bytes). */
export const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** What the upstream saw. */
export interface Probe {
  /** Arguments of every call, in order, by tool. */
  calls: { tool: string; args: unknown }[];
  /** Calls of `hang` that were cancelled (their request's signal aborted). */
  cancelled: number;
}

const TEXT_SCHEMA = { type: 'object', properties: { text: { type: 'string', description: 'What to echo' } }, required: ['text'] };
const EMPTY_SCHEMA = { type: 'object' };

/** The tools, as `tools/list` returns them. */
export const TOOLS = [
  { name: 'echo', description: 'Echoes its text', inputSchema: TEXT_SCHEMA, annotations: { readOnlyHint: true } },
  { name: 'picture', description: 'A caption and a PNG', inputSchema: EMPTY_SCHEMA },
  { name: 'diagram', description: 'An SVG image', inputSchema: EMPTY_SCHEMA },
  { name: 'report', description: 'Links, resources and audio', inputSchema: EMPTY_SCHEMA },
  { name: 'stats', title: 'Statistics', inputSchema: { type: 'object', properties: {}, additionalProperties: false }, outputSchema: { type: 'object' } },
  { name: 'fail', description: 'Always fails', inputSchema: EMPTY_SCHEMA },
  { name: 'silent', description: 'Answers with nothing', inputSchema: EMPTY_SCHEMA },
  { name: 'hang', description: 'Runs until cancelled', inputSchema: EMPTY_SCHEMA },
  { name: 'leaky', description: `Uses the token ${SECRET} to call the API`, inputSchema: EMPTY_SCHEMA },
];

const RESULTS: Record<string, CallToolResult> = {
  picture: { content: [{ type: 'text', text: 'a red dot' }, { type: 'image', data: PNG, mimeType: 'image/png' }] },
  diagram: { content: [{ type: 'image', data: Buffer.from('<svg/>').toString('base64'), mimeType: 'image/svg+xml' }] },
  report: {
    content: [
      { type: 'resource_link', uri: 'file:///notes/a.md', name: 'a.md' },
      { type: 'resource', resource: { uri: 'file:///notes/b.md', mimeType: 'text/markdown', text: '# B' } },
      { type: 'resource', resource: { uri: 'file:///notes/c.pdf', mimeType: 'application/pdf', blob: Buffer.from('%PDF-1.7').toString('base64') } },
      { type: 'audio', data: Buffer.from('RIFF....').toString('base64'), mimeType: 'audio/wav' },
    ],
  },
  stats: { content: [], structuredContent: { count: 3, names: ['a', 'b'] } },
  fail: { isError: true, content: [{ type: 'text', text: 'disk full' }] },
  silent: { content: [{ type: 'text', text: '' }] },
  leaky: { content: [{ type: 'text', text: 'ok' }] },
};

/** Builds the server; each connect gets a fresh one, all sharing `probe`. */
export function buildServer(probe: Probe): Server {
  const server = new Server({ name: 'mem', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    probe.calls.push({ tool: name, args: args ?? {} });
    if (name === 'echo') return { content: [{ type: 'text', text: String((args as { text?: unknown }).text) }] };
    if (name === 'hang') {
      return new Promise<CallToolResult>((_resolve, reject) =>
        extra.signal.addEventListener('abort', () => {
          probe.cancelled++;
          reject(new Error('cancelled'));
        }, { once: true }),
      );
    }
    const result = RESULTS[name];
    if (!result) throw new Error(`no tool ${name}`);
    return result;
  });
  return server;
}

/** A factory of fresh in-memory transports to a fresh server, one per connect attempt. */
export function transportTo(probe: Probe): () => Promise<Transport> {
  return async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    await buildServer(probe).connect(server);
    return client;
  };
}

/** Config of the server: its env holds the secret, its transport is the in-memory one. */
export function memConfig(extra: Record<string, unknown> = {}) {
  return {
    servers: { mem: { transport: 'stdio' as const, command: process.execPath, env: { API_TOKEN: SECRET } } },
    defaults: { health: { intervalMs: 0 }, ...extra },
  };
}

/** A started switchboard over the server; `stop()` it after the test. */
export async function startMem(options: { clock?: SimulatedClock; defaults?: Record<string, unknown> } = {}): Promise<{ sb: Switchboard; probe: Probe }> {
  const probe: Probe = { calls: [], cancelled: 0 };
  const sb = createSwitchboard(memConfig(options.defaults), { transports: { mem: transportTo(probe) }, ...(options.clock ? { clock: options.clock } : {}) });
  await sb.start();
  return { sb, probe };
}
