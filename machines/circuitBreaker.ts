import { assign, emit, enqueueActions, setup } from 'xstate';
import { failureRate, openDuration, pushOutcome, slowCallRate, type Outcome } from './breakerWindow.js';

/**
 * Per-server circuit breaker (research/reliability.md §1.6): count-based sliding window, a minimum
 * number of calls, open duration growing on consecutive opens, a limited number of half-open probes
 * that are refused (never queued) beyond the limit, late outcomes ignored by epoch, manual reset.
 *
 * Time enters only through the `at` of events and the machine's own delays, so a SimulatedClock
 * reproduces every transition. Permission in `closed`/`open` is read from the snapshot by the
 * runtime (no event on the hot path); `half-open` permits are taken with `call.acquire`.
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

export type BreakerReason =
  | 'failureRate'
  | 'slowCallRate'
  | 'openTimeout'
  | 'probeSucceeded'
  | 'probeFailed'
  | 'halfOpenTimeout'
  | 'manualReset';

export interface BreakerInput {
  server: string;
  policy: BreakerPolicy;
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
}

/** How a finished call counts (research/reliability.md §1.7). */
export type CallOutcome = 'success' | 'failure' | 'ignored';

export type BreakerEvent =
  | { type: 'call.acquire'; requestId: string }
  | { type: 'call.refused' }
  | { type: 'call.recorded'; requestId: string; epoch: number; outcome: CallOutcome; durationMs: number; at: number }
  | { type: 'breaker.reset'; at: number };

export interface BreakerStateChanged {
  type: 'breaker.stateChanged';
  server: string;
  from: BreakerState;
  to: BreakerState;
  reason: BreakerReason;
  epoch: number;
  at: number;
}

export type BreakerEmitted = BreakerStateChanged;

type Recorded = Extract<BreakerEvent, { type: 'call.recorded' }>;

/** The window and open/half-open bookkeeping of a freshly closed breaker. */
const CLOSED = {
  window: [] as Outcome[],
  consecutiveOpens: 0,
  openedAt: null,
  openUntil: null,
  halfOpenSince: null,
  permitted: [] as string[],
  probeOutcomes: [] as Outcome[],
};

function toOutcome(event: Recorded, policy: BreakerPolicy): Outcome {
  return { f: event.outcome === 'failure', s: event.durationMs > policy.slowCallDurationThresholdMs };
}

function minimumCalls(policy: BreakerPolicy): number {
  return Math.min(policy.minimumNumberOfCalls, policy.slidingWindowSize);
}

function exceeds(window: readonly Outcome[], minimum: number, policy: BreakerPolicy): 'failureRate' | 'slowCallRate' | null {
  if (failureRate(window, minimum) >= policy.failureRateThreshold && window.length >= minimum) return 'failureRate';
  if (slowCallRate(window, minimum) >= policy.slowCallRateThreshold && window.length >= minimum) return 'slowCallRate';
  return null;
}

function probesAfter(context: BreakerContext, event: Recorded): Outcome[] {
  return [...context.probeOutcomes, toOutcome(event, context.policy)];
}

function isProbeRoundComplete(context: BreakerContext, event: Recorded): boolean {
  return probesAfter(context, event).length >= context.policy.permittedNumberOfCallsInHalfOpenState;
}

function currentState(value: unknown): BreakerState {
  return value as BreakerState;
}

