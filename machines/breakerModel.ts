/**
 * The circuit breaker's model, as pure data and functions (research/reliability.md §1.6): policy,
 * context, the count-based sliding window, and recording a burst of outcomes. The machine in
 * `circuitBreaker.ts` imports this file; nothing here imports the machine.
 */

/** Breaker policy, all durations in ms. Defaults live in the config schema. */
export interface BreakerPolicy {
  failureRateThreshold: number;
  slidingWindowSize: number;
  minimumNumberOfCalls: number;
  slowCallDurationThresholdMs: number;
  slowCallRateThreshold: number;
  waitDurationInOpenMs: number;
  openBackoffMultiplier: number;
  maxWaitDurationInOpenMs: number;
  permittedNumberOfCallsInHalfOpenState: number;
  maxWaitDurationInHalfOpenMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerReason = 'failureRate' | 'slowCallRate' | 'openTimeout' | 'probeSucceeded' | 'probeFailed' | 'halfOpenTimeout' | 'manualReset' | 'remote';

/** Every reason, at run time (a reason read from another replica is checked against it). */
export const BREAKER_REASONS: readonly BreakerReason[] = ['failureRate', 'slowCallRate', 'openTimeout', 'probeSucceeded', 'probeFailed', 'halfOpenTimeout', 'manualReset', 'remote'];

/** How a finished call counts (research/reliability.md §1.7). */
export type CallOutcome = 'success' | 'failure' | 'ignored';

/** One recorded call outcome: `f` failed, `s` slow. Short keys keep inspected context small. */
export interface Outcome {
  f: boolean;
  s: boolean;
}

/** One finished call, as the runtime reports it. */
export interface RecordedCall {
  requestId: string;
  /** The breaker epoch the call was admitted in. */
  epoch: number;
  outcome: CallOutcome;
  durationMs: number;
  at: number;
}

/** The transition a burst of outcomes causes. */
export interface BreakerChange {
  from: BreakerState;
  to: 'open' | 'closed';
  reason: BreakerReason;
  at: number;
}

export interface BreakerContext {
  server: string;
  policy: BreakerPolicy;
  /** Incremented on every state entry and on reset: outcomes carrying an older epoch are late. */
  epoch: number;
  window: Outcome[];
  consecutiveOpens: number;
  openedAt: number | null;
  openUntil: number | null;
  halfOpenSince: number | null;
  /** Request ids holding a half-open permit. */
  permitted: string[];
  probeOutcomes: Outcome[];
  notPermittedCalls: number;
  ignoredCalls: number;
  lateOutcomes: number;
  /** The transition the last recorded burst decided, taken by the machine's `always` right after. */
  change: BreakerChange | null;
  /** This replica's id while the breaker is shared by a cluster (DESIGN §16); null: per replica. */
  replicaId: string | null;
  /** Half-open: whether this replica sends the probes (a shared breaker holds the cluster's probe lease first). */
  probeHeld: boolean;
  /** The replica whose transition the breaker last took; null when not shared. */
  changedBy: string | null;
}

/** Failure rate in percent, or -1 while fewer than `minimum` outcomes are recorded. */
export function failureRate(window: readonly Outcome[], minimum: number): number {
  if (window.length === 0 || window.length < minimum) return -1;
  return (window.filter((o) => o.f).length / window.length) * 100;
}

/** Slow-call rate in percent, or -1 while fewer than `minimum` outcomes are recorded. */
export function slowCallRate(window: readonly Outcome[], minimum: number): number {
  if (window.length === 0 || window.length < minimum) return -1;
  return (window.filter((o) => o.s).length / window.length) * 100;
}

/** Open duration for the k-th consecutive open (k ≥ 1): `min(max, wait * multiplier^(k-1))`. */
export function openDuration(k: number, waitMs: number, multiplier: number, maxMs: number): number {
  const exponent = Math.max(0, k - 1);
  const value = exponent >= 60 ? maxMs : waitMs * multiplier ** exponent;
  return Math.min(maxMs, Number.isFinite(value) ? value : maxMs);
}

/** The minimum number of calls, clamped to the window size as in resilience4j. */
export function minimumCalls(policy: BreakerPolicy): number {
  return Math.min(policy.minimumNumberOfCalls, policy.slidingWindowSize);
}

/** Which threshold a set of outcomes reaches (`>=`), if any. */
export function exceeds(outcomes: readonly Outcome[], minimum: number, policy: BreakerPolicy): 'failureRate' | 'slowCallRate' | null {
  if (outcomes.length < minimum) return null;
  if (failureRate(outcomes, minimum) >= policy.failureRateThreshold) return 'failureRate';
  if (slowCallRate(outcomes, minimum) >= policy.slowCallRateThreshold) return 'slowCallRate';
  return null;
}

/** Bookkeeping of entering `open` at `at`: one more consecutive open, and how long it lasts. */
export function opened(context: BreakerContext, at: number): Partial<BreakerContext> {
  const consecutiveOpens = context.consecutiveOpens + 1;
  const { waitDurationInOpenMs, openBackoffMultiplier, maxWaitDurationInOpenMs } = context.policy;
  return {
    consecutiveOpens,
    openedAt: at,
    openUntil: at + openDuration(consecutiveOpens, waitDurationInOpenMs, openBackoffMultiplier, maxWaitDurationInOpenMs),
    window: [],
    permitted: [],
    probeOutcomes: [],
  };
}

/** Bookkeeping of a freshly closed breaker. */
export const CLOSED = {
  window: [] as Outcome[],
  consecutiveOpens: 0,
  openedAt: null,
  openUntil: null,
  halfOpenSince: null,
  permitted: [] as string[],
  probeOutcomes: [] as Outcome[],
};

/** The four outcomes, shared: a window of 100 calls holds references, not 100 new objects per burst. */
const OUTCOMES: readonly Outcome[] = [
  Object.freeze({ f: false, s: false }),
  Object.freeze({ f: false, s: true }),
  Object.freeze({ f: true, s: false }),
  Object.freeze({ f: true, s: true }),
];

/**
 * True when an outcome can never change the breaker's state: a success (or an ignored outcome) no
 * slower than the slow-call threshold while `closed` (only a failure, a slow call or a half-open
 * probe can). Such outcomes may be applied late and together without changing any decision: the
 * runtime's breaker gate batches them in a quiet window on this rule.
 */
export function cannotChangeState(state: BreakerState, outcome: CallOutcome, durationMs: number, policy: BreakerPolicy): boolean {
  return state === 'closed' && outcome !== 'failure' && durationMs <= policy.slowCallDurationThresholdMs;
}

function toOutcome(call: RecordedCall, policy: BreakerPolicy): Outcome {
  return OUTCOMES[(call.outcome === 'failure' ? 2 : 0) + (call.durationMs > policy.slowCallDurationThresholdMs ? 1 : 0)]!;
}

/**
 * The closed state's window during one burst: copied once, counts kept as outcomes come and go,
 * so a burst of n outcomes costs O(window + n) instead of a copy and two scans per outcome.
 * `reached()` decides exactly as `exceeds(window, minimum, policy)` would after each push.
 */
class BurstWindow {
  private readonly items: Outcome[];
  private start = 0;
  private failed = 0;
  private slow = 0;

