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

export type BreakerReason = 'failureRate' | 'slowCallRate' | 'openTimeout' | 'probeSucceeded' | 'probeFailed' | 'halfOpenTimeout' | 'manualReset';

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
}

/** Appends an outcome, keeping at most `size` entries (oldest evicted first). */
export function pushOutcome(window: readonly Outcome[], outcome: Outcome, size: number): Outcome[] {
  const next = window.length >= size ? window.slice(window.length - size + 1) : window.slice();
  next.push(outcome);
  return next;
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

function toOutcome(call: RecordedCall, policy: BreakerPolicy): Outcome {
  return { f: call.outcome === 'failure', s: call.durationMs > policy.slowCallDurationThresholdMs };
}

/**
 * Applies a burst of outcomes in `state` and returns the next context, whose `change` holds the
 * transition the burst causes, if any. A burst causes at most one: every outcome after it
 * carries an older epoch and is late.
 */
export function recordOutcomes(context: BreakerContext, state: BreakerState, calls: readonly RecordedCall[]): BreakerContext {
  const next: BreakerContext = { ...context, change: null };
  let change: BreakerChange | null = null;
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
      next.window = pushOutcome(next.window, toOutcome(call, next.policy), next.policy.slidingWindowSize);
      const reason = exceeds(next.window, minimumCalls(next.policy), next.policy);
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
  };
}
