import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CancelledNotificationSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  McpError,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_POLICY } from '../../config/schema.js';
import type { HandlerContext, ServerRequestOptions } from '../handlers.js';
import type { CreateMessageResult, ElicitResult } from '../serverRequestTypes.js';
import type { Root } from '../types.js';
import { runHandler, type RefusalErrors, type RequestShared } from '../handlerRun.js';
import { RequestGate } from '../requestGate.js';

/**
 * Server → client requests (DESIGN §10): sampling, elicitation and roots are answered by handlers
 * the embedder gives. A capability is declared to a server only when its handler exists and the
 * server's config does not withhold it; a request the client did not declare has no handler, and
 * the SDK refuses it with "Method not found" (-32601). A handler that throws, returns a malformed
 * result or outlives its deadline answers that one request with a JSON-RPC error and is logged;
 * the session goes on. Every kind is bounded per server (a handler may be a paid model call): see
 * `ServerRequestHandlers`.
 */

export {
  clientCapabilities,
  type HandlerContext,
  type RequestClock,
  type ServerRequestHandlers,
  type ServerRequestLimits,
  type ServerRequestOptions,
  type WithheldCapabilities,
} from '../handlers.js';

/** The v1 SDK's JSON-RPC errors (its message without the "MCP error <code>: " prefix it adds). */
const V1_ERRORS: RefusalErrors = {
  refusal(code, message) {
    const error = new McpError(code, message);
    error.message = message;
    return error;
  },
  codeOf: (error) => (error instanceof McpError ? error.code : undefined),
};

/**
 * Registers the handlers of the declared capabilities on a Client that is not connected yet.
 * Each runs under `timeoutMs` on `clock` and the request's own signal, behind one gate for the
 * client's requests of every kind (`options.limits`).
 */
export function installServerRequests(client: Client, options: ServerRequestOptions): void {
  const { handlers, capabilities } = options;
  const limits = options.limits ?? DEFAULT_POLICY.limits;
  const shared: RequestShared = {
    errors: V1_ERRORS,
    cancels: new Map<RequestId, () => void>(),
    gate: new RequestGate({ maxRunning: limits.maxServerRequests, maxQueued: limits.maxServerRequestQueue }),
    refusing: false,
    live: new Set(),
  };
  const on = (extra: { signal: AbortSignal; requestId: RequestId }) => ({ signal: extra.signal, requestId: extra.requestId, shared });
  const sampling = handlers?.sampling;
  if (sampling && capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const params = request.params;
      // The SDK validates again after us with the same choice; ours is the one that is logged.
      const schema = params.tools || params.toolChoice ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema;
      return (await runHandler('sampling', options, on(extra), (ctx) => sampling(params, ctx), schema)) as CreateMessageResult;
    });
  }
  const elicitation = handlers?.elicitation;
  if (elicitation && capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      const params = { ...request.params, mode: request.params.mode ?? 'form' } as Parameters<typeof elicitation>[0];
      const result = (await runHandler('elicitation', options, on(extra), (ctx) => elicitation(params, ctx), ElicitResultSchema)) as ElicitResult;
      // The SDK fills in the schema's defaults (form.applyDefaults) only into content it is given:
      // an accepted form without content still gets every default.
      if (params.mode === 'form' && result.action === 'accept' && result.content === undefined) return { ...result, content: {} };
      return result;
    });
  }
  if (handlers?.roots && capabilities.roots) {
    const given = handlers.roots;
    client.setRequestHandler(ListRootsRequestSchema, async (_request, extra) => {
      const list = (ctx: HandlerContext) => options.roots() ?? (typeof given === 'function' ? given({ server: ctx.server }) : given);
      return (await runHandler('roots', options, on(extra), async (ctx) => ({ roots: await list(ctx) }), ListRootsResultSchema)) as { roots: Root[] };
    });
  }
  if (!capabilities.sampling && !capabilities.elicitation && !capabilities.roots) return;
  hearCancelsOfIdZero(client, shared.cancels);
  settleOnClose(client, shared.live);
}

/**
 * When the connection closes, every request still queued or running settles: the SDK aborts the
 * signals it knows, but keeps one per request id, so a server that reused an id would leave the
 * earlier request waiting in the queue. `onclose` is wrapped, not replaced: the session sets its
 * own before or after this.
 */
function settleOnClose(client: Client, live: Set<() => void>): void {
  let handler = client.onclose;
  const closed = () => {
    for (const settle of [...live]) settle();
    handler?.();
  };
  Object.defineProperty(client, 'onclose', {
    configurable: true,
    enumerable: true,
    get: () => closed,
    set: (next: (() => void) | undefined) => {
      handler = next;
    },
  });
}

/**
 * SDK 1.32 drops `notifications/cancelled` for request id 0 (a falsy check, typescript-sdk#2283),
 * and 0 is the id of a server's first request: its first sampling or elicitation could not be
 * cancelled. Our own handler aborts the request by id and then runs the SDK's, which still
 * stops the reply and aborts `extra.signal` for every other id.
 */
function hearCancelsOfIdZero(client: Client, cancels: Map<RequestId, () => void>): void {
  const handlers = (client as unknown as { _notificationHandlers?: Map<string, (notification: unknown) => Promise<void>> })._notificationHandlers;
  const sdkHandler = handlers?.get('notifications/cancelled');
  client.setNotificationHandler(CancelledNotificationSchema, async (notification) => {
    const id = notification.params.requestId;
    if (id !== undefined) cancels.get(id)?.();
    await sdkHandler?.(notification);
  });
}

/**
 * Tells the server its roots changed (`notifications/roots/list_changed`). Does nothing when the
 * client did not declare `roots.listChanged` or is not connected: a server that is not told now
 * lists the roots when it next connects.
 */
export async function notifyRootsChanged(client: Client): Promise<void> {
  try {
    await client.sendRootsListChanged();
  } catch {
    // Not connected, closed meanwhile, or roots not declared to this server.
  }
}
