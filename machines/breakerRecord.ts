import type { BreakerContext, BreakerPolicy, BreakerReason, BreakerState, CallOutcome } from './circuitBreaker.js';
import { failureRate, openDuration, pushOutcome, slowCallRate, type Outcome } from './breakerWindow.js';

/**
 * Recording outcomes, as one pure function (research/reliability.md §1.6 "Outcome"): the breaker
 * machine applies a burst of finished calls in one event, and a burst causes at most one
 * transition, because every outcome after it carries an older epoch and is late.
 */

/** One finished call, as the runtime reports it. */
export interface RecordedCall {
  requestId: string;
  /** The breaker epoch the call was admitted in. */
  epoch: number;
  outcome: CallOutcome;
  durationMs: number;
  at: number;
}

/** The transition a burst causes, if any. */
export interface BreakerChange {
  from: BreakerState;
  to: 'open' | 'closed';
  reason: BreakerReason;
  at: number;
}

function toOutcome(call: RecordedCall, policy: BreakerPolicy): Outcome {
  return { f: call.outcome === 'failure', s: call.durationMs > policy.slowCallDurationThresholdMs };
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

/** Applies a burst of outcomes in `state`; returns the next context and the transition, if any. */
export function recordOutcomes(
  context: BreakerContext,
  state: BreakerState,
  calls: readonly RecordedCall[],
): { context: BreakerContext; change: BreakerChange | null } {
  const next: BreakerContext = { ...context };
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
  return { context: next, change };
}
