import { assign, emit, enqueueActions, setup } from 'xstate';
import { CLOSED, minimumCalls, opened, recordOutcomes, type RecordedCall } from './breakerRecord.js';
import { failureRate, openDuration, slowCallRate, type Outcome } from './breakerWindow.js';

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
  | ({ type: 'call.recorded' } & RecordedCall)
  /** A burst of finished calls in one event (the runtime coalesces them per microtask). */
  | { type: 'calls.recorded'; calls: RecordedCall[] }
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

/** The transitions of `call.recorded`/`calls.recorded` in `state` (at most one change a burst). */
function recording(state: BreakerState) {
  const apply = { type: 'applyRecorded', params: { state } } as const;
  return [
    { guard: { type: 'recordingChangesTo', params: { state, to: 'open' } }, target: '#circuitBreaker.open', actions: apply },
    { guard: { type: 'recordingChangesTo', params: { state, to: 'closed' } }, target: '#circuitBreaker.closed', actions: apply },
    { actions: apply },
  ] as const;
}

function callsOf(event: BreakerEvent): readonly RecordedCall[] {
  if (event.type === 'calls.recorded') return event.calls;
  return event.type === 'call.recorded' ? [event] : [];
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
    /** Whether recording this event's outcomes moves the breaker to `to`. */
    recordingChangesTo: ({ context, event }, params: { state: BreakerState; to: 'open' | 'closed' }) =>
      recordOutcomes(context, params.state, callsOf(event)).change?.to === params.to,
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
    countRefused: assign({ notPermittedCalls: ({ context }) => context.notPermittedCalls + 1 }),
    grantPermit: assign({
      permitted: ({ context, event }) => (event.type === 'call.acquire' ? [...context.permitted, event.requestId] : context.permitted),
    }),
    /** Enters `open` at `at`: one more consecutive open, and the time it will last. */
    markOpened: assign(({ context }, params: { at: number }) => opened(context, params.at)),
    /** Applies a burst of outcomes and announces the transition it causes, if any. */
    applyRecorded: enqueueActions(({ context, event, self, enqueue }, params: { state: BreakerState }) => {
      const { context: next, change } = recordOutcomes(context, params.state, callsOf(event));
      enqueue.assign(next);
      if (!change) return;
      // Transition actions run before the target's entry bumps the epoch: report the new one.
      const fact: BreakerStateChanged = { type: 'breaker.stateChanged', server: context.server, epoch: context.epoch + 1, ...change };
      enqueue(emit(fact));
      if (self._parent) enqueue.sendParent(fact);
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
        'call.recorded': recording('closed'),
        'calls.recorded': recording('closed'),
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
        'call.recorded': recording('open'),
        'calls.recorded': recording('open'),
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
        'call.recorded': recording('half-open'),
        'calls.recorded': recording('half-open'),
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
