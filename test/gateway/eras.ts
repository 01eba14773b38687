import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport as LegacyMemory } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
  type CompleteRequest,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, InMemoryTransport as ModernMemory, StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';
import type { Gateway } from '../../src/gateway/index.js';

/**
 * A downstream client of the gateway in either protocol era, behind one small interface so the
 * gateway tests run in both (parameterized, not copied): `legacy` is the v1 SDK's Client
 * (2025-11-25, initialize, sessions); `modern` is the v2 client package's Client pinned to
 * 2026-07-28 (per-request `_meta`, `server/discover`, input_required, subscriptions/listen).
 */

export type Era = 'legacy' | 'modern';
export const ERAS: Era[] = ['legacy', 'modern'];

/** What the tests do with a downstream client, the same in both eras. */
export interface Downstream {
  era: Era;
  listTools(): Promise<{ tools: Tool[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }, options?: { signal?: AbortSignal; onprogress?: (progress: { progress: number; total?: number; message?: string }) => void }): Promise<CallToolResult>;
  listPrompts(): Promise<{ prompts: Prompt[] }>;
  getPrompt(params: { name: string; arguments?: Record<string, string> }): Promise<GetPromptResult>;
  listResources(): Promise<{ resources: Resource[] }>;
  listResourceTemplates(): Promise<{ resourceTemplates: ResourceTemplate[] }>;
  readResource(params: { uri: string }): Promise<ReadResourceResult>;
  complete(params: CompleteRequest['params']): Promise<{ completion: { values: string[] } }>;
  /** Counts tools/list_changed: an unsolicited notification (legacy), a `subscriptions/listen` stream (modern). */
  onToolsChanged(listener: () => void): Promise<void>;
  /** The protocol version the client speaks with the gateway. */
  version(): string | undefined;
  /** Every message the client received (in-memory wire only): shows what the gateway sent. */
  received: unknown[];
  close(): Promise<void>;
}

/** Capabilities of a client that answers sampling, elicitation and roots. */
export const ANSWERING: ClientCapabilities = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };

const SAMPLED = (text: string | undefined) => ({ role: 'assistant' as const, content: { type: 'text' as const, text: `sampled: ${text ?? ''}` }, model: 'test-model' });
const ELICITED = { action: 'accept' as const, content: { name: 'Ada' } };
const ROOTS = { roots: [{ uri: 'file:///work/a', name: 'a' }] };

/** How a client is connected: which transport the test uses. */
export type Wire =
  | { kind: 'memory'; gateway: Gateway; profile?: string }
  | { kind: 'http'; url: URL; headers?: Record<string, string> }
  | { kind: 'stdio'; server: StdioServerParameters };

/** Options of `connectDownstream`. */
export interface DownstreamOptions {
  capabilities?: ClientCapabilities;
  /** Answer sampling, elicitation and roots (with ANSWERING's capabilities unless given). */
  answer?: boolean;
}

function legacy(client: LegacyClient, answer: boolean): Downstream {
  if (answer) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => SAMPLED((request.params.messages[0]!.content as { text?: string }).text));
    client.setRequestHandler(ElicitRequestSchema, async () => ELICITED);
    client.setRequestHandler(ListRootsRequestSchema, async () => ROOTS);
  }
  return {
    era: 'legacy',
    listTools: () => client.listTools(),
    callTool: (params, options) => client.callTool(params, undefined, options) as Promise<CallToolResult>,
    listPrompts: () => client.listPrompts(),
    getPrompt: (params) => client.getPrompt(params),
    listResources: () => client.listResources(),
    listResourceTemplates: () => client.listResourceTemplates(),
    readResource: (params) => client.readResource(params),
    complete: (params) => client.complete(params),
    onToolsChanged: async (listener) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => listener()),
    version: () => (client.transport as { protocolVersion?: string } | undefined)?.protocolVersion ?? '2025-11-25',
    received: [],
    close: () => client.close(),
  };
}

function modern(client: ModernClient, answer: boolean): Downstream {
  if (answer) {
    client.setRequestHandler('sampling/createMessage', async (request) => SAMPLED((request.params.messages[0]!.content as { text?: string }).text));
    client.setRequestHandler('elicitation/create', async () => ELICITED);
    client.setRequestHandler('roots/list', async () => ROOTS);
  }
  const cast = <T>(value: Promise<unknown>) => value as Promise<T>;
  return {
    era: 'modern',
    listTools: () => cast(client.listTools(undefined, { cacheMode: 'refresh' } as never)),
    callTool: (params, options) => cast(client.callTool(params, options as never)),
    listPrompts: () => cast(client.listPrompts(undefined, { cacheMode: 'refresh' } as never)),
    getPrompt: (params) => cast(client.getPrompt(params)),
    listResources: () => cast(client.listResources(undefined, { cacheMode: 'refresh' } as never)),
    listResourceTemplates: () => cast(client.listResourceTemplates(undefined, { cacheMode: 'refresh' } as never)),
    readResource: (params) => cast(client.readResource(params)),
    complete: (params) => cast(client.complete(params as never)),
    onToolsChanged: async (listener) => {
      client.setNotificationHandler('notifications/tools/list_changed', () => listener());
      await client.listen({ toolsListChanged: true });
    },
    version: () => client.getNegotiatedProtocolVersion(),
    received: [],
    close: () => client.close(),
  };
}

const open: Downstream[] = [];

/** Closes every downstream client connected since the last call (call in afterEach, before the gateway's teardown). */
export async function closeDownstreams(): Promise<void> {
  await Promise.allSettled(open.splice(0).map((downstream) => downstream.close()));
}

/** Records what a client side of an in-memory pair receives. */
function record(transport: { onmessage?: ((message: never, extra?: never) => void) | undefined }, into: unknown[]): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    into.push(message);
    deliver?.(message, extra);
  };
}

/** Connects a downstream client of `era` over `wire`; `closeDownstreams` closes it. */
export async function connectDownstream(era: Era, wire: Wire, options: DownstreamOptions = {}): Promise<Downstream> {
  const downstream = await connectEra(era, wire, options);
  open.push(downstream);
  return downstream;
}

async function connectEra(era: Era, wire: Wire, options: DownstreamOptions): Promise<Downstream> {
  const capabilities = options.capabilities ?? (options.answer ? ANSWERING : {});
  const info = { name: 'host', version: '1.0.0' };
  if (era === 'legacy') {
    const client = new LegacyClient(info, { capabilities });
    const downstream = legacy(client, options.answer ?? false);
    if (wire.kind === 'memory') {
      const [clientSide, serverSide] = LegacyMemory.createLinkedPair();
      await wire.gateway.connect(serverSide, { profile: wire.profile });
      await client.connect(clientSide);
      record(clientSide as never, downstream.received);
    } else if (wire.kind === 'http') await client.connect(new LegacyHttp(wire.url, wire.headers ? { requestInit: { headers: wire.headers } } : undefined));
    else await client.connect(new LegacyStdio({ ...wire.server, stderr: 'pipe' }));
    return downstream;
  }
  const client = new ModernClient(info, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
  const downstream = modern(client, options.answer ?? false);
  if (wire.kind === 'memory') {
    const [clientSide, serverSide] = ModernMemory.createLinkedPair();
    await wire.gateway.connect(serverSide, { profile: wire.profile });
    await client.connect(clientSide);
    record(clientSide as never, downstream.received);
  } else if (wire.kind === 'http') await client.connect(new ModernHttp(wire.url, wire.headers ? { requestInit: { headers: wire.headers } } : undefined));
  else await client.connect(new ModernStdio({ ...wire.server, stderr: 'pipe' }));
  return downstream;
}
