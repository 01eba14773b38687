import type { CallToolResult, Progress } from '../protocol/index.js';
import type { RuntimeClock } from '../core/clock.js';
import { DeadlineQueue } from './deadlines.js';
import { ProgressPolicy } from './progressPolicy.js';
import { SwitchboardError } from '../core/errors.js';
import type { Span } from '@opentelemetry/api';
import { endCallSpan, startCallSpan } from '../traces/index.js';

/**
 * The pending-call table: calls travel through the machines as `tool.call { requestId }` events,
 * and their arguments, deadline and promise wait here, so results never go back through events
 * and no argument is ever copied into inspected context.
 */

export { CallSignal } from './signal.js';
import { CallSignal } from './signal.js';
import { sharedAborts } from '../core/abortFanout.js';

/** Why the switchboard aborted a call's signal. */
export type AbortCause = 'timeout' | 'cancelled' | 'stopped';

/** One call between `callTool()` and its settlement. */
export interface PendingCall {
  readonly requestId: string;
  readonly server: string;
  /** What is called: a tool (`tools/call`) or another request (`method` with `params`). */
  readonly kind: CallKind;
  /** The tool's name, or what the request is about (a uri, a prompt name, a level). */
  readonly tool: string;
  /**
   * The tool name as the caller gave it (`server__tool`, or a name with `{ server }`) when its
   * server had not listed its catalog yet: routed against the catalog (`CallTable.route`) when the
   * call is about to be sent; undefined for a routed call.
   */
  readonly unrouted: string | undefined;
  readonly args: Record<string, unknown> | undefined;
  readonly meta: Record<string, unknown> | undefined;
  /** For kinds other than `tool`: the JSON-RPC method and params sent. */
  readonly method: string | undefined;
  readonly params: Record<string, unknown> | undefined;
  /** Safe to send again after a reconnect (reads); tools decide by their annotations. */
  readonly readOnly: boolean;
  /** Called as a task (a tool whose `execution.taskSupport` is `required`). */
  readonly task: boolean;
  /** HTTP headers for this call's request only (checked: headers.ts); their values are secrets. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly startedAt: number;
  /** When the call times out (progress moves it, up to `timeouts.maxCallMs`), on the runtime clock. */
  readonly deadline: number;
  /** Aborted on deadline, caller cancel or stop; passed to the SDK so it sends `notifications/cancelled`. */
  readonly signal: CallSignal;
  abortCause: AbortCause | null;
  /** Times the call was sent to a server (a replay after reconnect sends it twice). */
  attempts: number;
  /** The call's trace span (src/traces): non-recording unless the host registered an OpenTelemetry SDK. */
  readonly span: Span;
}

/** What a call is: a tool call, or a request of the rest of the MCP surface. */
export type CallKind = 'tool' | 'resource' | 'prompt' | 'completion' | 'logging' | 'subscription';

/** What a finished call reports (`call.completed`). */
export interface CallCompleted {
  type: 'call.completed';
  server: string;
  kind: CallKind;
  /** The tool's name, or what the request was about (uri, prompt name, level). */
  tool: string;
  requestId: string;
  durationMs: number;
  ok: boolean;
  /** The tool answered with `isError: true` (a successful call whose tool failed). */
  isError?: boolean;
  errorCode?: string;
  /** Where the call came from, as its caller labelled it (`source` of the call's options); absent when not given. */
  source?: string;
}

interface Entry extends PendingCall {
  tool: string;
  unrouted: string | undefined;
  task: boolean;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  deadline: number;
  hardDeadline: number;
  timeoutMs: number;
  onProgress: ((progress: Progress) => void) | undefined;
  /** The last `progress` value passed on (−Infinity before the first). */
  lastProgress: number;
  detach: () => void;
  source: string | undefined;
}

export interface OpenCallOptions {
  server: string;
  /** Defaults to `tool`. */
  kind?: CallKind;
  tool: string;
  /** See `PendingCall.unrouted`. Defaults to none (routed). */
  unrouted?: string | undefined;
  args: Record<string, unknown> | undefined;
  meta: Record<string, unknown> | undefined;
  method?: string;
  params?: Record<string, unknown>;
  /** Defaults to false (true for every kind but tools is the caller's to say). */
  readOnly?: boolean;
  task?: boolean;
  /** See `PendingCall.headers`. Defaults to none. */
  headers?: Readonly<Record<string, string>> | undefined;
  timeoutMs: number;
  maxTimeoutMs: number;
  signal: AbortSignal | undefined;
  onProgress: ((progress: Progress) => void) | undefined;
  /** A label carried in the call's `call.completed` as `source`; never sent to the server. Defaults to none. */
  source?: string | undefined;
}

