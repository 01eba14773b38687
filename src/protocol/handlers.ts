import type { CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult } from './serverRequestTypes.js';
import type { ClientCapabilities, Root } from './types.js';

/**
 * Server → client requests (DESIGN §10, §15), era-neutral: sampling, elicitation and roots reach
 * the same embedder handlers, with the same context, deadline and bounds, whether they arrive as
 * requests (legacy era) or inside `input_required` results (modern era). The handlers are run by
 * each implementation (v1: `v1/serverRequests.ts`).
 */

/** MCP params are open (extra fields pass through): a handler may read them as a plain record. */
type Open<T> = T & { [key: string]: unknown };

/**
 * What the client declares, exactly as `clientCapabilities` builds it: narrow enough to hand to
 * either SDK's client options, open like `ClientCapabilities`.
 */
export interface DeclaredCapabilities extends ClientCapabilities {
  elicitation?: { form?: { applyDefaults?: boolean; [key: string]: unknown }; url?: object; [key: string]: unknown };
}

/** What a handler learns about the request besides its params. */
export interface HandlerContext {
  /** The configured name of the server that asked. */
  server: string;
  /** Aborts when the server cancels the request, the connection closes or the deadline passes. */
  signal: AbortSignal;
}

/**
 * The embedder's answers to server → client requests. Throw an `McpError` to choose the JSON-RPC
 * code (the spec suggests -1 for "user rejected sampling"); any other error answers -32603.
 *
 * Bounded per server, every kind together: at most `limits.maxServerRequests` (default 4)
 * handlers run at once, up to `limits.maxServerRequestQueue` (default 16) more requests wait in
 * arrival order, and any further one is answered at once with JSON-RPC error -32603 "too many
 * concurrent server requests (4 running, 16 queued)" without calling a handler. The deadline
 * (`timeouts.callMs`) counts from arrival, time in the queue included. A queued request the server
 * cancels, that times out or whose connection closes leaves the queue and never reaches a handler;
 * a running one's `ctx.signal` aborts then, and its slot goes to the next request.
 */
export interface ServerRequestHandlers {
  /** `sampling/createMessage`: run the model the server asks for. */
  sampling?: (params: Open<CreateMessageRequest['params']>, ctx: HandlerContext) => Promise<CreateMessageResult>;
  /**
   * `elicitation/create`, form mode (`params.mode === 'form'`, always set) or URL mode
   * (`'url'`): ask the user. Accepted form content is completed with the schema's defaults.
   */
  elicitation?: (params: Open<ElicitRequest['params']>, ctx: HandlerContext) => Promise<ElicitResult>;
  /** `roots/list`: a fixed list, or a function asked on every request. */
  roots?: Root[] | ((ctx: { server: string }) => Root[] | Promise<Root[]>);
}

/** Per-server config: `false` withholds a capability even when its handler exists. Each defaults to declared. */
export interface WithheldCapabilities {
  sampling?: boolean;
  elicitation?: boolean;
  roots?: boolean;
}

/**
 * The capabilities to send in `initialize`: `sampling: {}` (no `tools`/`context`: a handler is
 * not known to support them), `elicitation: { form: { applyDefaults: true }, url: {} }` and
 * `roots: { listChanged: true }`, each only when its handler exists and `withheld` does not set it
 * to false.
 */
export function clientCapabilities(handlers: ServerRequestHandlers | undefined, withheld: WithheldCapabilities | undefined): DeclaredCapabilities {
  const capabilities: DeclaredCapabilities = {};
  if (handlers?.sampling && withheld?.sampling !== false) capabilities.sampling = {};
  if (handlers?.elicitation && withheld?.elicitation !== false) capabilities.elicitation = { form: { applyDefaults: true }, url: {} };
  if (handlers?.roots && withheld?.roots !== false) capabilities.roots = { listChanged: true };
  return capabilities;
}

/** The timer interface of XState's clocks (real or `SimulatedClock`). */
export interface RequestClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface ServerRequestOptions {
  /** The server's configured name, given to every handler. */
  server: string;
  handlers: ServerRequestHandlers | undefined;
  /** What the client declared (from `clientCapabilities`): only these requests get a handler. */
  capabilities: DeclaredCapabilities;
  /** Deadline of one handler (the server's `timeouts.callMs`). */
  timeoutMs: number;
  clock: RequestClock;
  log(level: string, message: string): void;
  /** The live roots (set by `setRoots`); `undefined` falls back to `handlers.roots`. */
  roots(): Root[] | Promise<Root[]> | undefined;
  /** Masks secrets in messages sent to the server and logged. Defaults to none. */
  redact?(text: string): string;
  /**
   * The server's bound on its requests (its resolved `limits`): `maxServerRequests` handlers at
   * once, `maxServerRequestQueue` waiting. Defaults to 4 and 16 (`DEFAULT_POLICY.limits`).
   */
  limits?: ServerRequestLimits;
}

/** The two `limits` fields that bound one server's server → client requests. */
export interface ServerRequestLimits {
  maxServerRequests: number;
  maxServerRequestQueue: number;
}

