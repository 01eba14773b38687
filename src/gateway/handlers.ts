import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  ErrorCode,
  type CallToolResult,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallToolOptions } from '../switchboard/options.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import type { GatewayCatalog } from './catalog.js';
import { isUnknownTool, toMcpError, toolErrorResult, unknownTool } from './errors.js';
import { refusal, type GatewayRouter, type SendRequest } from './router.js';

/**
 * The request handlers of one downstream session (DESIGN §12): the switchboard's aggregated
 * catalog under qualified names, each request routed through the switchboard so it gets the
 * breaker, backpressure, deadlines and cancellation of any call.
 */

/** One downstream session: its SDK server and what it subscribed to. */
export interface GatewaySession {
  readonly server: Server;
  /** Resource uris this session subscribed to, with the switchboard's unsubscribe function. */
  readonly subscriptions: Map<string, () => Promise<void>>;
  /** The level the client set with `logging/setLevel`; upstream logs are forwarded only once it is set. */
  logLevel: LoggingLevel | undefined;
  /** True once the client sent `notifications/initialized`. */
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
  redact(text: string): string;
}

/** The downstream request's `_meta` without the progress token: the switchboard asks upstream with its own. */
function forwardedMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  const { progressToken: _token, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Registers every handler of the gateway on one session's server (before it connects). */
export function installHandlers(session: GatewaySession, ctx: HandlerContext): void {
  const { server } = session;
  const { sb, router, redact, catalog } = ctx;
  // Marks the request as running on its upstream server, so that server's sampling and
  // elicitation come back to this session.
  const during = async <T>(upstream: string | undefined, sendRequest: SendRequest, work: () => Promise<T>): Promise<T> => {
    const end = upstream === undefined ? () => undefined : router.begin(upstream, { session, sendRequest });
    try {
      return await work();
    } finally {
      end();
    }
  };
  const failed = (error: unknown) => toMcpError(error, redact);

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: catalog.toolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const tool = catalog.tool(name);
    if (!tool) throw unknownTool(name);
    const options: CallToolOptions = { server: tool.server, signal: extra.signal };
    const meta = forwardedMeta(request.params._meta);
    if (meta) options.meta = meta;
    const token = request.params._meta?.progressToken;
    if (token !== undefined) {
      options.onProgress = (progress) => {
        extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
      };
    }
    return during(tool.server, extra.sendRequest, async (): Promise<CallToolResult> => {
      try {
        return await sb.callTool(tool.name, request.params.arguments, options);
      } catch (error) {
        // Removed meanwhile (a reload between list and call): unknown, as if never listed.
        if (isUnknownTool(error)) throw unknownTool(name);
        return toolErrorResult(error, redact);
      }
    });
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: catalog.promptList() }));
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const prompt = catalog.prompt(name);
    if (!prompt) throw refusal(ErrorCode.InvalidParams, `Prompt ${name} not found`);
    const options = { server: prompt.server, signal: extra.signal, ...metaOption(request.params._meta) };
    return during(prompt.server, extra.sendRequest, () => sb.getPrompt(prompt.name, request.params.arguments, options)).catch((error: unknown) => {
      throw failed(error);
    });
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: catalog.resourceList() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: catalog.templateList() }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    // Known uris name their server; template reads are routed by the switchboard.
    const upstream = catalog.resourceOwner(uri);
    return during(upstream, extra.sendRequest, () => sb.readResource(uri, { signal: extra.signal, ...metaOption(request.params._meta) })).catch((error: unknown) => {
      throw failed(error);
    });
  });
  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    if (!session.subscriptions.has(uri)) {
      const unsubscribe = await sb.subscribeResource(uri, { signal: extra.signal }).catch((error: unknown) => {
        throw failed(error);
      });
      // Subscribed twice meanwhile: keep one switchboard subscription per session and uri.
      if (session.subscriptions.has(uri)) await unsubscribe();
      else session.subscriptions.set(uri, unsubscribe);
    }
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    const unsubscribe = session.subscriptions.get(request.params.uri);
    session.subscriptions.delete(request.params.uri);
    await unsubscribe?.().catch((error: unknown) => {
      throw failed(error);
    });
    return {};
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    return sb.complete(request.params, { signal: extra.signal }).catch((error: unknown) => {
      throw failed(error);
    });
  });
  // The level is this session's filter of forwarded upstream logs; upstream servers are shared
  // by every session, so their own levels are left as the switchboard set them.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    session.logLevel = request.params.level;
    return {};
  });
}

function metaOption(meta: Record<string, unknown> | undefined): { meta?: Record<string, unknown> } {
  const forwarded = forwardedMeta(meta);
  return forwarded ? { meta: forwarded } : {};
}