/** The narrow view of the table that a session uses: look up, settle, report progress. */
export interface CallTable {
  get(requestId: string): PendingCall | undefined;
  resolve(requestId: string, result: unknown): void;
  reject(requestId: string, error: SwitchboardError): void;
  progress(requestId: string, progress: Progress): void;
  /** Settles the route of an `unrouted` call: the tool as its server knows it, and whether it runs as a task. */
  route(requestId: string, tool: string, task: boolean): void;
  /** Whether the call's request carries a progress token (progressPolicy.ts); false once it settled. */
  wantsProgress(requestId: string): boolean;
}

/** Shared by every call without a caller signal (one closure fewer per call). */
const NOTHING_TO_DETACH = (): void => undefined;

export class PendingCalls implements CallTable {
  private readonly entries = new Map<string, Entry>();
  private sequence = 0;
  /** Who waits for a server's last pending call to settle (reload, before a restart). */
  private readonly idleWaiters = new Map<string, Set<() => void>>();
  private readonly deadlines: DeadlineQueue;
  /** Which tool calls carry a progress token, learned from how each tool's calls settle. */
  private readonly progressPolicy = new ProgressPolicy();

  /**
   * @param onCompleted receives `call.completed`.
   * @param wantsCompleted whether anyone listens; without listeners the event is never built.
   */
  constructor(
    private readonly clock: RuntimeClock,
    private readonly onCompleted: (event: CallCompleted) => void,
    private readonly wantsCompleted: () => boolean = () => true,
  ) {
    this.deadlines = new DeadlineQueue(
      clock,
      (requestId, now) => {
        const entry = this.entries.get(requestId);
        return entry !== undefined && entry.deadline <= now;
      },
      (requestId) => this.expire(requestId),
      () => this.entries.size,
    );
  }

  get size(): number {
    return this.entries.size;
  }

