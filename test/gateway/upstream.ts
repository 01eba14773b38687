import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ClientCapabilities,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { createGateway, createGatewayRouter, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../../src/index.js';

/**
 * An upstream SDK McpServer for gateway tests and the gateway around it: tools that send
 * progress, hang until cancelled, and ask the client (sampling, elicitation, roots); a prompt
 * with completion; a resource and a template with completion. The probe records what the
 * upstream saw, `notifications/cancelled` read off its transport.
 */

export interface Probe {
  /** Request ids named by every `notifications/cancelled` the upstream received. */
  cancelled: RequestId[];
  /** Calls of `hang` that arrived. */
  hanging: number;
  /** The latest McpServer instance (one per connect). */
  server: McpServer | undefined;
  /** When set, the next connects fail (the server is down). */
  refuse: boolean;
  /** `resources/subscribe` and `resources/unsubscribe` the upstream received, as `sub <uri>` / `unsub <uri>`. */
  subscriptions: string[];
}

export function newProbe(): Probe {
  return { cancelled: [], hanging: 0, server: undefined, refuse: false, subscriptions: [] };
}

const ASK = { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'question' } }], maxTokens: 10 };

/** Builds the upstream server named `name`. */
export function buildUpstream(name: string, probe: Probe): McpServer {
  const server = new McpServer({ name, version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool(
    'add',
    { title: 'Add', description: 'Adds', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() }, annotations: { readOnlyHint: true } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b }, _meta: { from: name } }),
  );
  server.registerTool('progress', { description: 'Reports progress twice' }, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      for (const progress of [1, 2]) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 2, message: `step ${progress}` } });
    }
    return { content: [{ type: 'text', text: token === undefined ? 'no token' : 'done' }] };
  });
  server.registerTool('hang', { description: 'Runs until cancelled' }, (extra) => {
    probe.hanging++;
    return new Promise((_resolve, reject) => extra.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  });
  server.registerTool('sample', { description: 'Asks the client for a completion' }, async (extra) => {
    const result = await server.server.createMessage(ASK, { relatedRequestId: extra.requestId });
    return { content: [{ type: 'text', text: result.content.type === 'text' ? result.content.text : '?' }] };
  });
  server.registerTool('ask', { description: 'Asks the user' }, async () => {
    const result = await server.server.elicitInput({ mode: 'form', message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
    return { content: [{ type: 'text', text: `${result.action} ${String(result.content?.name)}` }] };
  });
  server.registerTool('roots', { description: 'Lists the client roots' }, async () => {
    const { roots } = await server.server.listRoots();
    return { content: [{ type: 'text', text: roots.map((r) => r.uri).join(' ') }] };
  });
  server.registerPrompt(
    'greet',
    { title: 'Greet', description: 'Greets', argsSchema: { who: completable(z.string(), (value) => ['ada', 'alan', 'bob'].filter((n) => n.startsWith(value))) } },
    ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${who} from ${name}` } }] }),
  );
  server.registerResource('readme', `mem://${name}/readme`, { description: 'Read me', mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: `readme of ${name}` }] }));
  server.registerResource(
    'item',
    new ResourceTemplate(`mem://${name}/items/{id}`, { list: undefined, complete: { id: (value) => ['1', '12', '2'].filter((id) => id.startsWith(value)) } }),
    { description: 'An item' },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `item ${String(id)}` }] }),
  );
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    probe.subscriptions.push(`sub ${request.params.uri}`);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    probe.subscriptions.push(`unsub ${request.params.uri}`);
    return {};
  });
  probe.server = server;
  return server;
}

/** A factory of in-memory transports to a fresh upstream, its `notifications/cancelled` recorded. */
export function upstreamTransport(name: string, probe: Probe): () => Promise<Transport> {
  return async () => {
    if (probe.refuse) throw new Error(`${name} is down`);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await buildUpstream(name, probe).connect(serverSide);
    const deliver = serverSide.onmessage;
    serverSide.onmessage = (message, extra) => {
      if ('method' in message && message.method === 'notifications/cancelled') probe.cancelled.push((message.params as { requestId: RequestId }).requestId);
      deliver?.(message, extra);
    };
    return clientSide;
  };
}

export interface Setup {
  sb: Switchboard;
  gateway: Gateway;
  probe: Probe;
}

const started: { sb: Switchboard; gateway: Gateway; clients: Client[] }[] = [];

/** A switchboard with upstream `up` (and `other` when asked) behind a gateway with a router. */
export async function setup(options: { gateway?: GatewayOptions; config?: Record<string, unknown>; sb?: SwitchboardOptions; other?: boolean } = {}): Promise<Setup> {
  const probe = newProbe();
  const router = createGatewayRouter();
  const transports: Record<string, () => Promise<Transport>> = { up: upstreamTransport('up', probe) };
  if (options.other) transports.other = upstreamTransport('other', newProbe());
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } }, ...options.config } as never, { ...options.sb, transports, handlers: router.handlers });
  const gateway = createGateway(sb, { ...options.gateway, router, listChangedDebounceMs: 10 });
  started.push({ sb, gateway, clients: [] });
  await sb.start();
  return { sb, gateway, probe };
}

/** A downstream SDK client of the gateway over an in-memory pair. */
export async function connectClient(gateway: Gateway, capabilities: ClientCapabilities = {}, prepare?: (client: Client) => void): Promise<Client> {
  const client = new Client({ name: 'host', version: '1.0.0' }, { capabilities });
  prepare?.(client);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.connect(serverSide);
  await client.connect(clientSide);
  started.at(-1)?.clients.push(client);
  return client;
}

/** Closes clients, gateways and switchboards of every setup (call in afterEach). */
export async function teardown(): Promise<void> {
  for (const { sb, gateway, clients } of started.splice(0)) {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gateway.close();
    await sb.stop();
  }
}

/** A downstream client that answers sampling, elicitation and roots. */
export function answering(client: Client): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    role: 'assistant',
    content: { type: 'text', text: `sampled: ${(request.params.messages[0]!.content as { text?: string }).text ?? ''}` },
    model: 'test-model',
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///work/a', name: 'a' }] }));
}

export const ANSWERING: ClientCapabilities = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };
