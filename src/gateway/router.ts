import type { ClientCapabilities, Server } from '@modelcontextprotocol/server';
import {
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ErrorCode,
  ListRootsResultSchema,
  McpError,
  type CreateMessageResult,
  type ElicitResult,
  type Root,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/logger.js';
import type { HandlerContext, ServerRequestHandlers } from '../protocol/index.js';

/**
 * Server → client requests through the gateway (DESIGN §12, §15). An upstream server may ask for
 * sampling, elicitation or roots only while it serves a downstream request; the router knows which
 * downstream requests are running on which upstream server and asks THAT request's client. A
 * legacy (2025-11-25) client gets a real request on that request's own stream; a modern
 * (2026-07-28) client gets it as an `input_required` result and answers by retrying
 * (`inputRequired.ts`). Anything else is refused: a question asked outside a call, or while calls
 * from two different clients run on the same server (the wire does not say which one caused it,
 * and asking the wrong person would leak one client's data to another).
 *
 * The answers go back to the switchboard, which speaks to the upstream in its own era: errors
 * toward it are the v1 SDK's `McpError` (what the switchboard's handler runner reads a code from),
 * whatever era the downstream client speaks.
 *
 * The switchboard is created before the gateway, and takes its handlers at creation, so the
 * router comes first:
 *
 * ```ts
 * const router = createGatewayRouter();
 * const sb = createSwitchboard(config, { handlers: router.handlers });
 * const gateway = createGateway(sb, { router });
 * ```
 */

/** One server → client request as it goes to a downstream client. */
export interface InputRequest {
  method: 'sampling/createMessage' | 'elicitation/create' | 'roots/list';
  params?: Record<string, unknown>;
}

/** What the router needs of one downstream request in flight. */
export interface DownstreamRequest {
  /** The downstream session it came from (a modern HTTP exchange is a session of its own). */
  session: DownstreamSession;
  /** Asks that request's client (a request in legacy, `input_required` in modern); resolves with its raw answer. */
  ask(request: InputRequest, signal: AbortSignal): Promise<unknown>;
  /** The capabilities the client of this request declared (at initialize, or in the request's `_meta`). */
  capabilities(): ClientCapabilities | undefined;
}

/** What the router needs of one downstream session. */
export interface DownstreamSession {
  /** The SDK server of the session. */
  readonly server: Server;
  /** `modern` sessions cannot be sent requests outside a call (2026-07-28 has no such channel). */
  readonly era: 'legacy' | 'modern';
}

/** How long one downstream client may take to list its roots. */
const ROOTS_TIMEOUT_MS = 10_000;

/** The router between upstream server requests and downstream sessions. */
export class GatewayRouter {
  /** Pass these to `createSwitchboard(config, { handlers })`. */
  readonly handlers: ServerRequestHandlers;
  private readonly running = new Map<string, Set<DownstreamRequest>>();
  private readonly sessions = new Set<DownstreamSession>();
  private attached = false;
  private logger: Logger | undefined;
  private redact: (text: string) => string = (text) => text;

  constructor() {
    this.handlers = {
      sampling: (params, ctx) =>
        this.ask('sampling', ctx, async (call) => {
          const schema = params.tools || params.toolChoice ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema;
          return schema.parse(await call.ask({ method: 'sampling/createMessage', params }, ctx.signal)) as CreateMessageResult;
        }),
      elicitation: (params, ctx) =>
        this.ask('elicitation', ctx, async (call) => {
          const declared = call.capabilities()?.elicitation;
          if (params.mode === 'url' && !declared?.url) throw refusal(ErrorCode.InvalidRequest, `the client of this call does not accept URL elicitation (server "${ctx.server}")`);
          return ElicitResultSchema.parse(await call.ask({ method: 'elicitation/create', params }, ctx.signal)) as ElicitResult;
        }),
      roots: (ctx) => this.roots(ctx.server),
    };
  }

  /** Called by `createGateway`: one router serves one gateway. `redact` cleans its log lines; defaults to none. */
  attach(logger: Logger | undefined, redact?: (text: string) => string): void {
    if (this.attached) throw new Error('this gateway router already serves a gateway');
    this.attached = true;
    this.logger = logger;
    if (redact) this.redact = redact;
  }

  /** A downstream session joined. */
  addSession(session: DownstreamSession): void {
    this.sessions.add(session);
  }

  /** A downstream session left; its requests are over. */
  removeSession(session: DownstreamSession): void {
    this.sessions.delete(session);
    for (const calls of this.running.values()) for (const call of calls) if (call.session === session) calls.delete(call);
  }

  /** Marks a downstream request as running on `server`; returns the function that ends it. */
  begin(server: string, call: DownstreamRequest): () => void {
    const calls = this.running.get(server) ?? new Set<DownstreamRequest>();
    calls.add(call);
    this.running.set(server, calls);
    return () => {
      calls.delete(call);
      if (calls.size === 0 && this.running.get(server) === calls) this.running.delete(server);
    };
  }

  /** Sends a sampling or elicitation request to the client of the one downstream call running on the server. */
  private async ask<T>(kind: 'sampling' | 'elicitation', ctx: HandlerContext, send: (call: DownstreamRequest) => Promise<T>): Promise<T> {
    const calls = [...(this.running.get(ctx.server) ?? [])];
    const sessions = new Set(calls.map((c) => c.session));
    // Also reached outside the gateway (a call through the admin API, the CLI or the library on a
    // switchboard created with these handlers): the message names what would have answered.
    if (sessions.size === 0) {
      throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: only an MCP client whose request to that server is running can answer it, and none is (calls from the admin API, the CLI or the library have no client to ask)`);
    }
    if (sessions.size > 1) throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: requests of ${sessions.size} clients are running on it and the request does not say whose it is`);
    // The newest call of that one client: its stream is the most likely to be open.
    const call = calls.at(-1)!;
    if (call.capabilities()?.[kind] === undefined) {
      throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: the client of this call did not declare ${kind}`);
    }
    this.logger?.log('debug', `gateway: forwarding ${kind} from server "${ctx.server}" to the calling client`);
    return send(call).catch((error: unknown) => {
      throw upstreamError(error);
    });
  }

  /**
   * The roots of the clients that declared roots: of the clients with requests running on the
   * server when there are any (asked through that request, so a modern client is asked too),
   * else of every legacy client (one for stdio), by uri without repeats.
   */
  private async roots(server: string): Promise<Root[]> {
    const latest = new Map<DownstreamSession, DownstreamRequest>();
    for (const call of this.running.get(server) ?? []) latest.set(call.session, call);
    const ask = (call: DownstreamRequest) => {
      const signal = AbortSignal.timeout(ROOTS_TIMEOUT_MS);
      return call.ask({ method: 'roots/list' }, signal).then((answer) => ListRootsResultSchema.parse(answer).roots);
    };
    const lists = latest.size > 0
      ? [...latest.values()].filter((call) => call.capabilities()?.roots).map(ask)
      : [...this.sessions]
          .filter((s) => s.era === 'legacy' && s.server.getClientCapabilities()?.roots)
          .map((s) => s.server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS }).then((result) => result.roots as Root[]));
    const settled = await Promise.all(
      lists.map((list) =>
        list.catch((error: unknown) => {
          this.logger?.log('warn', `gateway: a client did not list its roots: ${this.redact(error instanceof Error ? error.message : String(error))}`);
          return [] as Root[];
        }),
      ),
    );
    const byUri = new Map<string, Root>();
    for (const root of settled.flat()) if (!byUri.has(root.uri)) byUri.set(root.uri, root);
    return [...byUri.values()];
  }
}

/** A JSON-RPC error toward the upstream whose message goes on the wire without the "MCP error <code>: " prefix. */
export function refusal(code: number, message: string): McpError {
  const error = new McpError(code, message);
  error.message = message;
  return error;
}

/**
 * A downstream client's error (a v2 `ProtocolError` or `SdkError`) as the v1 `McpError` the
 * switchboard's handler runner reads the code of: a client that answered "user rejected" (-1)
 * is heard as such upstream, in whichever era either side speaks.
 */
function upstreamError(error: unknown): unknown {
  if (error instanceof McpError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'number' && Number.isSafeInteger(code)) return refusal(code, error.message);
  return error;
}

/** Creates the router to hand to `createSwitchboard({ handlers: router.handlers })` and then to `createGateway(sb, { router })`. */
export function createGatewayRouter(): GatewayRouter {
  return new GatewayRouter();
}

/** The server → client handlers of a router or of a gateway's router, for `createSwitchboard(config, { handlers })`. */
export function gatewayHandlers(source: GatewayRouter | { router: GatewayRouter }): ServerRequestHandlers {
  return source instanceof GatewayRouter ? source.handlers : source.router.handlers;
}
