import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallOutcome } from '../../machines/breakerModel.js';
import type { CallTable, PendingCall } from '../calls.js';
import type { RuntimeClock } from '../clock.js';
import type { Policy } from '../config/schema.js';
import { SwitchboardError } from '../errors.js';
import { classifyCallError, type CallFailure } from './classify.js';
import { NO_SDK_TIMEOUT } from './connect.js';
import { withCallSignal } from './fetchGuard.js';
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

/** How a failed call left the connection, for the session to act on. */
export type Aftermath = 'none' | 'expired' | 'suspect' | 'auth';

/** What happened to one call: settled, or kept for a replay after the reconnect. */
export interface Settlement {
  replay: SwitchboardError | null;
  aftermath: Aftermath;
}

/** A call cut off by the connection is sent again once: always when it never reached the tool, else only for safe tools. */
export function shouldReplay(call: PendingCall, failure: CallFailure, ports: Pick<InvokePorts, 'replay' | 'annotations'>): boolean {
  if (call.attempts >= 2 || call.abortCause || failure.error.code !== 'ConnectionLost') return false;
  if (failure.undispatched) return true;
  const hints = ports.annotations(call.tool);
  return ports.replay() === 'annotated' && (hints?.readOnlyHint === true || hints?.idempotentHint === true);
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
  const params: Record<string, unknown> = { name: call.tool, arguments: call.args ?? {} };
  if (call.meta) params._meta = call.meta;
  // One callback pair, no .finally: each extra promise is paid on every call.
  withCallSignal(call.signal, () =>
    client.request({ method: 'tools/call', params } as { method: 'tools/call'; params: { name: string } }, ToolResultSchema, {
      signal: call.signal.asAbortSignal,
      timeout: NO_SDK_TIMEOUT,
      onprogress: (progress) => ports.calls.progress(call.requestId, progress),
    }),
  ).then(
    (result) => {
      ports.record(call.requestId, epoch, 'success', startedAt);
      ports.calls.resolve(call.requestId, withContent(result));
      done({ replay: null, aftermath: 'none' });
    },
    (error: unknown) => {
      const failure = classifyCallError(error, call.abortCause, ports.name, call.tool);
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
