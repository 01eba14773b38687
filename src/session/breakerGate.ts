import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { CallOutcome, RecordedCall } from '../../machines/breakerModel.js';
import type { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import type { RuntimeClock } from '../clock.js';
import { SwitchboardError } from '../errors.js';

type Breaker = ActorRefFrom<typeof circuitBreakerMachine>;

/** Admission verdict: the breaker's epoch for a permitted call, or the error for a refused one. */
export type Permission = { epoch: number } | { refused: SwitchboardError };

/**
 * How long fast successes of a closed breaker may wait to be applied together. They can never
 * change its state (only a failure, a slow call or a half-open probe can), so they travel as one
 * `calls.recorded` event per window instead of one per call: a sequential caller saves a breaker
 * macrostep on every call. Anything else flushes at once (in a microtask), waiting successes
 * first, so the breaker sees every outcome in order and decides exactly as if each came alone.
 */
export const QUIET_WINDOW_MS = 20;
/** A window holds at most this many outcomes (a long burst is applied in pieces). */
const MAX_BATCH = 256;

/**
 * The call path's view of one server's breaker. Permission in `closed` and `open` is read from the
 * snapshot (no event on the hot path); only refusals and half-open permits send an event, and every
 * finished call records its outcome with the epoch it started in.
 */
export class BreakerGate {
  private pending: RecordedCall[] = [];
  /** The armed quiet-window timer, or null. */
  private timer: unknown = null;
  private flushQueued = false;

  constructor(
    private readonly lookup: () => AnyActorRef | undefined,
    private readonly server: string,
    private readonly clock: RuntimeClock,
  ) {}

  private ref(): Breaker | undefined {
    const ref = this.lookup() as Breaker | undefined;
    return ref && ref.getSnapshot().status === 'active' ? ref : undefined;
  }

  /** True when the breaker refuses every call right now (open). */
  isOpen(): boolean {
    return this.ref()?.getSnapshot().value === 'open';
  }

  /** Asks for a call's permission; counts a refusal on the breaker. */
  permit(requestId: string): Permission {
    const ref = this.ref();
    if (!ref) return { epoch: 0 };
    const snapshot = ref.getSnapshot();
    if (snapshot.value === 'open') {
      ref.send({ type: 'call.refused' });
      const openUntil = snapshot.context.openUntil;
      return { refused: circuitOpen(this.server, openUntil === null ? undefined : Math.max(0, openUntil - this.clock.now())) };
    }
    if (snapshot.value === 'half-open') {
      ref.send({ type: 'call.acquire', requestId });
      const after = ref.getSnapshot();
      if (!after.context.permitted.includes(requestId)) return { refused: circuitOpen(this.server, undefined) };
      return { epoch: after.context.epoch };
    }
    return { epoch: snapshot.context.epoch };
  }

  /**
   * Records a finished call's outcome (late ones are sorted out by the breaker's epoch). Outcomes
   * of one tick travel as one `calls.recorded` event: under load a burst of answers costs the
   * breaker one macrostep instead of one each.
   */
  record(requestId: string, epoch: number, outcome: CallOutcome, startedAt: number): void {
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

  /** A fast success (or an ignored outcome) in `closed`: it cannot change the breaker's state. */
  private quiet(outcome: CallOutcome, durationMs: number): boolean {
    if (outcome === 'failure') return false;
    const snapshot = this.ref()?.getSnapshot();
    return snapshot !== undefined && snapshot.value === 'closed' && durationMs <= snapshot.context.policy.slowCallDurationThresholdMs;
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
    this.pending = [];
    const ref = this.ref();
    if (!ref || calls.length === 0) return;
    if (calls.length === 1) ref.send({ type: 'call.recorded', ...calls[0]! });
    else ref.send({ type: 'calls.recorded', calls });
  };
}

/** One gate per server, so that status reads, resets and stop can settle its waiting outcomes. */
export class BreakerGates {
  private readonly gates = new Map<string, BreakerGate>();

  constructor(
    private readonly lookup: (server: string) => AnyActorRef | undefined,
    private readonly clock: RuntimeClock,
  ) {}

  of(server: string): BreakerGate {
    let gate = this.gates.get(server);
    if (!gate) {
      gate = new BreakerGate(() => this.lookup(server), server, this.clock);
      this.gates.set(server, gate);
    }
    return gate;
  }

  /** Applies the waiting outcomes of one server, or of every server. */
  settle(server?: string): void {
    if (server !== undefined) this.gates.get(server)?.settle();
    else for (const gate of this.gates.values()) gate.settle();
  }

  /** Forgets a removed server's gate (its waiting outcomes are applied first). */
  drop(server: string): void {
    this.gates.get(server)?.settle();
    this.gates.delete(server);
  }
}

function circuitOpen(server: string, retryAfterMs: number | undefined): SwitchboardError {
  const options: { retryAfterMs?: number } = {};
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  const why = retryAfterMs === undefined ? 'its half-open probe is running' : `retry in ${retryAfterMs} ms`;
  return new SwitchboardError('CircuitOpen', `the circuit breaker of server "${server}" is open (${why})`, options);
}