  constructor(window: readonly Outcome[], private readonly policy: BreakerPolicy) {
    this.items = window.slice();
    for (const o of window) {
      if (o.f) this.failed++;
      if (o.s) this.slow++;
    }
  }

  push(outcome: Outcome): void {
    this.items.push(outcome);
    if (outcome.f) this.failed++;
    if (outcome.s) this.slow++;
    while (this.items.length - this.start > this.policy.slidingWindowSize) {
      const evicted = this.items[this.start++]!;
      if (evicted.f) this.failed--;
      if (evicted.s) this.slow--;
    }
  }

  reached(minimum: number): 'failureRate' | 'slowCallRate' | null {
    const length = this.items.length - this.start;
    if (length === 0 || length < minimum) return null;
    if ((this.failed / length) * 100 >= this.policy.failureRateThreshold) return 'failureRate';
    if ((this.slow / length) * 100 >= this.policy.slowCallRateThreshold) return 'slowCallRate';
    return null;
  }

  outcomes(): Outcome[] {
    return this.start === 0 ? this.items : this.items.slice(this.start);
  }
}

/**
 * Applies a burst of outcomes in `state` and returns the next context, whose `change` holds the
 * transition the burst causes, if any. A burst causes at most one: every outcome after it
 * carries an older epoch and is late.
 */
export function recordOutcomes(context: BreakerContext, state: BreakerState, calls: readonly RecordedCall[]): BreakerContext {
  const next: BreakerContext = { ...context, change: null };
  let change: BreakerChange | null = null;
  let window: BurstWindow | null = null;
  const minimum = minimumCalls(next.policy);
  for (const call of calls) {
    if (change || state === 'open' || call.epoch !== context.epoch) {
      next.lateOutcomes++;
      continue;
    }
    if (state === 'closed') {
      if (call.outcome === 'ignored') {
        next.ignoredCalls++;
        continue;
      }
      window ??= new BurstWindow(next.window, next.policy);
      window.push(toOutcome(call, next.policy));
      const reason = window.reached(minimum);
      if (reason) change = { from: 'closed', to: 'open', reason, at: call.at };
      continue;
    }
    // half-open: only the calls holding a permit count.
    if (!next.permitted.includes(call.requestId)) {
      next.lateOutcomes++;
      continue;
    }
    next.permitted = next.permitted.filter((id) => id !== call.requestId);
    if (call.outcome === 'ignored') {
      next.ignoredCalls++;
      continue;
    }
    next.probeOutcomes = [...next.probeOutcomes, toOutcome(call, next.policy)];
    if (next.probeOutcomes.length >= next.policy.permittedNumberOfCallsInHalfOpenState) {
      const failed = exceeds(next.probeOutcomes, 1, next.policy) !== null;
      change = { from: 'half-open', to: failed ? 'open' : 'closed', reason: failed ? 'probeFailed' : 'probeSucceeded', at: call.at };
    }
  }
  if (window) next.window = window.outcomes();
  if (change?.to === 'open') Object.assign(next, opened(next, change.at));
  if (change?.to === 'closed') Object.assign(next, CLOSED);
  next.change = change;
  return next;
}

/** What the runtime reads from a breaker snapshot at dispatch, without sending an event. */
export interface BreakerStatus {
  state: BreakerState;
  failureRate: number;
  slowCallRate: number;
  bufferedCalls: number;
  failedCalls: number;
  slowCalls: number;
  notPermittedCalls: number;
  ignoredCalls: number;
  lateOutcomes: number;
  consecutiveOpens: number;
  openedAt: number | null;
  retryAfterMs: number | null;
  /** The replica that made the last transition, when the breaker is shared (DESIGN §16); else null. */
  changedBy: string | null;
}

/** Status snapshot for the admin API and `getServer()`; rates are -1 below the minimum. */
export function breakerStatus(state: BreakerState, context: BreakerContext, now: number): BreakerStatus {
  const minimum = minimumCalls(context.policy);
  return {
    state,
    failureRate: failureRate(context.window, minimum),
    slowCallRate: slowCallRate(context.window, minimum),
    bufferedCalls: context.window.length,
    failedCalls: context.window.filter((o) => o.f).length,
    slowCalls: context.window.filter((o) => o.s).length,
    notPermittedCalls: context.notPermittedCalls,
    ignoredCalls: context.ignoredCalls,
    lateOutcomes: context.lateOutcomes,
    consecutiveOpens: context.consecutiveOpens,
    openedAt: context.openedAt,
    retryAfterMs: state === 'open' && context.openUntil !== null ? Math.max(0, context.openUntil - now) : null,
    changedBy: context.changedBy,
  };
}
