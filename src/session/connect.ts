import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeServer } from '../config/schema.js';
import { findSetsid, resolveCommand, terminateGroup, trackGroup } from './processGroup.js';
import type { StderrRing } from './stderrRing.js';

/**
 * Builds a fresh SDK Client and transport for one connect attempt (never reusing a session id,
 * research/reliability.md §2.4) and knows how to close them completely.
 */

/** A ready transport or a factory of fresh ones, given by an embedder or a test by server name. */
export type TransportSource = Transport | (() => Transport | Promise<Transport>);

/** The SDK's own timeout is disabled: larger values than this wrap to 1 ms (sdk-notes §6). */
export const NO_SDK_TIMEOUT = 2_147_483_647;

/** One connect attempt's live objects. */
export interface OpenSession {
  client: Client;
  transport: Transport;
  /** Ends the session completely: DELETE for streamable HTTP, the whole process group for stdio. */
  close(): Promise<void>;
  /** The last Retry-After the server sent (HTTP 429/503), in ms. */
  retryAfterMs(): number | undefined;
}

export interface ConnectOptions {
  server: RuntimeServer;
  custom: TransportSource | undefined;
  stderr: StderrRing;
  signal: AbortSignal;
  clientInfo: { name: string; version: string };
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    // Kept referenced: a close that is awaited must keep the event loop alive until it ends.
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

interface Built {
  transport: Transport;
  close(client: Client): Promise<void>;
  retryAfterMs(): number | undefined;
}

async function buildTransport(options: ConnectOptions): Promise<Built> {
  const { server, custom } = options;
  let retryAfter: number | undefined;
  const observingFetch = async (url: string | URL, init?: RequestInit) => {
    const response = await fetch(url, init);
    if (response.status === 429 || response.status === 503) retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    return response;
  };
  const retryAfterMs = () => retryAfter;
  const plainClose = async (client: Client) => {
    await withTimeout(client.close(), server.timeouts.shutdownMs);
  };

  if (custom) {
    const transport = typeof custom === 'function' ? await custom() : custom;
    return { transport, close: plainClose, retryAfterMs };
  }
  if (server.transport === 'custom') throw new Error(`server "${server.name}" has no transport: pass one in options.transports`);
  if (server.transport === 'stdio') {
    const env = { ...getDefaultEnvironment(), ...(server.env ?? {}) };
    const command = resolveCommand(server.command, server.cwd, env.PATH);
    const setsid = findSetsid();
    const params: ConstructorParameters<typeof StdioClientTransport>[0] = {
      command: setsid ?? command,
      args: setsid ? [command, ...(server.args ?? [])] : (server.args ?? []),
      env,
      stderr: 'pipe',
    };
    if (server.cwd) params.cwd = server.cwd;
    const transport = new StdioClientTransport(params);
    transport.stderr?.on('data', (chunk: Buffer) => options.stderr.push(chunk));
    let untrack: () => void = () => undefined;
    const originalStart = transport.start.bind(transport);
    transport.start = async () => {
      await originalStart();
      if (transport.pid) untrack = trackGroup(transport.pid);
    };
    return {
      transport,
      retryAfterMs,
      close: async (client: Client) => {
        const pid = transport.pid;
        const closing = withTimeout(client.close(), server.timeouts.shutdownMs + 2_500);
        if (pid) await terminateGroup(pid, server.timeouts.shutdownMs);
        untrack();
        await closing;
      },
    };
  }
  const headers = server.headers ?? {};
  if (server.transport === 'http') {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers }, fetch: observingFetch });
    return {
      transport,
      retryAfterMs,
      close: async (client: Client) => {
        // End the session on the server (DELETE) so it can free it at once.
        if (transport.sessionId) await withTimeout(transport.terminateSession(), Math.min(server.timeouts.shutdownMs, 2_000));
        await plainClose(client);
      },
    };
  }
  const transport = new SSEClientTransport(new URL(server.url), { requestInit: { headers }, fetch: observingFetch });
  return { transport, close: plainClose, retryAfterMs };
}

/**
 * Connects a fresh Client over a fresh transport. Aborting `signal` (connect timeout, stop,
 * manual reconnect) abandons the attempt and closes whatever it opened.
 */
export async function openSession(options: ConnectOptions, prepare: (client: Client) => void): Promise<OpenSession> {
  const built = await buildTransport(options);
  const client = new Client(options.clientInfo, { capabilities: {} });
  prepare(client);
  const session: OpenSession = {
    client,
    transport: built.transport,
    close: () => built.close(client),
    retryAfterMs: built.retryAfterMs,
  };
  // A transport can hang in start() (an SSE stream that never sends its endpoint), where the
  // request signal does not reach: race the abort so a timed-out attempt always ends.
  const aborted = new Promise<never>((_, reject) => {
    if (options.signal.aborted) reject(options.signal.reason);
    else options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true });
  });
  try {
    await Promise.race([client.connect(built.transport, { signal: options.signal, timeout: NO_SDK_TIMEOUT }), aborted]);
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  return session;
}