export const circuitBreakerMachine = setup({
  types: {} as {
    context: BreakerContext;
    events: BreakerEvent;
    input: BreakerInput;
    emitted: BreakerEmitted;
  },
  guards: {
    isLate: ({ context, event }) => event.type === 'call.recorded' && event.epoch !== context.epoch,
    isIgnored: ({ event }) => event.type === 'call.recorded' && event.outcome === 'ignored',
    isThresholdReached: ({ context, event }) =>
      event.type === 'call.recorded' &&
      exceeds(pushOutcome(context.window, toOutcome(event, context.policy), context.policy.slidingWindowSize), minimumCalls(context.policy), context.policy) !== null,
    isUnknownProbe: ({ context, event }) => event.type === 'call.recorded' && !context.permitted.includes(event.requestId),
    isFailedProbeRound: ({ context, event }) =>
      event.type === 'call.recorded' &&
      isProbeRoundComplete(context, event) &&
      exceeds(probesAfter(context, event), 1, context.policy) !== null,
    isPassedProbeRound: ({ context, event }) => event.type === 'call.recorded' && isProbeRoundComplete(context, event),
    hasPermitLeft: ({ context }) =>
      context.permitted.length + context.probeOutcomes.length < context.policy.permittedNumberOfCallsInHalfOpenState,
  },
  delays: {
    openDuration: ({ context }) =>
      openDuration(
        context.consecutiveOpens,
        context.policy.waitDurationInOpenMs,
        context.policy.openBackoffMultiplier,
        context.policy.maxWaitDurationInOpenMs,
      ),
    halfOpenMaxWait: ({ context }) => context.policy.maxWaitDurationInHalfOpenMs,
  },
  actions: {
    bumpEpoch: assign({ epoch: ({ context }) => context.epoch + 1 }),
    countLate: assign({ lateOutcomes: ({ context }) => context.lateOutcomes + 1 }),
    countIgnored: assign({ ignoredCalls: ({ context }) => context.ignoredCalls + 1 }),
    countRefused: assign({ notPermittedCalls: ({ context }) => context.notPermittedCalls + 1 }),
    recordOutcome: assign({
      window: ({ context, event }) =>
        event.type === 'call.recorded'
          ? pushOutcome(context.window, toOutcome(event, context.policy), context.policy.slidingWindowSize)
          : context.window,
    }),
    recordProbe: assign({
      probeOutcomes: ({ context, event }) => (event.type === 'call.recorded' ? probesAfter(context, event) : context.probeOutcomes),
      permitted: ({ context, event }) =>
        event.type === 'call.recorded' ? context.permitted.filter((id) => id !== event.requestId) : context.permitted,
    }),
    releasePermit: assign({
      permitted: ({ context, event }) =>
        event.type === 'call.recorded' ? context.permitted.filter((id) => id !== event.requestId) : context.permitted,
    }),
    grantPermit: assign({
      permitted: ({ context, event }) => (event.type === 'call.acquire' ? [...context.permitted, event.requestId] : context.permitted),
    }),
    /** Enters `open` at `at`: one more consecutive open, and the time it will last. */
    markOpened: assign(({ context }, params: { at: number }) => {
      const consecutiveOpens = context.consecutiveOpens + 1;
      const { waitDurationInOpenMs, openBackoffMultiplier, maxWaitDurationInOpenMs } = context.policy;
      return {
        consecutiveOpens,
        openedAt: params.at,
        openUntil: params.at + openDuration(consecutiveOpens, waitDurationInOpenMs, openBackoffMultiplier, maxWaitDurationInOpenMs),
        window: [],
        permitted: [],
        probeOutcomes: [],
      };
    }),
    markHalfOpen: assign({ halfOpenSince: ({ context }) => context.openUntil, permitted: [], probeOutcomes: [] }),
    markClosed: assign(() => ({ ...CLOSED })),
    /** Tells listeners and the parent (the manager relays it) about one transition. */
    announce: enqueueActions(({ context, self, enqueue }, params: { from: BreakerState; to: BreakerState; reason: BreakerReason; at: number }) => {
      // Transition actions run before the target's entry bumps the epoch: report the new one.
      const fact: BreakerStateChanged = { type: 'breaker.stateChanged', server: context.server, epoch: context.epoch + 1, ...params };
      enqueue(emit(fact));
      if (self._parent) enqueue.sendParent(fact);
    }),
  },
}).createMachine({
  id: 'circuitBreaker',
  context: ({ input }) => ({
    server: input.server,
    policy: input.policy,
    epoch: 0,
    ...CLOSED,
    notPermittedCalls: 0,
    ignoredCalls: 0,
    lateOutcomes: 0,
  }),
  initial: 'closed',
  on: {
    'call.refused': { actions: 'countRefused' },
  },
  states: {
    closed: {
      description: 'Calls pass; outcomes fill the sliding window until the failure or slow-call rate is reached.',
      entry: 'bumpEpoch',
      on: {
        'call.recorded': [
          { guard: 'isLate', actions: 'countLate' },
          { guard: 'isIgnored', actions: 'countIgnored' },
          {
            guard: 'isThresholdReached',
            target: 'open',
            actions: [
              { type: 'announce', params: ({ context, event }) => ({ from: 'closed' as const, to: 'open' as const, reason: tripReason(context, event), at: eventTime(event) }) },
              { type: 'markOpened', params: ({ event }) => ({ at: eventTime(event) }) },
            ],
          },
          { actions: 'recordOutcome' },
        ],
        'breaker.reset': { actions: ['markClosed', 'bumpEpoch'] },
      },
    },
    open: {
      description: 'Calls are refused at once with CircuitOpen; after the open duration one round of probes is allowed.',
      entry: 'bumpEpoch',
      after: {
        openDuration: {
          target: 'half-open',
          actions: [
            'markHalfOpen',
            { type: 'announce', params: ({ context }) => ({ from: 'open' as const, to: 'half-open' as const, reason: 'openTimeout' as const, at: context.openUntil ?? 0 }) },
          ],
        },
      },
      on: {
        'call.recorded': { actions: 'countLate' },
        'breaker.reset': {
          target: 'closed',
          actions: [
            'markClosed',
            { type: 'announce', params: ({ event }) => ({ from: 'open' as const, to: 'closed' as const, reason: 'manualReset' as const, at: eventTime(event) }) },
          ],
        },
      },
    },
    'half-open': {
      description: 'A limited number of probe calls pass; the rest are refused, never queued.',
      entry: 'bumpEpoch',
      after: {
        halfOpenMaxWait: {
          target: 'open',
          actions: [
            { type: 'announce', params: ({ context }) => ({ from: 'half-open' as const, to: 'open' as const, reason: 'halfOpenTimeout' as const, at: halfOpenDeadline(context) }) },
            { type: 'markOpened', params: ({ context }) => ({ at: halfOpenDeadline(context) }) },
          ],
        },
      },
      on: {
        'call.acquire': [{ guard: 'hasPermitLeft', actions: 'grantPermit' }, { actions: 'countRefused' }],
        'call.recorded': [
          { guard: 'isLate', actions: 'countLate' },
          { guard: 'isUnknownProbe', actions: 'countLate' },
          { guard: 'isIgnored', actions: ['releasePermit', 'countIgnored'] },
          {
            guard: 'isFailedProbeRound',
            target: 'open',
            actions: [
              { type: 'announce', params: ({ event }) => ({ from: 'half-open' as const, to: 'open' as const, reason: 'probeFailed' as const, at: eventTime(event) }) },
              { type: 'markOpened', params: ({ event }) => ({ at: eventTime(event) }) },
            ],
          },
          {
            guard: 'isPassedProbeRound',
            target: 'closed',
            actions: [
              'markClosed',
              { type: 'announce', params: ({ event }) => ({ from: 'half-open' as const, to: 'closed' as const, reason: 'probeSucceeded' as const, at: eventTime(event) }) },
            ],
          },
          { actions: 'recordProbe' },
        ],
        'breaker.reset': {
          target: 'closed',
          actions: [
            'markClosed',
            { type: 'announce', params: ({ event }) => ({ from: 'half-open' as const, to: 'closed' as const, reason: 'manualReset' as const, at: eventTime(event) }) },
          ],
        },
      },
    },
  },
});

function tripReason(context: BreakerContext, event: BreakerEvent): BreakerReason {
  if (event.type !== 'call.recorded') return 'failureRate';
  const window = pushOutcome(context.window, toOutcome(event, context.policy), context.policy.slidingWindowSize);
  return exceeds(window, minimumCalls(context.policy), context.policy) ?? 'failureRate';
}

function halfOpenDeadline(context: BreakerContext): number {
  return (context.halfOpenSince ?? 0) + context.policy.maxWaitDurationInHalfOpenMs;
}

function eventTime(event: BreakerEvent): number {
  return 'at' in event ? event.at : 0;
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
export function breakerStatus(value: unknown, context: BreakerContext, now: number): BreakerStatus {
  const state = currentState(value);
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
