import { headersProblem, type HeaderTarget } from './headers.js';
import { argumentsProblem } from './input.js';
import type { OpenCallOptions, PendingCalls } from './table.js';
import { CallOutbox } from './outbox.js';

/** A call as the facade hands it over: what to send (a tool, or another request of the surface). */
export type CallSpec = Pick<OpenCallOptions, 'kind' | 'tool' | 'unrouted' | 'args' | 'meta' | 'method' | 'params' | 'readOnly' | 'task'>;

/** The caller's options that shape a call's deadline and feedback. */
export interface CallShape {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: OpenCallOptions['onProgress'];
  /** Carried in the call's `call.completed` as `source` (CallToolOptions.source, RequestOptions.source). */
  source?: string | undefined;
  /** HTTP headers for this call's request only (http and sse servers; headers.ts). */
  headers?: Record<string, string> | undefined;
}

/** What the call path reads of a server: its deadlines and its message cap (a server record has them). */
export interface CallPolicies {
  get(server: string): { config: HeaderTarget & { timeouts: { callMs: number; maxCallMs: number }; limits: { maxMessageBytes: number } } } | undefined;
}

/**
 * The one path every call takes after routing: its arguments checked against the server's size
 * cap, its entry in the pending-call table (deadline from the server's timeouts) and its place in
 * the next `tool.call` burst.
 */
export class CallPath {
  private readonly outbox: CallOutbox;

  /** @param send hands a server's burst of request ids to the machines. */
  constructor(
    private readonly registry: CallPolicies,
    private readonly calls: PendingCalls,
    send: (server: string, requestIds: string[]) => void,
  ) {
    this.outbox = new CallOutbox(send, () => calls.size);
  }

  open<T>(server: string, call: CallSpec, options: CallShape): Promise<T> {
    const config = this.registry.get(server)!.config;
    const { timeouts, limits } = config;
    const problem = argumentsProblem(call.args, limits.maxMessageBytes) ?? (options.headers === undefined ? null : headersProblem(server, config, options.headers));
    if (problem) return Promise.reject(problem);
    // Fields named one by one: an object spread of the varied call shapes hit V8's slow clone path (measured: ~5% of an in-memory call).
    const { requestId, promise } = this.calls.open<T>({
      server,
      kind: call.kind,
      tool: call.tool,
      unrouted: call.unrouted,
      args: call.args,
      meta: call.meta,
      method: call.method,
      params: call.params,
      readOnly: call.readOnly,
      task: call.task,
      timeoutMs: Math.min(options.timeoutMs ?? timeouts.callMs, timeouts.maxCallMs),
      maxTimeoutMs: timeouts.maxCallMs,
      signal: options.signal,
      onProgress: options.onProgress,
      source: options.source,
      headers: options.headers,
    });
    this.outbox.push(server, requestId);
    return promise;
  }
}
