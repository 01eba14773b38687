import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type ClientCapabilities,
  type LoggingLevel,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { CallToolOptions } from '../switchboard/options.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import type { GatewayCatalog } from './catalog.js';
import { isUnknownTool, toMcpError, toolErrorResult, unknownTool } from './errors.js';
import { Exchange, type ParkedExchanges } from './inputRequired.js';
import { refusal, type DownstreamRequest, type GatewayRouter, type InputRequest } from './router.js';

/**
 * The request handlers of one downstream session (DESIGN §12, §15): the switchboard's aggregated
 * catalog under qualified names, each request routed through the switchboard so it gets the
 * breaker, backpressure, deadlines and cancellation of any call. The same handlers serve both
 * eras; they differ only in how an upstream's question reaches the client (`during`).
 */

/** One downstream session: its SDK server, its era and what it subscribed to. */
export interface GatewaySession {
  readonly server: Server;
  /** `legacy`: 2025-11-25 (initialize, sessions); `modern`: 2026-07-28 (per-request `_meta`). */
  readonly era: 'legacy' | 'modern';
  /** Resource uris this session subscribed to, with the switchboard's unsubscribe function. */
  readonly subscriptions: Map<string, () => Promise<void>>;
  /** The level the client set with `logging/setLevel`; upstream logs are forwarded only once it is set. */
  logLevel: LoggingLevel | undefined;
  /** True once the client sent `notifications/initialized` (a modern session is from its first request). */
  initialized: boolean;
  /** The gateway's count of catalog changes this session has been told about (or listed after). */
  generation: number;
}

/** What the handlers need from the gateway. */
export interface HandlerContext {
  sb: Switchboard;
  router: GatewayRouter;
  /** The exposed catalog, shared by every session and rebuilt only when it changes. */
  catalog: GatewayCatalog;
  /** Modern calls waiting for their client's answers, shared by every session. */
  parked: ParkedExchanges;
  redact(text: string): string;
}

/** The SDK's longest timer: a request to a person is bounded by the upstream's signal instead. */
const NO_TIMEOUT = 2_147_483_647;

