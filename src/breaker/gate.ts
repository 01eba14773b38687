import { cannotChangeState, type CallOutcome, type RecordedCall } from '../../machines/breakerModel.js';
import type { RuntimeClock } from '../core/clock.js';
import { SwitchboardError } from '../core/errors.js';
import type { BreakerStore } from './store.js';

/** Admission verdict: the breaker's epoch for a permitted call, or the error for a refused one. */
export type Permission = { epoch: number } | { refused: SwitchboardError };

/**
 * How long outcomes that cannot change a breaker's state (`cannotChangeState`: fast successes
 * while closed) may wait to be applied together: they travel as one `calls.recorded` per window
 * instead of one event per call, so a sequential caller saves a breaker macrostep on every call.
 * Anything else flushes at once (in a microtask), waiting outcomes first, so the breaker sees
 * every outcome in order and decides exactly as if each came alone.
 */
export const QUIET_WINDOW_MS = 20;
/** A window holds at most this many outcomes (a long burst is applied in pieces). */
const MAX_BATCH = 256;

/**
 * The call path's view of one server's breaker, over a `BreakerStore`: permission is read from
 * the store's synchronous view; only refusals and half-open permits reach the breaker, and every
 * finished call records its outcome with the epoch it started in.
 */
export class BreakerGate {
  private pending: RecordedCall[] = [];
  /** The armed quiet-window timer, or null. */
  private timer: unknown = null;
  private flushQueued = false;
  /** Set by close(): the server's record is gone, so nothing more reaches the store. */
  private closed = false;

  constructor(
    private readonly store: BreakerStore,
    private readonly server: string,
    private readonly clock: RuntimeClock,
  ) {}

  /** True when the breaker refuses every call right now (open). */
  isOpen(): boolean {
    return this.store.view(this.server)?.state === 'open';
  }

  /** Asks for a call's permission; counts a refusal on the breaker. */
  permit(requestId: string): Permission {
    const view = this.store.view(this.server);
    if (!view) return { epoch: 0 };
    if (view.state === 'open') {
      this.store.refused(this.server);
      return { refused: circuitOpen(this.server, view.openUntil === null ? undefined : Math.max(0, view.openUntil - this.clock.now())) };
    }
    if (view.state === 'half-open') {
      const epoch = this.store.acquire(this.server, requestId);
      return epoch === undefined ? { refused: circuitOpen(this.server, undefined) } : { epoch };
    }
    return { epoch: view.epoch };
  }

  /**
   * Records a finished call's outcome (late ones are sorted out by the breaker's epoch). Outcomes
   * of one tick travel together: under load a burst of answers costs the breaker one macrostep
   * instead of one each.
   */
  record(requestId: string, epoch: number, outcome: CallOutcome, startedAt: number): void {
    // A removed server's late outcomes would land on a new server of the same name in the store.
    if (this.closed) return;
    const at = this.clock.now();
    const durationMs = at - startedAt;
    this.pending.push({ requestId, epoch, outcome, durationMs, at });
    if (this.pending.length >= MAX_BATCH || !this.quiet(outcome, durationMs)) this.flushSoon();
    else if (this.timer === null && !this.flushQueued) this.timer = this.clock.setTimeout(this.flush, QUIET_WINDOW_MS);
  }

  /** Applies every waiting outcome now (before a status read, a reset or a stop). */
  settle(): void {
    if (this.pending.length > 0 || this.timer !== null) this.flush();
  }

  /** Applies the waiting outcomes and takes no more: the server was removed (its record deleted). */
  close(): void {
    this.settle();
    this.closed = true;
  }

  private quiet(outcome: CallOutcome, durationMs: number): boolean {
    const view = this.store.view(this.server);
    return view !== undefined && cannotChangeState(view.state, outcome, durationMs, view.policy);
  }

  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const calls = this.pending;
    if (calls.length === 0) return;
    this.pending = [];
    this.store.record(this.server, calls);
  };
}

function circuitOpen(server: string, retryAfterMs: number | undefined): SwitchboardError {
  const options: { retryAfterMs?: number } = {};
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  const why = retryAfterMs === undefined ? 'its half-open probe is running' : `retry in ${retryAfterMs} ms`;
  return new SwitchboardError('CircuitOpen', `the circuit breaker of server "${server}" is open (${why})`, options);
}
