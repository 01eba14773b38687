import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CancelledNotificationSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  McpError,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type RequestId,
  type Root,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * Server → client requests (DESIGN §10): sampling, elicitation and roots are answered by handlers
 * the embedder gives. A capability is declared to a server only when its handler exists and the
 * server's config does not withhold it; a request the client did not declare has no handler, and
 * the SDK refuses it with "Method not found" (-32601). A handler that throws, returns a malformed
 * result or outlives its deadline answers that one request with a JSON-RPC error and is logged;
 * the session goes on.
 */

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
 */
export interface ServerRequestHandlers {
  /** `sampling/createMessage`: run the model the server asks for. */
  sampling?: (params: CreateMessageRequest['params'], ctx: HandlerContext) => Promise<CreateMessageResult>;
  /**
   * `elicitation/create`, form mode (`params.mode === 'form'`, always set) or URL mode
   * (`'url'`): ask the user. Accepted form content is completed with the schema's defaults.
   */
  elicitation?: (params: ElicitRequest['params'], ctx: HandlerContext) => Promise<ElicitResult>;
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
export function clientCapabilities(handlers: ServerRequestHandlers | undefined, withheld: WithheldCapabilities | undefined): ClientCapabilities {
  const capabilities: ClientCapabilities = {};
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
  capabilities: ClientCapabilities;
  /** Deadline of one handler (the server's `timeouts.callMs`). */
  timeoutMs: number;
  clock: RequestClock;
  log(level: string, message: string): void;
  /** The live roots (set by `setRoots`); `undefined` falls back to `handlers.roots`. */
  roots(): Root[] | Promise<Root[]> | undefined;
  /** Masks secrets in messages sent to the server and logged. Defaults to none. */
  redact?(text: string): string;
}

type Kind = 'sampling' | 'elicitation' | 'roots';

/** A message without the "MCP error -32603: " prefix that `McpError` adds to its own. */
function plainMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^MCP error -?\d+: /, '');
}

/**
 * The JSON-RPC error for one refused request. Its message goes on the wire as it is: without the
 * "MCP error <code>: " prefix `McpError` puts in front, which the server's SDK adds again.
 */
function refusal(code: number, message: string): McpError {
  const error = new McpError(code, message);
  error.message = message;
  return error;
}

/** Zod issues in one line: `content.0.type: Invalid input; role: Required`. */
function issuesText(error: { issues?: { path: PropertyKey[]; message: string }[] } | undefined): string {
  const issues = error?.issues ?? [];
  if (issues.length === 0) return 'does not match the schema';
  return issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** A safeParse-able schema (the SDK's zod schemas). */
interface Checkable {
  safeParse(value: unknown): { success: boolean; error?: { issues?: { path: PropertyKey[]; message: string }[] } };
}

/**
 * Runs one handler under the request's signal and the deadline. Settles as soon as the server
 * cancels (the SDK sends nothing for a cancelled request) or the deadline passes, whatever the
 * handler does afterwards, so neither a timer nor a listener outlives the request.
 */
function runHandler(
  kind: Kind,
  options: ServerRequestOptions,
  request: { signal: AbortSignal; requestId: RequestId; cancels: Map<RequestId, () => void> },
  work: (ctx: HandlerContext) => unknown,
  result: Checkable,
): Promise<unknown> {
  const { signal: requestSignal, requestId, cancels } = request;
  const { server, clock, timeoutMs, log } = options;
  const redact = options.redact ?? ((text: string) => text);
  const controller = new AbortController();
  const label = `${kind} handler for server "${server}"`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (code: number, message: string, level: string) => {
      const text = redact(message);
      try {
        log(level, `${label}: ${text}`);
      } catch {
        // A throwing logger must not leave the server waiting for its answer.
      }
      reject(refusal(code, text));
    };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      requestSignal.removeEventListener('abort', onCancel);
      if (cancels.get(requestId) === onCancel) cancels.delete(requestId);
      settle();
    };
    const onCancel = () => {
      controller.abort(new Error(`server "${server}" cancelled the ${kind} request or the connection closed`));
      finish(() => fail(ErrorCode.RequestTimeout, `${kind} request cancelled by the server or closed with the connection`, 'debug'));
    };
    const timer = clock.setTimeout(() => {
      controller.abort(new Error(`${label} timed out after ${timeoutMs} ms`));
      finish(() => fail(ErrorCode.RequestTimeout, `${kind} handler timed out after ${timeoutMs} ms`, 'warning'));
    }, timeoutMs);
    cancels.set(requestId, onCancel);
    if (requestSignal.aborted) onCancel();
    else requestSignal.addEventListener('abort', onCancel, { once: true });
    // Through a promise: a handler that throws synchronously is a failed request too.
    Promise.resolve()
      .then(() => work({ server, signal: controller.signal }))
      .then(
        (value) =>
          finish(() => {
            const checked = result.safeParse(value);
            if (checked.success) resolve(value);
            else fail(ErrorCode.InternalError, `${kind} handler returned an invalid result: ${issuesText(checked.error)}`, 'warning');
          }),
        (error: unknown) =>
          finish(() => {
            // An McpError keeps its code: the embedder chose it (e.g. -1, user rejected sampling).
            const code = error instanceof McpError && Number.isSafeInteger(error.code) ? error.code : ErrorCode.InternalError;
            fail(code, `${kind} handler failed: ${plainMessage(error)}`, 'warning');
          }),
      );
  });
}

/**
 * Registers the handlers of the declared capabilities on a Client that is not connected yet.
 * Each runs under `timeoutMs` on `clock` and the request's own signal.
 */
export function installServerRequests(client: Client, options: ServerRequestOptions): void {
  const { handlers, capabilities } = options;
  const cancels = new Map<RequestId, () => void>();
  const on = (extra: { signal: AbortSignal; requestId: RequestId }) => ({ signal: extra.signal, requestId: extra.requestId, cancels });
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
      const params = { ...request.params, mode: request.params.mode ?? 'form' } as ElicitRequest['params'];
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
  if (capabilities.sampling || capabilities.elicitation || capabilities.roots) hearCancelsOfIdZero(client, cancels);
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
