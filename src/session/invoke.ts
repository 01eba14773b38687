import type { CallOutcome } from '../../machines/breakerModel.js';
import type { CallTable, PendingCall } from '../calls/index.js';
import type { RuntimeClock } from '../core/clock.js';
import type { Policy } from '../config/schema.js';
import { SwitchboardError } from '../core/errors.js';
import { injectCallContext, setCallEra } from '../traces/index.js';
import { headerSecrets } from '../calls/index.js';
import { redactText } from '../secrets/index.js';
import type { CallFailure, CallMethod, CallToolResult, Progress, ProtocolSession } from '../protocol/index.js';

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

/** The request of a call (a tool's `_meta` goes in the request options, with the call span's trace context). */
function requestOf(call: PendingCall): { method: CallMethod; params: Record<string, unknown> } {
  if (call.kind !== 'tool') {
    const params = call.params ?? {};
    const meta = params._meta as Record<string, unknown> | undefined;
    const traced = injectCallContext(call.span, meta);
    return { method: call.method as CallMethod, params: traced === meta ? params : { ...params, _meta: traced } };
  }
  return { method: 'tools/call', params: { name: call.tool, arguments: call.args ?? {} } };
}

/** A tool result without `content` gets [] (as the SDK's own schema defaults it). */
function withContent(result: CallToolResult): CallToolResult {
  return result.content === undefined ? { ...result, content: [] } : result;
}

/** How a call is named in messages. */
function subjectOf(call: PendingCall): string {
  return call.kind === 'tool' ? `tool "${call.tool}"` : `${call.method} "${call.tool}"`;
}

function aftermathOf(failure: CallFailure): Aftermath {
  if (failure.error.code === 'AuthRequired') return 'auth';
  if (failure.sessionExpired) return 'expired';
  return failure.suspectConnection || failure.error.code === 'ToolCallTimeout' ? 'suspect' : 'none';
}

/** Sends one admitted call; `done` runs exactly once, after the call settled (or was kept for replay). */
export function invoke(session: ProtocolSession, call: PendingCall, epoch: number, ports: InvokePorts, done: (settlement: Settlement) => void): void {
  call.attempts++;
  const startedAt = ports.clock.now();
  const { method, params } = requestOf(call);
  setCallEra(call.span, session.facts.era, session.facts.protocolVersion);
  const options = {
    signal: call.signal.asAbortSignal,
    // A progress token only where progress can matter (src/calls/progressPolicy.ts).
    onProgress: ports.calls.wantsProgress(call.requestId) ? (progress: Progress) => ports.calls.progress(call.requestId, progress) : undefined,
    meta: call.kind === 'tool' ? injectCallContext(call.span, call.meta) : undefined,
    task: call.task,
    headers: call.headers,
  };
  // One callback pair, no .finally: each extra promise is paid on every call.
  session.request(method, params, options).then(
    (result) => {
      ports.record(call.requestId, epoch, 'success', startedAt);
      ports.calls.resolve(call.requestId, call.kind === 'tool' ? withContent(result as CallToolResult) : result);
      done(SETTLED);
    },
    (error: unknown) => {
      const failure = session.failure(error, { abortCause: call.abortCause, server: ports.name, tool: call.tool, subject: subjectOf(call), kind: call.kind === 'tool' ? 'tool' : 'other' });
      ports.record(call.requestId, epoch, failure.outcome, startedAt);
      const message = maskHeaders(ports.redact(failure.error.message), call);
      const safe = message === failure.error.message ? failure.error : new SwitchboardError(failure.error.code, message, retryOptions(failure.error));
      const replay = shouldReplay(call, failure, ports);
      if (!replay) ports.calls.reject(call.requestId, safe);
      done({ replay: replay ? safe : null, aftermath: aftermathOf(failure) });
    },
  );
}

/** A call's own header values are secrets too (an HTTP server may echo one in its error). */
function maskHeaders(message: string, call: PendingCall): string {
  return call.headers === undefined ? message : redactText(message, headerSecrets(call.headers));
}

function retryOptions(error: SwitchboardError): { retryAfterMs?: number } {
  return error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
}
