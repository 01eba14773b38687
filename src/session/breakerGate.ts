import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { CallOutcome, RecordedCall } from '../../machines/breakerModel.js';
import type { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import type { RuntimeClock } from '../clock.js';
import { SwitchboardError } from '../errors.js';

type Breaker = ActorRefFrom<typeof circuitBreakerMachine>;

/** Admission verdict: the breaker's epoch for a permitted call, or the error for a refused one. */
export type Permission = { epoch: number } | { refused: SwitchboardError };

/**
 * The call path's view of one server's breaker. Permission in `closed` and `open` is read from the
 * snapshot (no event on the hot path); only refusals and half-open permits send an event, and every
 * finished call records its outcome with the epoch it started in.
 */
export class BreakerGate {
  private pending: RecordedCall[] = [];

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
    this.pending.push({ requestId, epoch, outcome, durationMs: at - startedAt, at });
    if (this.pending.length === 1) queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    const calls = this.pending;
    this.pending = [];
    const ref = this.ref();
    if (!ref || calls.length === 0) return;
    if (calls.length === 1) ref.send({ type: 'call.recorded', ...calls[0]! });
    else ref.send({ type: 'calls.recorded', calls });
  };
}

function circuitOpen(server: string, retryAfterMs: number | undefined): SwitchboardError {
  const options: { retryAfterMs?: number } = {};
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  const why = retryAfterMs === undefined ? 'its half-open probe is running' : `retry in ${retryAfterMs} ms`;
  return new SwitchboardError('CircuitOpen', `the circuit breaker of server "${server}" is open (${why})`, options);
}
