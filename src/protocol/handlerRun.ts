import type { RequestGate } from './requestGate.js';
import type { HandlerContext, ServerRequestOptions } from './handlers.js';

/**
 * One server → client request from arrival to answer: it waits for a slot of the server's
 * `RequestGate`, runs the embedder's handler under the request's signal and deadline, and checks
 * the result. The deadline (`timeoutMs`) counts from arrival, so time spent queued is covered.
 */

export type Kind = 'sampling' | 'elicitation' | 'roots';

type RequestId = string | number;

/** JSON-RPC codes a refusal uses. */
const REQUEST_TIMEOUT = -32001;
const INTERNAL_ERROR = -32603;

/**
 * How one SDK spells a JSON-RPC error answer: each era's implementation passes its own (the v1
 * SDK's `McpError`, the v2 SDK's `ProtocolError`), so this file stays free of SDK classes.
 */
export interface RefusalErrors {
  /** The error a handler throws to answer with `code` and `message` (no "MCP error" prefix). */
  refusal(code: number, message: string): Error;
  /** The JSON-RPC code an embedder's own thrown error carries (an SDK error of that era), if any. */
  codeOf(error: unknown): number | undefined;
}

/** What one client's requests share: cancel hooks by id, the gate and whether it is refusing. */
export interface RequestShared {
  /** The SDK's error classes (see `RefusalErrors`). */
  errors: RefusalErrors;
  cancels: Map<RequestId, () => void>;
  gate: RequestGate;
  /** Set while requests are being refused, so a flood logs one warning, not one per request. */
  refusing: boolean;
  /** Settles every live request of this client (used when its connection closes). */
  live: Set<() => void>;
}

/** A safeParse-able schema (the SDK's zod schemas). */
export interface Checkable {
  safeParse(value: unknown): { success: boolean; error?: { issues?: { path: PropertyKey[]; message: string }[] } };
}

/** A message without the "MCP error -32603: " prefix that the SDKs' errors add to their own. */
function plainMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^MCP error -?\d+: /, '');
}

/** Zod issues in one line: `content.0.type: Invalid input; role: Required`. */
function issuesText(error: { issues?: { path: PropertyKey[]; message: string }[] } | undefined): string {
  const issues = error?.issues ?? [];
  if (issues.length === 0) return 'does not match the schema';
  return issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Logs without letting a throwing logger leave the server waiting for its answer. */
function safeLog(log: ServerRequestOptions['log'], level: string, message: string): void {
  try {
    log(level, message);
  } catch {
    // The answer matters more than the log line.
  }
}

/**
 * Runs one handler once the gate admits it. Settles as soon as the server cancels (the SDK sends
 * nothing for a cancelled request), the connection closes or the deadline passes, whatever the
 * handler does afterwards; settling frees the slot, so neither a timer, a listener nor a queue
 * entry outlives the request. A full queue refuses at once with -32603.
 */
export function runHandler(
  kind: Kind,
  options: ServerRequestOptions,
  request: { signal: AbortSignal; requestId: RequestId; shared: RequestShared },
  work: (ctx: HandlerContext) => unknown,
  result: Checkable,
): Promise<unknown> {
  const { signal: requestSignal, requestId, shared } = request;
  const { cancels, gate, errors } = shared;
  const refusal = (code: number, message: string) => errors.refusal(code, message);
  const { server, clock, timeoutMs, log } = options;
  const redact = options.redact ?? ((text: string) => text);
  const label = `${kind} handler for server "${server}"`;
  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    let settled = false;
    let started = false;
    let timer: unknown;
    const fail = (code: number, message: string, level: string) => {
      const text = redact(message);
      safeLog(log, level, `${label}: ${text}`);
      reject(refusal(code, text));
    };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      requestSignal.removeEventListener('abort', onCancel);
      if (cancels.get(requestId) === onCancel) cancels.delete(requestId);
      shared.live.delete(onCancel);
      leave?.();
      settle();
    };
    const onCancel = () => {
      controller.abort(new Error(`server "${server}" cancelled the ${kind} request or the connection closed`));
      finish(() => fail(REQUEST_TIMEOUT, `${kind} request cancelled by the server or closed with the connection`, 'debug'));
    };
    // Called by the gate, at once or when a slot frees; the handler itself runs a microtask later,
    // after this setup, and not at all when the request settled meanwhile.
    const start = () => {
      // Through a promise: a handler that throws synchronously is a failed request too.
      Promise.resolve()
        .then(() => {
          if (settled) return undefined;
          started = true;
          return work({ server, signal: controller.signal });
        })
        .then(
          (value) =>
            finish(() => {
              const checked = result.safeParse(value);
              if (checked.success) resolve(value);
              else fail(INTERNAL_ERROR, `${kind} handler returned an invalid result: ${issuesText(checked.error)}`, 'warning');
            }),
          (error: unknown) =>
            finish(() => {
              // An SDK error keeps its code: the embedder chose it (e.g. -1, user rejected sampling).
              const own = errors.codeOf(error);
              const code = own !== undefined && Number.isSafeInteger(own) ? own : INTERNAL_ERROR;
              fail(code, `${kind} handler failed: ${plainMessage(error)}`, 'warning');
            }),
        );
    };
    const leave = gate.enter(start);
    if (!leave) {
      const message = `too many concurrent server requests (${gate.running} running, ${gate.queued} queued)`;
      // One warning per flood: the log is an event stream the host reads, not a second flood.
      if (!shared.refusing) safeLog(log, 'warning', `${label}: ${message}; refusing more until the queue has room`);
      shared.refusing = true;
      settled = true;
      reject(refusal(INTERNAL_ERROR, message));
      return;
    }
    shared.refusing = false;
    // The deadline counts from arrival: time spent queued is part of it.
    timer = clock.setTimeout(() => {
      controller.abort(new Error(`${label} timed out after ${timeoutMs} ms`));
      const message = started
        ? `${kind} handler timed out after ${timeoutMs} ms`
        : `${kind} request timed out after ${timeoutMs} ms waiting for a handler slot (${gate.running} running, ${gate.queued} queued)`;
      finish(() => fail(REQUEST_TIMEOUT, message, 'warning'));
    }, timeoutMs);
    cancels.set(requestId, onCancel);
    shared.live.add(onCancel);
    if (requestSignal.aborted) onCancel();
    else requestSignal.addEventListener('abort', onCancel, { once: true });
  });
}
