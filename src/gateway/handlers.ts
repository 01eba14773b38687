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
import { headersProblem } from '../calls/index.js';
import { toolFilter } from '../routing/index.js';
import { DEFAULT_GATEWAY_LIMITS } from '../config/index.js';
import type { CallToolOptions } from '../switchboard/options.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { isUnknownTool, toMcpError, toolErrorResult, unknownTool } from './errors.js';
import type { ListenFollows } from './follows.js';
import type { GatewayView } from './profiles.js';
import { Exchange, type ParkedExchanges, type Report } from './inputRequired.js';
import { downstreamResult } from './results.js';
import { CALL_TOOL, callToolTarget, callToolUnknown, SEARCH_TOOLS, searchTools } from './searchMode.js';
import { refusal, type DownstreamRequest, type GatewayRouter, type InputRequest } from './router.js';

/**
 * The request handlers of one downstream session (DESIGN §12, §15): the switchboard's aggregated
 * catalog under qualified names, each request routed through the switchboard so it gets the
 * breaker, backpressure, deadlines and cancellation of any call. The same handlers serve both
 * eras; they differ only in how an upstream's question reaches the client (`during`). A session
 * sees its view (every server, or a profile's subset): what is not in it is unknown to it.
 */

/** One downstream session: its SDK server, its era and what it subscribed to. */
export interface GatewaySession {
  readonly server: Server;
  /** `legacy`: 2025-11-25 (initialize, sessions); `modern`: 2026-07-28 (per-request `_meta`). */
  readonly era: 'legacy' | 'modern';
  /**
   * True when the session outlives its requests (stdio, in memory, a legacy HTTP session): a
   * modern call it parks is its own, and ends with it. False for a modern HTTP request's server.
   */
  readonly lasting: boolean;
  /** What it sees: every server, or one profile's subset. */
  readonly view: GatewayView;
  /** Its first list's wait for servers still connecting (`firstList.ts`); settled, later lists answer at once. */
  firstList?: Promise<unknown>;
  /** Resource uris this session subscribed to, with the switchboard's unsubscribe function. */
  readonly subscriptions: Map<string, () => Promise<void>>;
  /** The uris its connection's `subscriptions/listen` streams follow (modern stdio, in memory). */
  readonly follows?: ListenFollows | undefined;
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
  /** Modern calls waiting for their client's answers, shared by every session. */
  parked: ParkedExchanges;
  redact(text: string): string;
  /** Resolves when this session's list may be answered: its first one waits for servers still connecting. */
  firstList(signal: AbortSignal): Promise<unknown>;
  /**
   * Waits, as a first list does, for the server a tool or prompt `name` not known yet belongs to
   * (its `server__` prefix) while that server is starting; resolves true when it waited (the
   * catalog is then rebuilt). At once false when that server is not starting or not in the view.
   */
  starting(kind: 'tool' | 'prompt', name: string, signal: AbortSignal): Promise<boolean>;
}

/** The SDK's longest timer: a request to a person is bounded by the upstream's signal instead. */
const NO_TIMEOUT = 2_147_483_647;

/**
 * `gateway.forwardHeaders`: the downstream HTTP request's headers named there (names or globs,
 * case-insensitive) as the upstream call's `headers`, when the upstream is an http or sse server.
 * Names the transport owns or hop-by-hop ones are never forwarded; over stdio there is no request.
 */
function forwardedHeaders(sb: Switchboard, extra: ServerContext, server: string | undefined): { headers?: Record<string, string> } {
  const names = sb.gatewayConfig?.forwardHeaders ?? [];
  const request = extra.http?.req;
  if (names.length === 0 || !request || server === undefined) return {};
  const transport = sb.getServer(server)?.transport;
  if (transport !== 'http' && transport !== 'sse') return {};
  const lowered = names.map((n) => n.toLowerCase());
  const wanted = toolFilter({ allow: lowered });
  const headers: Record<string, string> = {};
  let any = false;
  request.headers.forEach((value, name) => {
    // Headers lowercases names; a name the call path would refuse (owned, hop-by-hop) is left out.
    if (!wanted(name) || headersProblem(server, { transport }, { [name]: value }) !== null) return;
    // A credential is forwarded only when named: under `serve` the downstream Authorization is the
    // gateway's own bearer token, which a glob like "*" must not hand to every upstream.
    if (CREDENTIALS.has(name) && !lowered.includes(name)) return;
    headers[name] = value;
    any = true;
  });
  return any ? { headers } : {};
}

/** Headers that carry a client's credentials: forwarded only when `gateway.forwardHeaders` names them exactly. */
const CREDENTIALS = new Set(['authorization', 'x-api-key', 'api-key']);

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

/** Where upstream progress goes on one downstream request: its notify, under its own progress token (none: dropped). */
function reporterOf(request: ServerContext): Report | undefined {
  const token = request.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  return (progress) => request.mcpReq.notify({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
}

/** What a call names, as a retry must name it again: the tool, prompt or uri with its arguments (keys sorted). */
function callKey(name: string, args: unknown): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]));
  };
  return JSON.stringify([name, sorted(args ?? null)]);
}