  /** Registers a call and arms its deadline; the promise settles exactly once. */
  open<T = CallToolResult>(options: OpenCallOptions): { requestId: string; promise: Promise<T> } {
    const requestId = `c${++this.sequence}`;
    const now = this.clock.now();
    let resolve!: (r: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res as (r: unknown) => void;
      reject = rej;
    });
    const entry: Entry = {
      requestId,
      server: options.server,
      kind: options.kind ?? 'tool',
      tool: options.tool,
      unrouted: options.unrouted,
      args: options.args,
      meta: options.meta,
      method: options.method,
      params: options.params,
      readOnly: options.readOnly ?? false,
      task: options.task ?? false,
      headers: options.headers,
      startedAt: now,
      signal: new CallSignal(),
      abortCause: null,
      attempts: 0,
      resolve,
      reject,
      timeoutMs: options.timeoutMs,
      deadline: now + options.timeoutMs,
      hardDeadline: now + Math.max(options.timeoutMs, options.maxTimeoutMs),
      onProgress: options.onProgress,
      lastProgress: -Infinity,
      detach: NOTHING_TO_DETACH,
      source: options.source,
      span: startCallSpan(options, options.kind === undefined || options.kind === 'tool' ? options.meta : (options.params?._meta as Record<string, unknown> | undefined)),
    };
    this.entries.set(requestId, entry);
    this.deadlines.add(requestId, entry.deadline);
    // One listener per caller signal, however many calls share it (abortFanout.ts).
    if (options.signal) entry.detach = sharedAborts.join(options.signal, () => this.cancel(requestId));
    return { requestId, promise };
  }

  /** The live call, or undefined once it settled. */
  get(requestId: string): PendingCall | undefined {
    return this.entries.get(requestId);
  }

  /**
   * Progress extends the deadline by the call's timeout, up to its hard cap. The caller sees only
   * progress above the last it saw (no duplicates, no steps back, also when a replay starts over).
   */
  progress(requestId: string, progress: Progress): void {
    const entry = this.entries.get(requestId);
    if (!entry) return;
    const now = this.clock.now();
    const next = Math.min(now + entry.timeoutMs, entry.hardDeadline);
    if (next > entry.deadline) {
      entry.deadline = next;
      this.deadlines.add(requestId, next);
    }
    if (entry.kind === 'tool') this.progressPolicy.progressed(entry.server, entry.tool);
    if (!(progress.progress > entry.lastProgress)) return;
    entry.lastProgress = progress.progress;
    try {
      entry.onProgress?.(progress);
    } catch {
      // A throwing progress callback belongs to the caller; it must not break the call.
    }
  }

  route(requestId: string, tool: string, task: boolean): void {
    const entry = this.entries.get(requestId);
    if (!entry) return;
    entry.tool = tool;
    entry.task = task;
    entry.unrouted = undefined;
  }

  wantsProgress(requestId: string): boolean {
    const entry = this.entries.get(requestId);
    if (!entry) return false;
    return entry.onProgress !== undefined || entry.kind !== 'tool' || this.progressPolicy.wants(entry.server, entry.tool);
  }

  resolve(requestId: string, result: unknown): void {
    const entry = this.take(requestId);
    if (!entry) return;
    if (entry.kind === 'tool') this.progressPolicy.settled(entry.server, entry.tool, this.clock.now() - entry.startedAt, entry.timeoutMs, entry.lastProgress !== -Infinity);
    // Settle first: a listener of call.completed can never keep the caller waiting.
    entry.resolve(result);
    const isError = (result as { isError?: unknown } | null)?.isError === true;
    endCallSpan(entry.span, { ok: true, isError });
    if (this.wantsCompleted()) this.report(entry, { ok: true, isError });
  }

  reject(requestId: string, error: SwitchboardError): void {
    const entry = this.take(requestId);
    if (!entry) return;
    if (entry.kind === 'tool') this.progressPolicy.failed(entry.server, entry.tool, this.clock.now() - entry.startedAt, entry.timeoutMs);
    entry.reject(error);
    endCallSpan(entry.span, { ok: false, errorCode: error.code });
    if (this.wantsCompleted()) this.report(entry, { ok: false, errorCode: error.code });
  }

  /** The caller aborted: reject with Cancelled now and abort the request (the server gets a cancel). */
  cancel(requestId: string): void {
    this.abort(requestId, 'cancelled', new SwitchboardError('Cancelled', 'the call was cancelled by the caller'));
  }

  /**
   * Resolves once no call of `server` is pending, or after `ms` on the runtime clock; then the
   * calls still pending are rejected with `error()`. Used before a server is stopped on purpose.
   */
  settleServer(server: string, ms: number, error: () => SwitchboardError): Promise<void> {
    const pending = () => [...this.entries.values()].filter((e) => e.server === server);
    if (pending().length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiters = this.idleWaiters.get(server) ?? new Set<() => void>();
      this.idleWaiters.set(server, waiters);
      const done = () => {
        this.clock.clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.idleWaiters.delete(server);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        for (const entry of pending()) this.abort(entry.requestId, 'stopped', error());
        done();
      }, ms);
      waiters.add(done);
    });
  }

  /** Rejects every pending call with `error` (used by stop()). */
  rejectAll(cause: AbortCause, error: () => SwitchboardError): void {
    for (const requestId of [...this.entries.keys()]) this.abort(requestId, cause, error());
  }

  private abort(requestId: string, cause: AbortCause, error: SwitchboardError): void {
    const entry = this.entries.get(requestId);
    if (!entry) return;
    entry.abortCause = cause;
    // Abort first: the server's cancel must go out whatever the settlement's listeners do.
    entry.signal.abort(error);
    this.reject(requestId, error);
  }

  private expire(requestId: string): void {
    const entry = this.entries.get(requestId);
    if (!entry) return;
    const elapsed = this.clock.now() - entry.startedAt;
    const what = entry.kind === 'tool' ? `tool "${entry.tool}"` : `${entry.method} (${entry.tool})`;
    this.abort(requestId, 'timeout', new SwitchboardError('ToolCallTimeout', `${what} on server "${entry.server}" did not answer within ${elapsed} ms`));
  }

  private take(requestId: string): Entry | undefined {
    const entry = this.entries.get(requestId);
    if (!entry) return undefined;
    this.entries.delete(requestId);
    // The last call settled: no deadline timer stays armed to keep a host's event loop alive.
    if (this.entries.size === 0) this.deadlines.clear();
    entry.detach();
    entry.signal.release();
    // Only while a reload waits for this server: the hot path pays one map lookup.
    const waiters = this.idleWaiters.get(entry.server);
    if (waiters && ![...this.entries.values()].some((e) => e.server === entry.server)) for (const wake of [...waiters]) wake();
    return entry;
  }

  /** Builds and hands on `call.completed`; callers check `wantsCompleted()` first (no outcome object without listeners). */
  private report(entry: Entry, outcome: { ok: boolean; isError?: boolean; errorCode?: string }): void {
    const event: CallCompleted = {
      type: 'call.completed',
      server: entry.server,
      kind: entry.kind,
      tool: entry.tool,
      requestId: entry.requestId,
      durationMs: this.clock.now() - entry.startedAt,
      ...outcome,
    };
    // Only when given: no key (and no extra work) for a call without one.
    if (entry.source !== undefined) event.source = entry.source;
    try {
      this.onCompleted(event);
    } catch {
      // The reporter's failure is the host's; the call has settled already.
    }
  }
}
