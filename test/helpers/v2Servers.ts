import { fileURLToPath } from 'node:url';
import { InMemoryTransport, McpServer, Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { McpTransport } from '../../src/protocol/transport.js';
// @ts-expect-error plain JS fixture shared with the v2 child process
import { serveV2Http } from '../fixtures/v2Http.mjs';
// @ts-expect-error plain JS fixture shared with the v2 child process
import { buildV2Server, connectionHub } from '../fixtures/v2Tools.mjs';

/**
 * v2 fixture servers (`@modelcontextprotocol/server` 2.x, the 2026-07-28 era beside 2025-11-25):
 * the stdio child test/fixtures/v2Server.mjs, the same surface over streamable HTTP on 127.0.0.1
 * port 0 in this process, and any v2 server of a test's own served in memory through the SDK's
 * era-picking stdio entry. `modernOnly` (default false) answers a legacy client with −32022; by
 * default both eras are served.
 */

/** The v2 fixture's stdio entry: `node v2Server.mjs <name> [--modern-only] [--http]`. */
export const V2_SERVER_ENTRY = fileURLToPath(new URL('../fixtures/v2Server.mjs', import.meta.url));

/** The tools the v2 fixture lists: demoTools' eleven, then `log`, `touch`, `stats`, `elicit`, `sample`. */
export const V2_TOOL_COUNT = 16;

/** Switchboard config of a stdio v2 fixture (the switchboard spawns and stops it). */
export function v2StdioConfig(name: string, options: { modernOnly?: boolean } = {}) {
  return { transport: 'stdio' as const, command: process.execPath, args: [V2_SERVER_ENTRY, name, ...(options.modernOnly ? ['--modern-only'] : [])] };
}

/** Counters of the in-process serving: what arrived and which era each server instance served. */
export interface V2HttpState {
  /** Every HTTP request received. */
  requests: number;
  /** The `Mcp-Method` header of each request (the HTTP method when it has none: legacy traffic). */
  methods: string[];
  /** The era of every server instance the factory built (one per request over HTTP). */
  eras: ('legacy' | 'modern')[];
}

/** What one process shares across the per-request instances (see V2Hub in v2Tools.mjs). */
export interface V2Hub {
  addedTools: Set<string>;
  stats: { calls: number; cancelled: number; instances: number };
}

/** A running v2 streamable-HTTP server on 127.0.0.1. */
export interface V2HttpServer {
  /** The MCP endpoint (`/mcp`). */
  url: string;
  port: number;
  hub: V2Hub;
  state: V2HttpState;
  /** Publishes change events to every open `subscriptions/listen` stream. */
  notify: { toolsChanged(): void; promptsChanged(): void; resourcesChanged(): void; resourceUpdated(uri: string): void };
  /** Ends open streams and the listener; safe to call twice. */
  close(): Promise<void>;
}

/** A factory of a test's own v2 server for one serving unit (an HTTP request or a connection). */
export type V2Factory = (ctx: { era: 'legacy' | 'modern' }, hub: V2Hub) => McpServer | Server;

/**
 * Starts a v2 server over streamable HTTP on 127.0.0.1, port 0, in this process. Without
 * `factory` it serves the fixture surface under `name`; a test's `factory` is called once per
 * request (the v2 HTTP entry is per-request), so state a test inspects lives outside it.
 */
export async function startV2HttpServer(name: string, options: { modernOnly?: boolean; factory?: V2Factory } = {}): Promise<V2HttpServer> {
  return (await serveV2Http(name, options)) as V2HttpServer;
}

/** A running in-memory v2 connection: the client end to give the switchboard and the server end's handle. */
export interface V2MemoryLink {
  transport: McpTransport;
  close(): Promise<void>;
}

/**
 * A transport factory for `createSwitchboard(config, { transports })`: each connect attempt gets
 * a fresh in-memory pair whose server end is served by the SDK's era-picking stdio entry
 * (`serveStdio` over our transport), so the same factory answers `server/discover` and
 * `initialize` exactly as the stdio child would. `onLink` learns every link (to close it from the
 * test, as a crash would).
 */
export function v2InMemory(
  factory: (ctx: { era: 'legacy' | 'modern' }) => McpServer | Server,
  options: { modernOnly?: boolean; onLink?: (link: V2MemoryLink) => void; observe?: (message: { id?: string | number; method?: string; params?: any }) => void } = {},
): () => Promise<McpTransport> {
  return async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    if (options.observe) observeInbound(server, options.observe);
    const handle = serveStdio(factory, { transport: server, legacy: options.modernOnly ? 'reject' : 'serve' });
    options.onLink?.({ transport: client, close: () => handle.close() });
    return client;
  };
}

/** Shows `observe` every message arriving at the server end before the SDK entry handles it. */
function observeInbound(transport: InMemoryTransport, observe: (message: any) => void): void {
  const start = transport.start.bind(transport);
  transport.start = async () => {
    // serveStdio installs its onmessage before it starts the transport: wrap it then.
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      observe(message);
      deliver?.(message, extra);
    };
    await start();
  };
}

/** `v2InMemory` serving the fixture surface under `name` (one hub per link, as one stdio child has). */
export function v2InMemoryFixture(name: string, options: { modernOnly?: boolean } = {}): () => Promise<McpTransport> {
  return async () => {
    const hub = connectionHub();
    return v2InMemory(() => buildV2Server(name, hub) as McpServer, options)();
  };
}
