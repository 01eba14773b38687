import { fileURLToPath } from 'node:url';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
// @ts-expect-error plain JS fixture shared with the stdio child process
import { buildServer } from '../fixtures/demoTools.mjs';
import type { SwitchboardEvent } from '../../src/events/index.js';
import type { Switchboard } from '../../src/switchboard/switchboard.js';

/** Path of the stdio fixture server. */
export const STDIO_FIXTURE = fileURLToPath(new URL('../fixtures/stdioServer.mjs', import.meta.url));

/** Config of a stdio fixture server named `name`. */
export function stdioServer(name: string, mode?: string, extra: Record<string, unknown> = {}) {
  return { transport: 'stdio' as const, command: process.execPath, args: mode ? [STDIO_FIXTURE, name, mode] : [STDIO_FIXTURE, name], ...extra };
}

/** A factory of fresh in-memory transports to an SDK McpServer, one per connect attempt. */
export function inMemoryServer(name: string): () => Promise<Transport> {
  return async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    await buildServer(name).connect(server);
    return client;
  };
}

/**
 * Makes `server` answer calls of the tool `name` with a JSON-RPC error (-32603) instead of a
 * result: McpServer turns whatever a tool throws into an `isError` result, which the breaker counts
 * as a success, so a failing call needs the request handler itself to throw.
 */
export function failWithProtocolError(server: McpServer, name: string): void {
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, (r: { params: { name: string } }, e: unknown) => unknown> })._requestHandlers;
  const callTool = handlers.get('tools/call')!;
  handlers.set('tools/call', async (request, extra) => {
    if (request.params.name === name) throw new McpError(ErrorCode.InternalError, name);
    return callTool(request, extra);
  });
}

/** Collects every public event of a switchboard in order. */
export function recordEvents(sb: Switchboard): SwitchboardEvent[] {
  const events: SwitchboardEvent[] = [];
  for (const type of ['server.stateChanged', 'breaker.stateChanged', 'tools.changed', 'call.completed', 'error'] as const) {
    sb.on(type, (e: SwitchboardEvent) => events.push(e));
  }
  return events;
}

/** Resolves when `predicate` holds, checking every 10 ms, or rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Path of the raw (SDK-free, misbehaving) stdio fixture server. */
export const RAW_FIXTURE = fileURLToPath(new URL('../fixtures/rawServer.mjs', import.meta.url));

/** Config of a raw fixture server with process modes. */
export function rawServer(modes: string[] = [], extra: Record<string, unknown> = {}) {
  return { transport: 'stdio' as const, command: process.execPath, args: [RAW_FIXTURE, ...modes], ...extra };
}

/** The pid the raw fixture announced last ("raw pid <pid> up"). */
export function rawPid(stderrTail: string): number {
  const last = [...stderrTail.matchAll(/raw pid (\d+) up/g)].at(-1);
  if (!last) throw new Error(`no pid in stderr: ${stderrTail}`);
  return Number(last[1]);
}

/** Short timeouts and backoff so fault tests finish fast. */
export const FAST = {
  timeouts: { connectMs: 3000, callMs: 800, shutdownMs: 1000 },
  reconnect: { baseMs: 50, minMs: 20, maxMs: 300 },
  health: { intervalMs: 0 },
};