/** Registers every handler of the gateway on one session's server (before it connects). */
export function installHandlers(session: GatewaySession, ctx: HandlerContext): void {
  const { server } = session;
  const { sb, router, redact, parked } = ctx;
  // Shared by every session of the view and rebuilt only when it changes.
  const { catalog } = session.view;
  const scoped = session.view.profile !== undefined;
  const failed = (error: unknown) => toMcpError(error, redact);
  /** An upstream's result as the gateway's own, for this session's era, capped at `gateway.maxResultChars` (read per result: a reload may change it). */
  const own = <T>(result: T): T => downstreamResult(result, session.era, sb.gatewayConfig?.maxResultChars ?? DEFAULT_GATEWAY_LIMITS.maxResultChars);
  /** A parked call belongs to a session that outlives its requests; a modern HTTP request's is nobody's. */
  const owner = session.lasting ? session : undefined;

  /**
   * Runs `work` as a request on its upstream server, so that server's sampling, elicitation and
   * roots come back to this request's client: as requests on its stream (legacy), or as
   * `input_required` rounds of an exchange that outlives this request (modern). `call` names what
   * the request asks for (`callKey`); `work` sends progress with its `report`, to the request of
   * the round that is running.
   */
  const during = async <T>(request: ServerContext, upstream: string | undefined, call: string, work: (signal: AbortSignal, report: Report) => Promise<T>): Promise<T> => {
    if (session.era === 'legacy' || upstream === undefined) {
      const downstream: DownstreamRequest = {
        session,
        ask: (input: InputRequest, signal: AbortSignal) => request.mcpReq.send(input as never, { signal, timeout: NO_TIMEOUT }),
        capabilities: () => server.getClientCapabilities(),
      };
      const end = upstream === undefined ? () => undefined : router.begin(upstream, downstream);
      const report = reporterOf(request) ?? (() => Promise.resolve());
      try {
        return await work(request.mcpReq.signal, report);
      } finally {
        end();
      }
    }
    return (await modernRound(request, upstream, call, work)) as T;
  };

  /** One round of a modern call: start or resume its exchange, answer the result or `input_required`. */
  const modernRound = async <T>(request: ServerContext, upstream: string, call: string, work: (signal: AbortSignal, report: Report) => Promise<T>) => {
    const state = request.mcpReq.requestState();
    let capabilities = declared(request);
    let exchange: Exchange<unknown>;
    if (typeof state === 'string') {
      exchange = parked.take(state, request.mcpReq.method, call, owner);
      exchange.answer(request.mcpReq.inputResponses);
    } else {
      const fresh = new Exchange<unknown>(request.mcpReq.method, call);
      const downstream: DownstreamRequest = {
        session,
        ask: (input, signal) => {
          if (!parked.hasRoom()) throw refusal(ProtocolErrorCode.InvalidRequest, `${input.method} refused: too many calls are waiting for their clients' answers (gateway.maxSessions)`);
          return fresh.ask(input, signal);
        },
        capabilities: () => capabilities,
      };
      fresh.start((signal) => work(signal, (progress) => fresh.report(progress)), router.begin(upstream, downstream));
      exchange = fresh;
    }
    // Progress goes to this round's request from now on; an earlier round's has been answered.
    const reporter = reporterOf(request);
    exchange.reporter = reporter;
    // The retry's capabilities are the ones the next question is checked against.
    capabilities = declared(request) ?? capabilities;
    // This round's request cancelled (its stream closed, notifications/cancelled): the whole call is.
    const onAbort = () => exchange.abort('the client cancelled the request');
    request.mcpReq.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const round = await exchange.next(() => parked.park(exchange, owner));
      return round.kind === 'done' ? (round.value as T) : round.result;
    } finally {
      request.mcpReq.signal.removeEventListener('abort', onAbort);
      // Answered (or parked): until a retry takes it, the upstream's progress has nowhere to go.
      if (exchange.reporter === reporter) exchange.reporter = undefined;
    }
  };

  server.setRequestHandler('tools/list', async (_request, extra) => {
    await ctx.firstList(extra.mcpReq.signal);
    return { tools: session.view.listTools() };
  });

  /** One exposed tool called by its qualified name: directly, or through search mode's `call_tool` (`unknown` answers a name not exposed). */
  const callTool = async (name: string, args: Record<string, unknown> | undefined, extra: ServerContext, unknown: (name: string) => CallToolResult): Promise<CallToolResult> => {
    // A host may call a tool it knows before its server has connected: wait for that server as a first list does.
    let tool = catalog.tool(name);
    if (!tool && (await ctx.starting('tool', name, extra.mcpReq.signal))) tool = catalog.tool(name);
    if (!tool) return unknown(name);
    // The call asked for progress: the upstream is asked for it (each round's request has its own token).
    const wantsProgress = extra.mcpReq._meta?.progressToken !== undefined;
    const meta = forwardedMeta(extra.mcpReq._meta as Record<string, unknown> | undefined);
    return during(extra, tool.server, callKey(name, args), async (signal, report): Promise<CallToolResult> => {
      const options: CallToolOptions = { server: tool.server, signal, ...forwardedHeaders(sb, extra, tool.server) };
      if (meta) options.meta = meta;
      // The last progress sent: the result waits for it, or the SDK's asynchronous notification
      // path could put the result on the wire first and the client would drop the late progress.
      let progressSent: Promise<unknown> = Promise.resolve();
      if (wantsProgress) {
        options.onProgress = (progress) => {
          progressSent = report(progress);
        };
      }
      try {
        const result = own((await sb.callTool(tool.name, args, options)) as CallToolResult);
        await progressSent;
        return result;
      } catch (error) {
        // Removed meanwhile (a reload between list and call): unknown, as if never listed.
        if (isUnknownTool(error)) return unknown(name);
        return toolErrorResult(error, redact) as CallToolResult;
      }
    });
  };
  const throwUnknown = (name: string): never => {
    throw unknownTool(name);
  };

  server.setRequestHandler('tools/call', async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments;
    // Search mode (DESIGN §17): the gateway's own two tools; every exposed tool stays callable by its name.
    if (session.view.catalogMode().mode === 'search') {
      if (name === SEARCH_TOOLS) {
        return searchTools(sb, args, (tool) => session.view.hasServer(tool.server) && catalog.tool(tool.qualifiedName) !== undefined, extra.mcpReq.signal).then(own, (error: unknown) => toolErrorResult(error, redact) as CallToolResult);
      }
      if (name === CALL_TOOL) {
        const target = callToolTarget(args);
        if ('refusal' in target) return target.refusal;
        return callTool(target.name, target.arguments, extra, callToolUnknown);
      }
    }
    return callTool(name, args, extra, throwUnknown);
  });

  server.setRequestHandler('prompts/list', async (_request, extra) => {
    await ctx.firstList(extra.mcpReq.signal);
    return { prompts: catalog.promptList() };
  });
  server.setRequestHandler('prompts/get', async (request, extra) => {
    const { name } = request.params;
    let prompt = catalog.prompt(name);
    if (!prompt && (await ctx.starting('prompt', name, extra.mcpReq.signal))) prompt = catalog.prompt(name);
    if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name} not found`);
    const meta = metaOption(extra.mcpReq._meta as Record<string, unknown> | undefined);
    // `own` inside the work: a modern round's input_required answer is the gateway's, and stays as it is.
    return during(extra, prompt.server, callKey(name, request.params.arguments), (signal) => sb.getPrompt(prompt.name, request.params.arguments, { server: prompt.server, signal, ...meta, ...forwardedHeaders(sb, extra, prompt.server) }).then(own)).catch((error: unknown) => {
      throw failed(error);
    }) as never;
  });

  server.setRequestHandler('resources/list', async (_request, extra) => {
    await ctx.firstList(extra.mcpReq.signal);
    return { resources: catalog.resourceList() };
  });
  server.setRequestHandler('resources/templates/list', async (_request, extra) => {
    await ctx.firstList(extra.mcpReq.signal);
    return { resourceTemplates: catalog.templateList() };
  });
  server.setRequestHandler('resources/read', async (request, extra) => {
    const { uri } = request.params;
    // A profile reads only from its servers; elsewhere known uris name their server and template
    // reads are routed by the switchboard.
    let routed: string | undefined;
    try {
      routed = catalog.resourceServer(uri);
    } catch (error) {
      throw failed(error);
    }
    const upstream = routed ?? catalog.resourceOwner(uri);
    const meta = metaOption(extra.mcpReq._meta as Record<string, unknown> | undefined);
    const options = routed === undefined ? meta : { ...meta, server: routed };
    return during(extra, upstream, callKey(uri, undefined), (signal) => sb.readResource(uri, { signal, ...options, ...forwardedHeaders(sb, extra, upstream) }).then(own)).catch((error: unknown) => {
      throw failed(error);
    }) as never;
  });
  // Legacy only: in 2026-07-28 a client names the uris it follows in `subscriptions/listen`.
  server.setRequestHandler('resources/subscribe', async (request, extra) => {
    const { uri } = request.params;
    if (!session.subscriptions.has(uri)) {
      const unsubscribe = await session.view.subscribe(uri, { signal: extra.mcpReq.signal }).catch((error: unknown) => {
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
    // A profile completes only its own prompts and templates.
    let server: string | undefined;
    if (scoped) {
      const { ref } = request.params;
      if (ref.type === 'ref/prompt') {
        const prompt = catalog.prompt(ref.name);
        if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${ref.name} not found`);
        server = prompt.server;
      } else {
        try {
          server = catalog.templateServer(ref.uri);
        } catch (error) {
          throw failed(error);
        }
      }
    }
    const options = server === undefined ? { signal: extra.mcpReq.signal } : { signal: extra.mcpReq.signal, server };
    return sb.complete(request.params as never, options).then(own, (error: unknown) => {
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
