import { InMemoryTransport as V1InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { completable as v1Completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { Server as V1Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer as V1McpServer, ResourceTemplate as V1ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { completable as v2Completable, McpServer as V2McpServer, ResourceTemplate as V2ResourceTemplate, Server as V2Server } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { McpTransport } from '../../src/protocol/transport.js';
import { startStreamableHttpServer, type TestHttpServer } from './httpServers.js';
import { inMemoryServer, stdioServer } from './switchboard.js';
import { v2InMemory, v2InMemoryFixture, v2StdioConfig, startV2HttpServer, V2_TOOL_COUNT, type V2HttpServer } from './v2Servers.js';

/**
 * The era matrix (DESIGN §15: "the tests run in both"): a suite written once runs per row with
 * `describe.each(ERAS)('… ($era)', (era) => …)`. A row gives what differs between the eras and
 * nothing else — the SDK a test's own server is built with (v1 `@modelcontextprotocol/sdk` for
 * 2025-11-25, v2 `@modelcontextprotocol/server` for 2026-07-28), how it is linked in memory, the
 * `protocol` the switchboard is pinned to, and the stdio/HTTP fixtures of that era. The modern
 * fixtures reject legacy clients, so a modern row passes only when the switchboard really speaks
 * 2026-07-28 (no silent fallback to `initialize`).
 */

/** The request methods a test's low-level server may handle, by name in both eras. */
export type HandledMethod = 'resources/list' | 'resources/templates/list' | 'resources/read' | 'resources/subscribe' | 'resources/unsubscribe' | 'prompts/list' | 'logging/setLevel';

/** v1 takes a schema where v2 takes the method name. */
const V1_SCHEMAS = {
  'resources/list': ListResourcesRequestSchema,
  'resources/templates/list': ListResourceTemplatesRequestSchema,
  'resources/read': ReadResourceRequestSchema,
  'resources/subscribe': SubscribeRequestSchema,
  'resources/unsubscribe': UnsubscribeRequestSchema,
  'prompts/list': ListPromptsRequestSchema,
  'logging/setLevel': SetLevelRequestSchema,
} as const;

/** A server of either SDK as the suites use it (the two SDKs' classes share these members, not their types). */
export type AnyServer = { connect(transport: any): Promise<void>; close(): Promise<void>; [member: string]: any };

/** Constructors of either SDK, typed loosely on purpose: one test body drives both. */
type AnyConstructor = new (...args: any[]) => any;

/** Inbound messages of a modern in-memory link, for tests that observe the wire (e.g. `subscriptions/listen`). */
export type WireObserver = (message: { id?: string | number; method?: string; params?: any }) => void;

/** Switchboard config of a stdio fixture server. */
export interface StdioFixtureConfig {
  transport: 'stdio';
  command: string;
  args: string[];
  protocol?: '2025-11-25' | '2026-07-28';
}

/** One row of the era matrix. */
export interface EraRow {
  era: 'legacy' | 'modern';
  /** The `protocol` the switchboard is pinned to (`defaults.protocol`). */
  protocol: '2025-11-25' | '2026-07-28';
  /** The era's SDK classes for a test's own servers. */
  McpServer: AnyConstructor;
  Server: AnyConstructor;
  ResourceTemplate: AnyConstructor;
  completable: (schema: any, complete: (value: string, context?: any) => string[] | Promise<string[]>) => any;
  /** Sets a low-level request handler by method name. */
  handle(server: AnyServer, method: HandledMethod, handler: (request: any) => unknown): void;
  /** A `transports` factory: a fresh server from `build` per connect attempt, linked in memory. */
  linked(build: () => AnyServer, observe?: WireObserver): () => Promise<McpTransport>;
  /** `config` with `defaults.protocol` set to this row's era. */
  config<T extends object>(config: T): T;
  /** The demo-surface fixture of this era: in memory, over stdio (config), over streamable HTTP (running). */
  memoryFixture(name: string): () => Promise<McpTransport>;
  stdioFixture(name: string): StdioFixtureConfig;
  startHttpFixture(name: string): Promise<TestHttpServer | V2HttpServer>;
  /** How many tools the demo-surface fixture lists. */
  fixtureToolCount: number;
  /**
   * A result as the server's handler wrote it, for deep equality: the modern row removes what the
   * 2026-07-28 wire adds to every result (see `wireless`); the legacy row returns it unchanged.
   */
  wireless<T>(result: T): T;
  /** How a server's `notifications/message` is asked for and sent in this era. */
  logs: {
    /** Whether `logging/setLevel` exists (2026-07-28 dropped it: `setLogLevel` is `NotSupported`). */
    setLevel: boolean;
    /** Registers tool `log` (`{ level, data, logger? }`) that sends one log from inside the call, as this era's server can. */
    tool(server: AnyServer): void;
    /** The call options that ask for logs at `level` on one request (legacy: none, `setLogLevel` asks beforehand). */
    ask(level: string): { meta?: Record<string, unknown> };
  };
}

/** Where a 2026-07-28 server names itself on every result (spec PR #3002, `stampServerInfoMeta` in the v2 server). */
export const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';
/** The per-request log level a 2026-07-28 client asks for (the era's stand-in for `logging/setLevel`). */
export const LOG_LEVEL_META = 'io.modelcontextprotocol/logLevel';

/**
 * Removes exactly what the v2 server's encode seam adds to a 2026-07-28 result and nothing else:
 * `ttlMs` and `cacheScope` (cacheable results: lists and `resources/read`), `resultType` (the v2
 * client lifts it already; removed in case a client passes it on) and the server's identity in
 * `_meta`; a `_meta` left empty by that goes too (an empty `_meta` the handler wrote stays).
 */
export function wireless<T>(result: T): T {
  if (!isRecord(result)) return result;
  const copy: Record<string, unknown> = { ...result };
  delete copy.ttlMs;
  delete copy.cacheScope;
  delete copy.resultType;
  if (isRecord(copy._meta) && SERVER_INFO_META in copy._meta) {
    const { [SERVER_INFO_META]: _identity, ...rest } = copy._meta;
    if (Object.keys(rest).length > 0) copy._meta = rest;
    else delete copy._meta;
  }
  return copy as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `log` tool's input, in both SDKs' zod. */
const LOG_INPUT = { level: z.enum(['debug', 'info', 'notice', 'warning', 'error']), data: z.unknown(), logger: z.string().optional() };

/** Adds `protocol` to a config's `defaults`. */
function pinned<T extends object>(config: T, protocol: EraRow['protocol']): T {
  return { ...config, defaults: { ...(config as { defaults?: object }).defaults, protocol } };
}

const legacy: EraRow = {
  era: 'legacy',
  protocol: '2025-11-25',
  McpServer: V1McpServer,
  Server: V1Server,
  ResourceTemplate: V1ResourceTemplate,
  completable: v1Completable as EraRow['completable'],
  handle: (server, method, handler) => server.setRequestHandler(V1_SCHEMAS[method], handler),
  linked: (build) => async () => {
    const [client, server] = V1InMemoryTransport.createLinkedPair();
    await build().connect(server);
    return client;
  },
  config: (config) => pinned(config, '2025-11-25'),
  memoryFixture: (name) => inMemoryServer(name),
  stdioFixture: (name) => stdioServer(name) as StdioFixtureConfig,
  startHttpFixture: (name) => startStreamableHttpServer(name),
  fixtureToolCount: 11,
  wireless: (result) => result,
  logs: {
    setLevel: true,
    // A legacy server may log through its connection at any time, inside a call or not.
    tool: (server) =>
      server.registerTool('log', { inputSchema: LOG_INPUT }, async (params: { level: 'info'; data: unknown; logger?: string }) => {
        await server.sendLoggingMessage(params);
        return { content: [] };
      }),
    ask: () => ({}),
  },
};

const modern: EraRow = {
  era: 'modern',
  protocol: '2026-07-28',
  McpServer: V2McpServer,
  Server: V2Server,
  ResourceTemplate: V2ResourceTemplate,
  completable: v2Completable as EraRow['completable'],
  handle: (server, method, handler) => server.setRequestHandler(method, handler),
  linked: (build, observe) => v2InMemory(() => build() as never, { modernOnly: true, ...(observe ? { observe } : {}) }),
  config: (config) => pinned(config, '2026-07-28'),
  memoryFixture: (name) => v2InMemoryFixture(name, { modernOnly: true }),
  stdioFixture: (name) => ({ ...v2StdioConfig(name, { modernOnly: true }), protocol: '2026-07-28' }),
  startHttpFixture: (name) => startV2HttpServer(name, { modernOnly: true }),
  fixtureToolCount: V2_TOOL_COUNT,
  wireless,
  logs: {
    setLevel: false,
    // A modern server logs only inside a request whose `_meta` asks for a level (the v2 server's `ctx.mcpReq.log`).
    tool: (server) =>
      server.registerTool('log', { inputSchema: LOG_INPUT }, async ({ level, data, logger }: { level: 'info'; data: unknown; logger?: string }, ctx: any) => {
        await ctx.mcpReq.log(level, data, logger);
        return { content: [] };
      }),
    ask: (level) => ({ meta: { [LOG_LEVEL_META]: level } }),
  },
};

/** Both eras, legacy first. */
export const ERAS: EraRow[] = [legacy, modern];

/**
 * Follows the resource subscriptions a modern client holds through `subscriptions/listen`
 * streams (each carries the full set it wants; a cancelled stream drops its set) and reports
 * each uri as subscribed or unsubscribed when the union of open streams gains or loses it: the
 * modern counterpart of a legacy server's `resources/subscribe` and `resources/unsubscribe`.
 */
export function listenSubscriptions(onSubscribe: (uri: string) => void, onUnsubscribe: (uri: string) => void): WireObserver {
  const open = new Map<string | number, string[]>();
  let held = new Set<string>();
  const recompute = () => {
    const next = new Set([...open.values()].flat());
    for (const uri of next) if (!held.has(uri)) onSubscribe(uri);
    for (const uri of held) if (!next.has(uri)) onUnsubscribe(uri);
    held = next;
  };
  return (message) => {
    if (message.method === 'subscriptions/listen' && message.id !== undefined) {
      open.set(message.id, [...(message.params?.notifications?.resourceSubscriptions ?? [])]);
      recompute();
    } else if (message.method === 'notifications/cancelled' && open.delete(message.params?.requestId)) {
      recompute();
    }
  };
}
