import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { CallOutcome } from '../../machines/breakerModel.js';
import type { CallTable, PendingCall } from '../calls/index.js';
import type { RuntimeClock } from '../core/clock.js';
import type { Policy } from '../config/schema.js';
import { SwitchboardError } from '../core/errors.js';
import { classifyCallError, type CallFailure } from './classify.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { withCallSignal } from './fetchGuard.js';
import { CancelTaskResultSchema, CompleteResultSchema, EmptyResultSchema, GetPromptResultSchema, ReadResourceResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { ToolResultSchema, withContent } from './resultShape.js';

/**
 * Invocation and replay of one admitted call: send `tools/call`, settle it in the pending-call
 * table, record its outcome on the breaker, and decide whether a call cut off by the connection
 * is sent again after the reconnect (DESIGN §4: always when it provably never reached the tool,
 * else only for tools annotated read-only or idempotent under `replay: annotated`).
 */

/** What invocation needs from the rest of the session. */
export interface InvokePorts {
  name: string;
  calls: CallTable;
  clock: RuntimeClock;
  replay(): Policy['replay'];
  /** The tool's annotations from the server's one catalog. */
  annotations(tool: string): Record<string, unknown> | undefined;
  record(requestId: string, epoch: number, outcome: CallOutcome, startedAt: number): void;
  redact(text: string): string;
}

/** The settlement of every successful call (shared: nothing to allocate per call). */
const SETTLED: Settlement = Object.freeze({ replay: null, aftermath: 'none' });

/** How a failed call left the connection, for the session to act on. */
export type Aftermath = 'none' | 'expired' | 'suspect' | 'auth';

/** What happened to one call: settled, or kept for a replay after the reconnect. */
export interface Settlement {
  replay: SwitchboardError | null;
  aftermath: Aftermath;
}

/** A call cut off by the connection is sent again once: always when it never reached the server, else only for safe ones. */
export function shouldReplay(call: PendingCall, failure: CallFailure, ports: Pick<InvokePorts, 'replay' | 'annotations'>): boolean {
  if (call.attempts >= 2 || call.abortCause || failure.error.code !== 'ConnectionLost') return false;
  if (failure.undispatched) return true;
  if (ports.replay() !== 'annotated') return false;
  if (call.kind !== 'tool') return call.readOnly;
  const hints = ports.annotations(call.tool);
  return hints?.readOnlyHint === true || hints?.idempotentHint === true;
}

/** Result schemas of the requests other than tools/call (results pass through unchanged). */
const RESULT_SCHEMAS: Record<string, z.ZodType> = {
  'resources/read': ReadResourceResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
};

/** The JSON-RPC request of a call and the schema of its answer. */
function requestOf(call: PendingCall): { method: string; params: Record<string, unknown>; schema: z.ZodType } {
  if (call.kind !== 'tool') return { method: call.method!, params: call.params ?? {}, schema: RESULT_SCHEMAS[call.method!] ?? EmptyResultSchema };
  const params: Record<string, unknown> = { name: call.tool, arguments: call.args ?? {} };
  if (call.meta) params._meta = call.meta;
  return { method: 'tools/call', params, schema: ToolResultSchema };
}

/** How a call is named in messages. */
function subjectOf(call: PendingCall): string {
  return call.kind === 'tool' ? `tool "${call.tool}"` : `${call.method} "${call.tool}"`;
}

/**
 * A tool whose `execution.taskSupport` is `required` runs as a task: the SDK's request stream
 * creates it, polls it and yields its result; to the caller it is one call like any other.
 */
async function requestAsTask(client: Client, request: { method: string; params: Record<string, unknown> }, schema: z.ZodType, options: { signal: AbortSignal } & Record<string, unknown>): Promise<unknown> {
  type Message = { type: string; result?: unknown; error?: unknown; task?: { taskId?: string } };
  const stream = (client as unknown as { requestStream(r: unknown, s: z.ZodType, o: unknown): AsyncIterable<Message> }).requestStream(request, schema, { ...options, task: {} });
  let taskId: string | undefined;
  // The SDK only stops polling when the call is aborted; the task must be cancelled on the server.
  const cancel = () => {
    if (taskId === undefined) return;
    client.request({ method: 'tasks/cancel', params: { taskId } }, CancelTaskResultSchema, { timeout: NO_SDK_TIMEOUT }).catch(() => undefined);
  };
  options.signal.addEventListener('abort', cancel);
  try {
    for await (const message of stream) {
      if (message.type === 'taskCreated') taskId = message.task?.taskId;
      if (message.type === 'result') return message.result;
      if (message.type === 'error') throw message.error;
    }
    throw new Error('the task ended without a result');
  } finally {
    options.signal.removeEventListener('abort', cancel);
  }
}

function aftermathOf(failure: CallFailure): Aftermath {
  if (failure.error.code === 'AuthRequired') return 'auth';
  if (failure.sessionExpired) return 'expired';
  return failure.suspectConnection || failure.error.code === 'ToolCallTimeout' ? 'suspect' : 'none';
}

/** Sends one admitted call; `done` runs exactly once, after the call settled (or was kept for replay). */
export function invoke(client: Client, call: PendingCall, epoch: number, ports: InvokePorts, done: (settlement: Settlement) => void): void {
  call.attempts++;
  const startedAt = ports.clock.now();
  const { method, params, schema } = requestOf(call);
  const options = { signal: call.signal.asAbortSignal, timeout: NO_SDK_TIMEOUT, onprogress: (progress: Progress) => ports.calls.progress(call.requestId, progress) };
  // One callback pair, no .finally: each extra promise is paid on every call.
  withCallSignal(call.signal, () =>
    call.task ? requestAsTask(client, { method, params }, schema, options) : client.request({ method, params } as { method: 'tools/call'; params: { name: string } }, schema, options),
  ).then(
    (result) => {
      ports.record(call.requestId, epoch, 'success', startedAt);
      ports.calls.resolve(call.requestId, call.kind === 'tool' ? withContent(result as CallToolResult) : result);
      done(SETTLED);
    },
    (error: unknown) => {
      const failure = classifyCallError(error, call.abortCause, ports.name, call.tool, subjectOf(call), call.kind === 'tool' ? 'tool' : 'other');
      ports.record(call.requestId, epoch, failure.outcome, startedAt);
      const message = ports.redact(failure.error.message);
      const safe = message === failure.error.message ? failure.error : new SwitchboardError(failure.error.code, message, retryOptions(failure.error));
      const replay = shouldReplay(call, failure, ports);
      if (!replay) ports.calls.reject(call.requestId, safe);
      done({ replay: replay ? safe : null, aftermath: aftermathOf(failure) });
    },
  );
}

function retryOptions(error: SwitchboardError): { retryAfterMs?: number } {
  return error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
}
