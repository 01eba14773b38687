import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerAuth } from '../auth/create.js';
import type { RuntimeServer } from '../config/schema.js';
import { JSONRPCMessageSchema, type ClientCapabilities, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { brokenResponse, idFromEdges, MessageTooLargeError, substituteError } from './classify.js';
import { buildHttpTransport } from './httpTransport.js';
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
  /**
   * What the client declares in `initialize` (serverRequests.ts `clientCapabilities`): sampling,
   * elicitation, roots. Defaults to none.
   */
  capabilities?: ClientCapabilities;
  /**
   * The server's authorization for this attempt (src/auth `createAuthProvider`), for http and sse
   * servers with an `auth` block. It works inside the transport's fetch: a 401 during initialize
   * is authorized (consent included) and the request sent again, so the connect simply succeeds.
   * Defaults to none (static headers only).
   */
  auth?: ServerAuth;
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

/** Bytes kept from each end of a dropped line to find its id. */
const EDGE = 512;

/**
 * Replaces the stdio transport's line buffer (the SDK's `ReadBuffer`, a private field) with one
 * that caps each line, not the whole buffer, at `limits.maxMessageBytes` and never throws: the
 * SDK's closes the transport on an oversized read, failing every call on the server. A line over
 * the cap is dropped as it streams in (its first and last bytes kept to find its id) and its
 * request gets a JSON-RPC error; so does a response whose envelope the SDK's schema rejects.
 */
class ScreeningReadBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  private skip: { head: string; tail: Buffer; reported: boolean } | null = null;
  private ready: (JSONRPCMessage | Error)[] = [];

  constructor(private readonly maxBytes: number) {}

  append(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      this.take(newline === -1 ? chunk.subarray(start) : chunk.subarray(start, newline));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** The next message; an error is thrown, which the SDK reports to `onerror` before it reads on. */
  readMessage(): JSONRPCMessage | null {
    const next = this.ready.shift();
    if (next instanceof Error) throw next;
    return next ?? null;
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
    this.skip = null;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skip) {
      const tail = piece.length >= EDGE ? piece : Buffer.concat([this.skip.tail, piece]);
      this.skip.tail = Buffer.from(tail.subarray(Math.max(0, tail.length - EDGE)));
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const head = Buffer.concat([...this.parts, piece.subarray(0, EDGE)]).subarray(0, EDGE).toString('utf8');
    this.skip = { head, tail: Buffer.from(piece.subarray(Math.max(0, piece.length - EDGE))), reported: false };
    this.parts = [];
    this.size = 0;
    // An id up front settles the call now; an id at the end (SDK servers) once the line is over.
    const id = idFromEdges(head, '');
    if (id !== undefined) this.report(id);
  }

  private endLine(): void {
    if (this.skip) {
      const { head, tail, reported } = this.skip;
      this.skip = null;
      const id = reported ? undefined : idFromEdges(head, tail.toString('utf8'));
      if (id !== undefined) this.report(id);
      else if (!reported) this.ready.push(new MessageTooLargeError(this.maxBytes));
      return;
    }
    const line = (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.ready.push(error as Error);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (parsed.success) {
      this.ready.push(parsed.data);
      return;
    }
    const broken = brokenResponse(value, true);
    this.ready.push(broken ? substituteError(broken.id, `invalid response envelope from the server: ${broken.problem}`) : parsed.error);
  }

  private report(id: string | number): void {
    if (this.skip) this.skip.reported = true;
    this.ready.push(substituteError(id, new MessageTooLargeError(this.maxBytes).message));
  }
}

/**
 * Messages sent in one turn of the event loop (a burst of admitted calls) leave in one `writev`
 * instead of one write syscall each: stdin is corked on the first send and uncorked when the turn
 * ends (`setImmediate`, which never waits for I/O). Measured with 64 calls in flight: the write
 * path went from 5.5 to 2.9 µs per call.
 */
export function coalesceWrites(transport: StdioClientTransport): void {
  const target = transport as unknown as { _process?: { stdin?: NodeJS.WritableStream & { cork(): void; uncork(): void; writableCorked: number } } };
  const send = transport.send.bind(transport);
  let corked: { uncork(): void } | null = null;
  const uncork = () => {
    corked?.uncork();
    corked = null;
  };
  transport.send = (message) => {
    const stdin = target._process?.stdin;
    if (stdin && corked === null && typeof stdin.cork === 'function') {
      stdin.cork();
      corked = stdin;
      setImmediate(uncork);
    }
    return send(message);
  };
}

function screenStdout(transport: StdioClientTransport, maxBytes: number): void {
  const target = transport as unknown as { _readBuffer?: unknown };
  // Only where the SDK keeps the field we replace; elsewhere its own `maxBufferSize` still caps.
  if ('_readBuffer' in target) target._readBuffer = new ScreeningReadBuffer(maxBytes);
}

interface Built {
  transport: Transport;
  close(client: Client): Promise<void>;
  retryAfterMs(): number | undefined;
}

function buildStdioTransport(server: RuntimeServer & { transport: 'stdio' }, stderr: StderrRing): Built {
  const env = { ...getDefaultEnvironment(), ...(server.env ?? {}) };
  const command = resolveCommand(server.command, server.cwd, env.PATH);
  const setsid = findSetsid();
  const params: ConstructorParameters<typeof StdioClientTransport>[0] = {
    command: setsid ?? command,
    args: setsid ? [command, ...(server.args ?? [])] : (server.args ?? []),
    env,
    stderr: 'pipe',
    maxBufferSize: server.limits.maxMessageBytes,
  };
  if (server.cwd) params.cwd = server.cwd;
  const transport = new StdioClientTransport(params);
  screenStdout(transport, server.limits.maxMessageBytes);
  coalesceWrites(transport);
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  // The group is taken at spawn: the SDK forgets its child on close and on exit (`pid` is null
  // then), and Client.connect closes the transport itself when initialize fails, before our own
  // close runs. A group kept only as `transport.pid` leaked on a crash, a failed initialize and
  // most aborted connects.
  let group: number | null = null;
  let untrack: () => void = () => undefined;
  const originalStart = transport.start.bind(transport);
  transport.start = () => {
    const started = originalStart();
    // spawn() ran synchronously inside start(): the pid is known now, before 'spawn' fires.
    group = transport.pid;
    if (group) untrack = trackGroup(group, setsid !== null);
    return started;
  };
  let closing: Promise<void> | undefined;
  return {
    transport,
    retryAfterMs: () => undefined,
    close: (client: Client) =>
      (closing ??= (async () => {
        const closed = withTimeout(client.close(), server.timeouts.shutdownMs + 2_500);
        if (group) await terminateGroup(group, server.timeouts.shutdownMs, setsid !== null);
        untrack();
        await closed;
      })()),
  };
}

async function buildTransport(options: ConnectOptions): Promise<Built> {
  const { server, custom } = options;
  if (custom) {
    const transport = typeof custom === 'function' ? await custom() : custom;
    return { transport, close: (client) => withTimeout(client.close(), server.timeouts.shutdownMs).then(() => undefined), retryAfterMs: () => undefined };
  }
  if (server.transport === 'custom') throw new Error(`server "${server.name}" has no transport: pass one in options.transports`);
  if (server.transport === 'stdio') return buildStdioTransport(server, options.stderr);
  const http = buildHttpTransport(server, withTimeout, options.auth?.wrapFetch);
  return {
    transport: http.transport,
    retryAfterMs: http.retryAfterMs,
    close: (client) => http.close(() => withTimeout(client.close(), server.timeouts.shutdownMs).then(() => undefined)),
  };
}

/**
 * Connects a fresh Client over a fresh transport. Aborting `signal` (connect timeout, stop,
 * manual reconnect) abandons the attempt and closes whatever it opened.
 */
export async function openSession(options: ConnectOptions, prepare: (client: Client) => void): Promise<OpenSession> {
  const built = await buildTransport(options);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities ?? {} });
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
    // Aborted before it began (stop or reconnect while the transport was built): spawn nothing.
    if (options.signal.aborted) throw options.signal.reason;
    // No signal for initialize: the SDK keeps its abort listener and would later cancel the
    // answered initialize (typescript-sdk #998), which the spec forbids; `aborted` ends the attempt.
    await Promise.race([client.connect(built.transport, { timeout: NO_SDK_TIMEOUT }), aborted]);
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  return session;
}
