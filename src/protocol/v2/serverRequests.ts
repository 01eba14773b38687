import { type Client, ProtocolError, specTypeSchemas } from '@modelcontextprotocol/client';
import { DEFAULT_POLICY } from '../../config/schema.js';
import { runHandler, type Checkable, type RefusalErrors, type RequestShared } from '../handlerRun.js';
import type { HandlerContext, ServerRequestOptions } from '../handlers.js';
import { RequestGate } from '../requestGate.js';
import type { ElicitResult } from '../serverRequestTypes.js';
import type { Root } from '../types.js';

/**
 * Server → client requests of a modern session (DESIGN §15): in 2026-07-28 they arrive as
 * `input_required` results, and the v2 SDK (2.4.0) answers them through the same request handlers
 * a legacy client registers, then retries the original request by itself. Here those handlers run
 * the embedder's, through the same `runHandler` as the legacy era: the same context (`server`,
 * `signal`), the same per-server gate and deadline, the same result checks and error codes.
 */

/** The `data.by` of a refusal of our own handlers (see classify.ts). */
export const HANDLER_REFUSAL = 'mcp-switchboard/handler';

/** The v2 SDK's JSON-RPC errors; an embedder's own error with an integer `code` (a v1 `McpError`) keeps it. */
const V2_ERRORS: RefusalErrors = {
  refusal(code, message) {
    // Marked: in 2026-07-28 the refusal fails the tool call itself (no answer goes back to the
    // server), and it is the embedder's handler, not the server, that failed (classify.ts).
    const error = new ProtocolError(code, message, { by: HANDLER_REFUSAL });
    error.message = message;
    return error;
  },
  codeOf(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return error instanceof Error && typeof code === 'number' && Number.isInteger(code) ? code : undefined;
  },
};

const schema = (name: 'CreateMessageResult' | 'CreateMessageResultWithTools' | 'ElicitResult' | 'ListRootsResult'): Checkable =>
  specTypeSchemas[name] as unknown as Checkable;

type Ctx = { mcpReq: { id: string | number; signal: AbortSignal } };

/** Registers the handlers of the declared capabilities on a v2 Client that is not connected yet. */
export function installServerRequests(client: Client, options: ServerRequestOptions): void {
  const { handlers, capabilities } = options;
  const limits = options.limits ?? DEFAULT_POLICY.limits;
  const shared: RequestShared = {
    errors: V2_ERRORS,
    cancels: new Map(),
    gate: new RequestGate({ maxRunning: limits.maxServerRequests, maxQueued: limits.maxServerRequestQueue }),
    refusing: false,
    live: new Set(),
  };
  const on = (ctx: Ctx) => ({ signal: ctx.mcpReq.signal, requestId: ctx.mcpReq.id, shared });
  const sampling = handlers?.sampling;
  if (sampling && capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
      const params = request.params as Parameters<typeof sampling>[0];
      const check = params.tools || params.toolChoice ? schema('CreateMessageResultWithTools') : schema('CreateMessageResult');
      return (await runHandler('sampling', options, on(ctx as Ctx), (c) => sampling(params, c), check)) as never;
    });
  }
  const elicitation = handlers?.elicitation;
  if (elicitation && capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async (request, ctx) => {
      const given = request.params as { mode?: string };
      const params = { ...given, mode: given.mode ?? 'form' } as Parameters<typeof elicitation>[0];
      const result = (await runHandler('elicitation', options, on(ctx as Ctx), (c) => elicitation(params, c), schema('ElicitResult'))) as ElicitResult;
      // As in legacy: an accepted form without content still gets every default.
      if (params.mode === 'form' && result.action === 'accept' && result.content === undefined) return { ...result, content: {} } as never;
      return result as never;
    });
  }
  if (handlers?.roots && capabilities.roots) {
    const given = handlers.roots;
    client.setRequestHandler('roots/list', async (_request, ctx) => {
      const list = (c: HandlerContext) => options.roots() ?? (typeof given === 'function' ? given({ server: c.server }) : given);
      return (await runHandler('roots', options, on(ctx as Ctx), async (c) => ({ roots: await list(c) }), schema('ListRootsResult'))) as { roots: Root[] } as never;
    });
  }
}
