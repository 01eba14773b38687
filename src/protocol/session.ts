import type { CallOutcome } from '../../machines/breakerModel.js';
import type { CatalogKind, ErrorInfo } from '../../machines/types.js';
import type { RuntimeServer } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { SwitchboardError } from '../core/errors.js';
import type { ServerRequestOptions } from './handlers.js';
import type { StderrRing } from './stderrRing.js';
import type { ClientCapabilities, Implementation, LoggingLevel, Meta, Progress, Prompt, Resource, ResourceTemplate, ServerCapabilities, Tool } from './types.js';
import type { TransportSource } from './transport.js';

/**
 * The protocol seam (DESIGN §2, §15): one live MCP session as the session actor sees it, whatever
 * the protocol era and SDK behind it. Everything here speaks our own types; no SDK object, class
 * or error crosses it. An implementation (today `v1/`, on `@modelcontextprotocol/sdk` 1.x) builds
 * the transport, runs the handshake, follows pages, answers the server's requests through the
 * embedder's handlers, and classifies its own SDK's errors into ours.
 */

/** `legacy`: the `initialize` handshake (2025-11-25 and older); `modern`: `server/discover` (2026-07-28). */
export type ProtocolEra = 'legacy' | 'modern';

/** The protocol config of a server: `auto` (the default) lets the connector choose the era. */
export type { ProtocolChoice } from '../config/protocolSchema.js';

/**
 * An era already found for a server, so a reconnect skips the probe (DESIGN §15: `auto` costs one
 * round trip once). `discover` is the modern server's `server/discover` result, kept opaque.
 */
export type EraVerdict =
  | { era: 'legacy' }
  /**
   * Modern. Without `discover`, only known from a refusal of `initialize` naming 2026-07-28 (a slow
   * starter whose silence was taken for legacy): the next connect probes, patiently.
   */
  | { era: 'modern'; discover?: unknown };

/** What the handshake taught about the server. */
export interface SessionFacts {
  era: ProtocolEra;
  /** The negotiated protocol version, when the SDK tells it. */
  protocolVersion?: string;
  serverInfo?: Implementation;
  capabilities?: ServerCapabilities;
  instructions?: string;
  /** The era found, to hand back as `OpenOptions.prior` on the next connect. */
  verdict: EraVerdict;
}

/** Why a caller's request stopped on our side (the call path's `AbortCause`). */
export type AbortCause = 'timeout' | 'cancelled' | 'stopped';

/** The requests a call can make (tools and the rest of the MCP surface, DESIGN §10). */
export type CallMethod =
  | 'tools/call'
  | 'resources/read'
  | 'prompts/get'
  | 'completion/complete'
  | 'logging/setLevel'
  | 'resources/subscribe'
  | 'resources/unsubscribe';

/** How one request is sent. The SDK's own timeout is never used: deadlines run on our clock. */
export interface SessionRequestOptions {
  /**
   * Ends the request (the server is told: `notifications/cancelled`, or the HTTP request closed).
   * A call passes its cheap `CallSignal` here; any AbortSignal does.
   */
  signal: AbortSignal;
  /**
   * Progress of this request: when given, the request carries a progress token (sdk-notes §6);
   * when undefined it carries none (src/calls/progressPolicy.ts says which calls go without).
   */
  onProgress: ((progress: Progress) => void) | undefined;
  /** `_meta` for the request's params (merged over any `_meta` already in `params`). */
  meta?: Meta;
  /** Run as a task (a tool whose `execution.taskSupport` is `required`): one call to the caller. */
  task?: boolean;
  /**
   * HTTP headers for this request only (http and sse servers; checked by the call path before it
   * is sent: `src/calls/headers.ts`). Added by the transport's fetch (callHeaders.ts).
   */
  headers?: Readonly<Record<string, string>> | undefined;
}

/** What a failed request was, for its message and breaker outcome. */
export interface FailureContext {
  abortCause: AbortCause | null;
  server: string;
  tool: string;
  /** How the request is named in messages, e.g. `tool "add"`. */
  subject: string;
  /** A tool's -32603 is the server breaking; another request's is the caller's mistake. */
  kind: 'tool' | 'other';
}

/** How one failed call is reported and counted. */
export interface CallFailure {
  error: SwitchboardError;
  outcome: CallOutcome;
  /** The connection itself is suspect (transport error): check it at once. */
  suspectConnection: boolean;
  /** The request provably never reached the tool (so a retry on a new session is safe). */
  undispatched: boolean;
  /** The server no longer knows the session (HTTP 400/404 on a request that carried one). */
  sessionExpired: boolean;
  /** The server refused our credentials (HTTP 401/403): retrying cannot help, the server goes to `error`. */
  authFailed: boolean;
}

/** The raw entries of each catalog kind, as the server listed them. */
export interface ListedKinds {
  tools: Tool[];
  resources: Resource[];
  templates: ResourceTemplate[];
  prompts: Prompt[];
}