/** The downstream request's `_meta` without the progress token: the switchboard asks upstream with its own. */
function forwardedMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  const { progressToken: _token, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The client capabilities a modern request declares in its `_meta` envelope. */
function declared(request: ServerContext): ClientCapabilities | undefined {
  return (request.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

function metaOption(meta: Record<string, unknown> | undefined): { meta?: Record<string, unknown> } {
  const forwarded = forwardedMeta(meta);
  return forwarded ? { meta: forwarded } : {};
}

/** Registers every handler of the gateway on one session's server (before it connects). */
export function installHandlers(session: GatewaySession, ctx: HandlerContext): void {
  const { server } = session;
  const { sb, router, redact, catalog, parked } = ctx;
  const failed = (error: unknown) => toMcpError(error, redact);

  /**
   * Runs `work` as a request on its upstream server, so that server's sampling, elicitation and
   * roots come back to this request's client: as requests on its stream (legacy), or as
   * `input_required` rounds of an exchange that outlives this request (modern).
   */
  const during = async <T>(request: ServerContext, upstream: string | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (session.era === 'legacy' || upstream === undefined) {
      const call: DownstreamRequest = {
        session,
        ask: (input: InputRequest, signal: AbortSignal) => request.mcpReq.send(input as never, { signal, timeout: NO_TIMEOUT }),
        capabilities: () => server.getClientCapabilities(),
      };
      const end = upstream === undefined ? () => undefined : router.begin(upstream, call);
      try {
        return await work(request.mcpReq.signal);
      } finally {
        end();
      }
    }
    return (await modernRound(request, upstream, work)) as T;
  };

  /** One round of a modern call: start or resume its exchange, answer the result or `input_required`. */
  const modernRound = async <T>(request: ServerContext, upstream: string, work: (signal: AbortSignal) => Promise<T>) => {
    const state = request.mcpReq.requestState();
    let capabilities = declared(request);
    let exchange: Exchange<unknown>;
    if (typeof state === 'string') {
      exchange = parked.take(state, request.mcpReq.method);
      exchange.answer(request.mcpReq.inputResponses);
    } else {
      const fresh = new Exchange<unknown>(request.mcpReq.method);
      const call: DownstreamRequest = {
        session,
        ask: (input, signal) => {
          if (!parked.hasRoom()) throw refusal(ProtocolErrorCode.InvalidRequest, `${input.method} refused: too many calls are waiting for their clients' answers (gateway.maxSessions)`);
          return fresh.ask(input, signal);
        },
        capabilities: () => capabilities,
      };
      fresh.start(work, router.begin(upstream, call));
      exchange = fresh;
    }
    // The retry's capabilities are the ones the next question is checked against.
    capabilities = declared(request) ?? capabilities;
    // This round's request cancelled (its stream closed, notifications/cancelled): the whole call is.
    const onAbort = () => exchange.abort('the client cancelled the request');
    request.mcpReq.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const round = await exchange.next(() => parked.park(exchange));
      return round.kind === 'done' ? (round.value as T) : round.result;
    } finally {
      request.mcpReq.signal.removeEventListener('abort', onAbort);
    }
  };

  server.setRequestHandler('tools/list', () => ({ tools: catalog.toolList() }));
  server.setRequestHandler('tools/call', async (request, extra) => {
    const { name } = request.params;
    const tool = catalog.tool(name);
    if (!tool) throw unknownTool(name);
    const token = extra.mcpReq._meta?.progressToken;
    const meta = forwardedMeta(extra.mcpReq._meta as Record<string, unknown> | undefined);
    return during(extra, tool.server, async (signal): Promise<CallToolResult> => {
      const options: CallToolOptions = { server: tool.server, signal };
      if (meta) options.meta = meta;
      // The last progress sent: the result waits for it, or the SDK's asynchronous notification
      // path could put the result on the wire first and the client would drop the late progress.
      let progressSent: Promise<unknown> = Promise.resolve();
      if (token !== undefined) {
        options.onProgress = (progress) => {
          progressSent = extra.mcpReq.notify({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
        };
      }
      try {
        const result = (await sb.callTool(tool.name, request.params.arguments, options)) as CallToolResult;
        await progressSent;
        return result;
      } catch (error) {
        // Removed meanwhile (a reload between list and call): unknown, as if never listed.
        if (isUnknownTool(error)) throw unknownTool(name);
        return toolErrorResult(error, redact) as CallToolResult;
      }
    });
  });

  server.setRequestHandler('prompts/list', () => ({ prompts: catalog.promptList() }));
  server.setRequestHandler('prompts/get', async (request, extra) => {
    const { name } = request.params;
    const prompt = catalog.prompt(name);
    if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name} not found`);
    const meta = metaOption(extra.mcpReq._meta as Record<string, unknown> | undefined);
    return during(extra, prompt.server, (signal) => sb.getPrompt(prompt.name, request.params.arguments, { server: prompt.server, signal, ...meta })).catch((error: unknown) => {
      throw failed(error);
    }) as never;
  });

  server.setRequestHandler('resources/list', () => ({ resources: catalog.resourceList() }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: catalog.templateList() }));
  server.setRequestHandler('resources/read', async (request, extra) => {
    const { uri } = request.params;
    // Known uris name their server; template reads are routed by the switchboard.
    const upstream = catalog.resourceOwner(uri);
    const meta = metaOption(extra.mcpReq._meta as Record<string, unknown> | undefined);
    return during(extra, upstream, (signal) => sb.readResource(uri, { signal, ...meta })).catch((error: unknown) => {
      throw failed(error);
    }) as never;
  });
  // Legacy only: in 2026-07-28 a client names the uris it follows in `subscriptions/listen`.
  server.setRequestHandler('resources/subscribe', async (request, extra) => {
    const { uri } = request.params;
    if (!session.subscriptions.has(uri)) {
      const unsubscribe = await sb.subscribeResource(uri, { signal: extra.mcpReq.signal }).catch((error: unknown) => {
        throw failed(error);
      });
      // Subscribed twice meanwhile: keep one switchboard subscription per session and uri.
      if (session.subscriptions.has(uri)) await unsubscribe();
      else session.subscriptions.set(uri, unsubscribe);
    }
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', async (request) => {
    const unsubscribe = session.subscriptions.get(request.params.uri);
    session.subscriptions.delete(request.params.uri);
    await unsubscribe?.().catch((error: unknown) => {
      throw failed(error);
    });
    return {};
  });

  server.setRequestHandler('completion/complete', async (request, extra) => {
    return sb.complete(request.params as never, { signal: extra.mcpReq.signal }).catch((error: unknown) => {
      throw failed(error);
    }) as never;
  });
  // The level is this session's filter of forwarded upstream logs; upstream servers are shared
  // by every session, so their own levels are left as the switchboard set them. Legacy only.
  server.setRequestHandler('logging/setLevel', async (request) => {
    session.logLevel = request.params.level;
    return {};
  });
}
