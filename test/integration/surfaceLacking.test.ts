import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ListPromptsRequestSchema, ListResourcesRequestSchema, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type CallCompleted, type Switchboard } from '../../src/index.js';

/**
 * A server that lacks a capability (DESIGN §10, issue 9 "done when"): every method that needs it
 * fails at once with `NotSupported` naming the server and what is missing, never a hang and never
 * a request on the wire; `setLogLevel` on every server skips it. And a server that declares a
 * capability but lacks one of its list methods still connects.
 */

function linked(build: () => { connect(transport: Transport): Promise<void> }): () => Promise<Transport> {
  return async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    await build().connect(server);
    return client;
  };
}

/** Rejects when `promise` has not settled within `ms`: a hang fails the test with a clear message. */
function bounded<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

describe('a server that lacks a capability', () => {
  async function setup() {
    const methods: string[] = [];
    const bare = async (): Promise<Transport> => {
      const server = new McpServer({ name: 'bare', version: '1.0.0' });
      server.registerTool('noop', {}, async () => ({ content: [] }));
      const [client, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      // Every message the server receives, whatever it answers.
      const deliver = serverSide.onmessage!;
      serverSide.onmessage = (message, extra) => {
        if ('method' in message) methods.push(message.method);
        deliver(message, extra);
      };
      return client;
    };
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, timeouts: { callMs: 60_000 } } }, { transports: { bare } });
    boards.push(sb);
    const completed: CallCompleted[] = [];
    sb.on('call.completed', (e) => completed.push(e));
    await sb.start();
    expect(sb.getServer('bare')!.state).toBe('connected');
    expect(methods).toEqual(['server/discover', 'initialize', 'notifications/initialized', 'tools/list']);
    return { sb, methods, completed };
  }

  const CASES: [string, string, (sb: Switchboard) => Promise<unknown>][] = [
    ['readResource', 'resources', (sb) => sb.readResource('res://a', { server: 'bare' })],
    ['subscribeResource', 'resources', (sb) => sb.subscribeResource('res://a', { server: 'bare' })],
    ['getPrompt', 'prompts', (sb) => sb.getPrompt('p', {}, { server: 'bare' })],
    ['complete (prompt)', 'completions', (sb) => sb.complete({ ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: '' } }, { server: 'bare' })],
    ['complete (resource)', 'completions', (sb) => sb.complete({ ref: { type: 'ref/resource', uri: 'res://{x}' }, argument: { name: 'x', value: '' } }, { server: 'bare' })],
    ['setLogLevel', 'logging', (sb) => sb.setLogLevel('info', { server: 'bare' })],
  ];

  for (const [method, capability, run] of CASES) {
    it(`fails ${method} at once with NotSupported naming the server and ${capability}`, async () => {
      const { sb, methods, completed } = await setup();
      const error = await bounded(run(sb).then(() => undefined, (e: unknown) => e));
      expect(error).toMatchObject({ code: 'NotSupported' });
      expect((error as Error).message).toContain('"bare"');
      expect((error as Error).message).toContain(capability);
      // Refused before admission: nothing was sent, nothing completed, the breaker untouched.
      expect(methods).toEqual(['server/discover', 'initialize', 'notifications/initialized', 'tools/list']);
      expect(completed).toEqual([]);
      expect(sb.getServer('bare')!.breaker!.state).toBe('closed');
    });
  }

  it('lists no resources, templates or prompts for it, and routes nothing there', async () => {
    const { sb } = await setup();
    expect(sb.listResources('bare')).toEqual([]);
    expect(sb.listResourceTemplates('bare')).toEqual([]);
    expect(sb.listPrompts('bare')).toEqual([]);
    await expect(bounded(sb.readResource('res://a'))).rejects.toMatchObject({ code: 'ResourceNotFound' });
    await expect(bounded(sb.getPrompt('p'))).rejects.toMatchObject({ code: 'PromptNotFound' });
  });

  it('skips it when setting the level of every server', async () => {
    const { sb, methods, completed } = await setup();
    await bounded(sb.setLogLevel('debug'));
    expect(methods).not.toContain('logging/setLevel');
    expect(completed).toEqual([]);
  });
});

describe('a server that declares a capability but lacks one of its list methods', () => {
  it('connects with an empty list where resources/templates/list is not found, and serves the rest', async () => {
    // Many servers declare `resources` and implement only resources/list and resources/read.
    const build = () => {
      const server = new Server({ name: 'partial', version: '1.0.0' }, { capabilities: { resources: {}, prompts: {} } });
      server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'res://a', name: 'a' }] }));
      server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({ contents: [{ uri: request.params.uri, text: 'a' }] }));
      server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'p' }] }));
      return server;
    };
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, reconnect: { baseMs: 60_000, minMs: 60_000 } } }, { transports: { partial: linked(build) } });
    boards.push(sb);
    await bounded(sb.start());
    expect(sb.getServer('partial')).toMatchObject({ state: 'connected', lastError: null });
    expect(sb.listResources('partial').map((r) => r.uri)).toEqual(['res://a']);
    expect(sb.listResourceTemplates('partial')).toEqual([]);
    expect(sb.listPrompts('partial').map((p) => p.name)).toEqual(['p']);
    expect((await bounded(sb.readResource('res://a'))).contents).toEqual([{ uri: 'res://a', text: 'a' }]);
  });
});
