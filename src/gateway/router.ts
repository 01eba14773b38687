import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ErrorCode,
  McpError,
  type ClientCapabilities,
  type CreateMessageResult,
  type ElicitResult,
  type Root,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/logger.js';
import type { HandlerContext, ServerRequestHandlers } from '../protocol/index.js';

/**
 * Server → client requests through the gateway (DESIGN §12). An upstream server may ask for
 * sampling or elicitation only while it serves a downstream request; the router knows which
 * downstream requests are running on which upstream server and sends the question to THAT
 * request's client, over that request's own stream (`extra.sendRequest`, so over HTTP it
 * travels on the stream of the call that caused it). Anything else is refused: a question asked
 * outside a call, or while calls from two different clients run on the same server (the wire does
 * not say which one caused it, and asking the wrong person would leak one client's data to
 * another).
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

/** `extra.sendRequest` of a downstream request handler. */
export type SendRequest = RequestHandlerExtra<ServerRequest, ServerNotification>['sendRequest'];

/** What the router needs of one downstream request in flight. */
export interface DownstreamRequest {
  /** The downstream session it came from. */
  session: DownstreamSession;
  /** Sends a request to that session's client, related to the downstream request. */
  sendRequest: SendRequest;
}

/** What the router needs of one downstream session. */
export interface DownstreamSession {
  /** The SDK server of the session (capabilities of its client, `listRoots`). */
  readonly server: Server;
}

/** The SDK's longest timer: a request to a person is bounded by the handler's signal instead. */
const NO_TIMEOUT = 2_147_483_647;
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

  constructor() {
    this.handlers = {
      sampling: (params, ctx) => this.ask('sampling', ctx, (call) => {
        const schema = params.tools || params.toolChoice ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema;
        return call.sendRequest({ method: 'sampling/createMessage', params }, schema, { signal: ctx.signal, timeout: NO_TIMEOUT }) as Promise<CreateMessageResult>;
      }),
      elicitation: (params, ctx) => this.ask('elicitation', ctx, (call) => {
        const declared = call.session.server.getClientCapabilities()?.elicitation;
        if (params.mode === 'url' && !declared?.url) throw refusal(ErrorCode.InvalidRequest, `the client of this call does not accept URL elicitation (server "${ctx.server}")`);
        return call.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema, { signal: ctx.signal, timeout: NO_TIMEOUT }) as Promise<ElicitResult>;
      }),
      roots: (ctx) => this.roots(ctx.server),
    };
  }

  /** Called by `createGateway`: one router serves one gateway. */
  attach(logger: Logger | undefined): void {
    if (this.attached) throw new Error('this gateway router already serves a gateway');
    this.attached = true;
    this.logger = logger;
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
    if (sessions.size === 0) throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: the gateway forwards it only during a client's request to that server`);
    if (sessions.size > 1) throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: requests of ${sessions.size} clients are running on it and the request does not say whose it is`);
    // The newest call of that one client: its stream is the most likely to be open.
    const call = calls.at(-1)!;
    if (!declares(call.session.server.getClientCapabilities(), kind)) {
      throw refusal(ErrorCode.InvalidRequest, `${kind} from server "${ctx.server}" refused: the client of this call did not declare ${kind}`);
    }
    this.logger?.log('debug', `gateway: forwarding ${kind} from server "${ctx.server}" to the calling client`);
    return send(call);
  }

  /**
   * The roots of the clients that declared roots: of the clients with requests running on the
   * server when there are any, else of every client (one for stdio), by uri without repeats.
   */
  private async roots(server: string): Promise<Root[]> {
    const calling = new Set([...(this.running.get(server) ?? [])].map((c) => c.session));
    const pool = calling.size > 0 ? calling : this.sessions;
    const asked = [...pool].filter((s) => s.server.getClientCapabilities()?.roots);
    const lists = await Promise.all(
      asked.map((s) =>
        s.server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS }).then(
          (result) => result.roots,
          (error: unknown) => {
            this.logger?.log('warn', `gateway: a client did not list its roots: ${error instanceof Error ? error.message : String(error)}`);
            return [] as Root[];
          },
        ),
      ),
    );
    const byUri = new Map<string, Root>();
    for (const root of lists.flat()) if (!byUri.has(root.uri)) byUri.set(root.uri, root);
    return [...byUri.values()];
  }
}

function declares(capabilities: ClientCapabilities | undefined, kind: 'sampling' | 'elicitation'): boolean {
  return capabilities?.[kind] !== undefined;
}

/** A JSON-RPC error whose message goes on the wire without the "MCP error <code>: " prefix. */
export function refusal(code: number, message: string): McpError {
  const error = new McpError(code, message);
  error.message = message;
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
