import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeServer } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { DeclaredCapabilities } from '../handlers.js';
import type { SessionAuth } from '../session.js';
import type { StderrRing } from '../stderrRing.js';
import { markServerAnswers } from './serverAnswers.js';
import { buildHttpTransport } from './transports/http.js';
import type { Built } from './transports/built.js';
import { buildStdioTransport } from './transports/stdio.js';

export { coalesceWrites } from './transports/stdioWrites.js';

/**
 * Builds a fresh SDK Client and transport for one connect attempt (never reusing a session id,
 * research/reliability.md §2.4) and knows how to close them completely.
 */

import { abortRace } from '../abortRace.js';
import { handover } from '../negotiate.js';
import type { Channel, McpTransport, TransportSource } from '../transport.js';

export type { TransportSource };

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
  /** Why the session ended itself (a stdio server's output lost its framing), if it did. */
  fault(): Error | undefined;
}

export interface ConnectOptions {
  server: RuntimeServer;
  custom: TransportSource | undefined;
  stderr: StderrRing;
  signal: AbortSignal;
  clientInfo: { name: string; version: string };
  /**
   * What the client declares in `initialize` (serverRequests.ts `clientCapabilities`): sampling,
   * elicitation, roots. Defaults to none.
   */
  capabilities?: DeclaredCapabilities;
  /**
   * The server's authorization for this attempt (src/auth `createAuthProvider`), for http and sse
   * servers with an `auth` block. It works inside the transport's fetch: a 401 during initialize
   * is authorized (consent included) and the request sent again, so the connect simply succeeds.
   * Defaults to none (static headers only).
   */
  auth?: SessionAuth;
  /**
   * The switchboard's clock, for the time bound on an oversized stdio line (stdioFraming.ts
   * `SKIP_MS`). Defaults to real, unref'd timers.
   */
  clock?: Clock;
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


async function buildTransport(options: ConnectOptions): Promise<Built> {
  const { server, custom } = options;
  if (custom) {
    // Any object of the MCP transport shape: the v1 SDK's Transport is that shape.
    const transport = (typeof custom === 'function' ? await custom() : custom) as Transport;
    return { transport, close: (client) => withTimeout(client.close(), server.timeouts.shutdownMs).then(() => undefined), retryAfterMs: () => undefined };
  }
  if (server.transport === 'custom') throw new Error(`server "${server.name}" has no transport: pass one in options.transports`);
  if (server.transport === 'stdio') return buildStdioTransport(server, options.stderr, options.clock, withTimeout);
  const http = buildHttpTransport(server, withTimeout, options.auth?.wrapFetch);
  return {
    transport: http.transport,
    retryAfterMs: http.retryAfterMs,
    close: (client) => http.close(() => withTimeout(client.close(), server.timeouts.shutdownMs).then(() => undefined)),
  };
}

/**
 * Builds and starts the transport of a stdio or custom server without a Client, for the era probe
 * (negotiate.ts): the same process, process group and framing as a legacy session's. Aborting
 * `options.signal` while it starts closes what it opened.
 */
export async function openChannel(options: ConnectOptions): Promise<Channel> {
  const built = await buildTransport(options);
  const none = { close: async () => undefined };
  const { signal } = options;
  const { aborted, done } = abortRace(signal);
  try {
    if (signal.aborted) throw signal.reason;
    await Promise.race([built.transport.start(), aborted]);
  } catch (error) {
    await built.close(none).catch(() => undefined);
    throw built.fault?.() ?? error;
  } finally {
    done();
  }
  return {
    transport: built.transport as McpTransport,
    close: (client) => built.close(client),
    retryAfterMs: built.retryAfterMs,
    fault: () => built.fault?.(),
    trustClient: () => built.trustClient?.(),
  };
}

/**
 * Connects a fresh Client over a fresh transport (or over `channel`, started by `openChannel`). Aborting `signal` (connect timeout, stop,
 * manual reconnect) abandons the attempt and closes whatever it opened.
 */
export async function openSession(options: ConnectOptions, prepare: (client: Client) => void = () => undefined, channel?: Channel): Promise<OpenSession> {
  // A channel the era probe ran on is started already: the Client takes it over as it is.
  const built: Built = channel ? { ...channel, transport: handover(channel.transport) as Transport } : await buildTransport(options);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities ?? {} });
  // Before connect: a server's −32000 answer to initialize is its answer too, not a closed connection.
  markServerAnswers(client);
  prepare(client);
  const session: OpenSession = {
    client,
    transport: built.transport,
    close: () => built.close(client),
    retryAfterMs: built.retryAfterMs,
    fault: () => built.fault?.(),
  };
  // A transport can hang in start() where the request signal does not reach (abortRace.ts).
  const { signal } = options;
  const { aborted, done } = abortRace(signal);
  try {
    // Aborted before it began (stop or reconnect while the transport was built): spawn nothing.
    if (signal.aborted) throw signal.reason;
    // No signal for initialize: the SDK keeps its abort listener and would later cancel the
    // answered initialize (typescript-sdk #998), which the spec forbids; `aborted` ends the attempt.
    await Promise.race([client.connect(built.transport, { timeout: NO_SDK_TIMEOUT }), aborted]);
  } catch (error) {
    await session.close().catch(() => undefined);
    throw session.fault() ?? error;
  } finally {
    done();
  }
  return session;
}
