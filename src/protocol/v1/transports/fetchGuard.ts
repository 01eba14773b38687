import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { guardBody } from './httpBodies.js';

/**
 * The `fetch` every HTTP and SSE transport uses. SDK 1.32.2 gives every POST the transport-wide
 * abort signal (research/sdk-notes.md §11), so a call that timed out or was cancelled kept its
 * response socket open until undici gave up after 300 s; and it read any response whole, however
 * large. Here each POST that carries a call gets its own AbortController, linked to the call's
 * signal, and every body is read through `guardBody` (size cap, broken envelopes).
 */

/** The part of a call's signal (src/calls/signal.ts `CallSignal`) that the fetch guard needs. */
export interface CallSignalLike {
  aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The call whose request is being handed to a transport right now. A plain slot, not
 * AsyncLocalStorage: on Node 20 one AsyncLocalStorage.run() turns on promise hooks for the whole
 * process, which made every `await` 2.5× slower (measured), stdio and in-memory calls included.
 * The SDK calls `transport.send()` synchronously inside `client.request()`, which is all the slot
 * has to span; `linkCallSignals` keeps the signal from there, by request id, for the fetch.
 */
let current: CallSignalLike | null = null;

/**
 * The per-call headers (`callTool(…, { headers })`) of the request being handed to a transport
 * right now: the SDK 1.x request options carry no headers, so they ride the same synchronous slot
 * as the call signal, are kept by request id in `transport.send` and added by the fetch to that
 * request's POST only (never `initialize`, lists or another call's).
 */
let currentHeaders: Readonly<Record<string, string>> | null = null;

/** Runs `run` (which must send exactly one request) with `headers` for that request's POST. */
export function withCallHeaders<T>(headers: Readonly<Record<string, string>>, run: () => T): T {
  const previous = currentHeaders;
  currentHeaders = headers;
  try {
    return run();
  } finally {
    currentHeaders = previous;
  }
}

/** `init` with `extra` headers added; the transport's own (configured headers, authorization) win on a clash. */
function withExtraHeaders(init: RequestInit | undefined, extra: Readonly<Record<string, string>>): RequestInit {
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(extra)) if (!headers.has(name)) headers.set(name, value);
  return { ...init, headers };
}

/**
 * Runs `run` (which must send exactly one request, `client.request(...)`) so that an HTTP
 * transport aborts that request's own fetch when `signal` aborts: the server sees the socket close.
 */
export function withCallSignal<T>(signal: CallSignalLike, run: () => T): T {
  const previous = current;
  current = signal;
  try {
    return run();
  } finally {
    current = previous;
  }
}

/** The reason our own per-call abort carries: the transport's `onerror` drops it (not a transport fault). */
export class CallAbortedError extends Error {
  constructor() {
    super('the call ended before its response (timeout or cancel)');
    this.name = 'CallAbortedError';
  }
}

/** True for errors caused by aborting a call's own fetch (also when the SDK wrapped it into text). */
export function isCallAbort(error: unknown): boolean {
  return error instanceof CallAbortedError || (error instanceof Error && error.message.includes('CallAbortedError'));
}

export interface GuardOptions {
  maxMessageBytes: number;
  /** Sees every response (status, headers) before its body is read. */
  observe?: (response: Response) => void;
}

/** The request id at the end of a body the SDK serialized (`{...request, jsonrpc, id}`). */
function requestIdOf(body: unknown): string | number | undefined {
  if (typeof body !== 'string') return undefined;
  const match = /"id":(\d+|"(?:[^"\\]|\\.)*")\}$/.exec(body.slice(-80));
  if (!match) return undefined;
  try {
    return JSON.parse(match[1]!) as string | number;
  } catch {
    return undefined;
  }
}

/**
 * Wraps `transport.send` to remember the call signal (from `withCallSignal`) of each request it
 * sends, and returns the fetch for that transport. Install before `client.connect()`.
 */