/** One live session. Every method may be called after `close()`: it then fails or does nothing. */
export interface ProtocolSession {
  readonly facts: SessionFacts;
  /** Sends one request; resolves with the server's result (a tool result may lack `content`). */
  request(method: CallMethod, params: Record<string, unknown>, options: SessionRequestOptions): Promise<unknown>;
  /** Classifies what `request` (or `subscribe`, `setLogLevel`, …) rejected with. */
  failure(error: unknown, context: FailureContext): CallFailure;
  /**
   * Every page of one kind (bounded: a repeated cursor or more than `MAX_PAGES` pages end the
   * listing with what was gathered, and `warn` says why). A kind the server does not declare is
   * empty; so is a non-tool kind whose list method the server does not implement.
   */
  list<K extends CatalogKind>(kind: K, signal: AbortSignal, warn: (message: string) => void): Promise<ListedKinds[K]>;
  /** Whether a failed request (or probe) says the server no longer knows this session. */
  expired(error: unknown): boolean;
  /** One liveness round trip (`ping` in legacy, `server/discover` in modern): any answer counts. */
  probe(signal: AbortSignal): Promise<void>;
  /** Tells the server its roots changed; does nothing when it cannot (not declared, closed). */
  notifyRootsChanged(): Promise<void>;
  subscribe(uri: string, signal: AbortSignal): Promise<void>;
  unsubscribe(uri: string, signal: AbortSignal): Promise<void>;
  /** `logging/setLevel`; a modern session rejects with `NotSupported`. */
  setLogLevel(level: LoggingLevel, signal: AbortSignal): Promise<void>;
  /** Ends the session completely (HTTP DELETE, the whole stdio process group); never rejects. */
  close(): Promise<void>;
  /** The last Retry-After the server sent (HTTP 429/503), in ms. */
  retryAfterMs(): number | undefined;
}

/** How a session ended or may have ended. */
export type LossReason =
  /** The transport closed (the server exited, the connection dropped, or we closed it). */
  | 'closed'
  /** The session ended itself: the server's output broke the protocol (`error` says how). */
  | 'faulted'
  /** A server-sent stream the session cannot live without is gone (legacy SSE). */
  | 'streamLost';

/** What a session reports while it lives. Each may fire during the handshake too. */
export interface SessionEvents {
  lost(reason: LossReason, error?: Error): void;
  /** A transport error that may or may not mean the session is gone: probe it to find out. */
  suspect(): void;
  /** A transport error, for the debug log (not redacted yet). */
  transportError(error: Error): void;
  listChanged(kind: CatalogKind): void;
  /** A server log message (not redacted yet). */
  log(level: string, message: string): void;
  resourceUpdated(uri: string): void;
}

/** The authorization of an HTTP server (src/auth's `ServerAuth` fits): it wraps the transport's fetch. */
export interface SessionAuth {
  wrapFetch(next: (url: string | URL, init?: RequestInit) => Promise<Response>): (url: string | URL, init?: RequestInit) => Promise<Response>;
}

/** What one connect attempt needs. */
export interface OpenOptions {
  server: RuntimeServer;
  /** An embedder's transport for the server (`options.transports`), if any. */
  custom: TransportSource | undefined;
  /** The server's stderr ring (stdio): kept across attempts. */
  stderr: StderrRing;
  /** Aborting it (connect timeout, stop, reconnect) abandons the attempt and closes what it opened. */
  signal: AbortSignal;
  clientInfo: { name: string; version: string };
  /** What the client declares: sampling, elicitation, roots (handlers.ts `clientCapabilities`). Defaults to none. */
  capabilities?: ClientCapabilities;
  /** The embedder's handlers for the server's requests, with their bounds. Defaults to none. */
  serverRequests?: ServerRequestOptions;
  /** The server's authorization (http and sse servers with an `auth` block). Defaults to none. */
  auth?: SessionAuth;
  /** The switchboard's clock (stdio framing's time bounds). Defaults to real, unref'd timers. */
  clock?: Clock;
  /** The era found on an earlier connect, so the probe is skipped. Defaults to none. */
  prior?: EraVerdict;
  /** Warnings about the connect itself (an `auto` server that broke on `server/discover`). Defaults to none. */
  warn?(message: string): void;
}

/** Opens sessions: one per SDK era (`v1Connector`, `v2/`), and the era chooser over both (select.ts). */
export interface ProtocolConnector {
  /** Connects; rejects with an error that `connectFailure` classifies. */
  open(options: OpenOptions, events: SessionEvents): Promise<ProtocolSession>;
  /**
   * Classifies a failed connect (or a failed first listing on `session`). `maxMessageBytes` is
   * the server's `limits.maxMessageBytes` (defaults to 10 MiB), the bound on an error body read.
   */
  connectFailure(error: unknown, session: ProtocolSession | undefined, maxMessageBytes?: number): ErrorInfo;
}