export function guardTransport(transport: Transport, options: GuardOptions): typeof fetch {
  const signals = new Map<string | number, CallSignalLike>();
  const callHeaders = new Map<string | number, Readonly<Record<string, string>>>();
  const send = transport.send.bind(transport);
  transport.send = (message, sendOptions) => {
    const headers = currentHeaders;
    if (headers && 'id' in message && 'method' in message) {
      const id = message.id;
      callHeaders.set(id, headers);
      const forget = () => {
        callHeaders.delete(id);
      };
      const sent = sendGuarded(message, sendOptions);
      sent.then(forget, forget);
      return sent;
    }
    return sendGuarded(message, sendOptions);
  };
  const sendGuarded: Transport['send'] = (message, sendOptions) => {
    const signal = current;
    if (!signal || signal.aborted || !('id' in message) || !('method' in message)) return send(message, sendOptions);
    const id = message.id;
    signals.set(id, signal);
    const forget = () => {
      signals.delete(id);
    };
    const sent = send(message, sendOptions);
    sent.then(forget, forget);
    return sent;
  };
  dropOwnAborts(transport);

  const outerAborts = new OuterAborts();
  const settled = new SettledStreams();
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // The SDK resuming the stream of a request that is settled: refused here as a server without
    // resumable streams would (405), which the SDK takes quietly.
    if (init?.method === 'GET' && settled.take(new Headers(init.headers).get('last-event-id'))) return new Response(null, { status: 405 });
    // Known for every POST of a request: its SSE stream answers only that request.
    const id = init?.method === 'POST' ? requestIdOf(init.body) : undefined;
    const signal = id === undefined ? undefined : signals.get(id);
    const extra = id === undefined ? undefined : callHeaders.get(id);
    if (extra) init = withExtraHeaders(init, extra);
    const controller = new AbortController();
    const outer = init?.signal ?? undefined;
    const abortCall = () => controller.abort(new CallAbortedError());
    const leaveOuter = outer ? outerAborts.join(outer, controller) : () => undefined;
    signal?.addEventListener('abort', abortCall);
    const release = () => {
      leaveOuter();
      signal?.removeEventListener('abort', abortCall);
    };
    let response: Response;
    try {
      response = await fetch(input, { ...init, signal: controller.signal });
    } catch (error) {
      release();
      throw error;
    }
    options.observe?.(response);
    return guardBody(response, { maxBytes: options.maxMessageBytes, requestId: id, controller, release, ownAbort: isCallAbort, settled: settled.add });
  };
}

/** Resumption cursors of POST streams whose request is settled, newest last, at most 256. */
class SettledStreams {
  private static readonly MAX = 256;
  private readonly cursors = new Set<string>();

  readonly add = (cursor: string): void => {
    this.cursors.add(cursor);
    if (this.cursors.size > SettledStreams.MAX) this.cursors.delete(this.cursors.values().next().value!);
  };

  /** True (once) when `cursor` resumes a settled stream. */
  take(cursor: string | null): boolean {
    return cursor !== null && this.cursors.delete(cursor);
  }
}

/**
 * The SDK hands every POST the transport-wide signal. One listener on it aborts every request
 * still open, instead of one listener per request: 64 calls in flight put 64 listeners on one
 * signal, which made Node print a MaxListenersExceededWarning into the host's stderr.
 */
class OuterAborts {
  private readonly open = new WeakMap<AbortSignal, Set<AbortController>>();

  /** Links `controller` to `outer` until the returned function is called. */
  join(outer: AbortSignal, controller: AbortController): () => void {
    if (outer.aborted) {
      controller.abort(outer.reason);
      return () => undefined;
    }
    let members = this.open.get(outer);
    if (!members) {
      const created = new Set<AbortController>();
      members = created;
      this.open.set(outer, created);
      outer.addEventListener('abort', () => {
        for (const member of created) member.abort(outer.reason);
        created.clear();
      }, { once: true });
    }
    members.add(controller);
    const joined = members;
    return () => {
      joined.delete(controller);
    };
  }
}

/**
 * The SDK reports a failed fetch or body to `transport.onerror`, which the session takes as a sign
 * the connection may be gone (and pings). An abort we caused for one call is no such sign.
 */
function dropOwnAborts(transport: Transport): void {
  let handler: Transport['onerror'];
  Object.defineProperty(transport, 'onerror', {
    configurable: true,
    get: () => handler,
    set: (next: Transport['onerror']) => {
      handler = next && ((error: Error) => (isCallAbort(error) ? undefined : next(error)));
    },
  });
}
