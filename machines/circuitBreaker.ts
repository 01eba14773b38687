import { assign, emit, enqueueActions, setup } from 'xstate';
import { CLOSED, opened, openDuration, recordOutcomes, type BreakerContext, type BreakerPolicy, type BreakerReason, type BreakerState, type RecordedCall } from './breakerModel.js';

/**
 * Per-server circuit breaker (research/reliability.md §1.6): count-based sliding window, a minimum
 * number of calls, open duration growing on consecutive opens, a limited number of half-open probes
 * that are refused (never queued) beyond the limit, late outcomes ignored by epoch, manual reset.
 *
 * Time enters only through the `at` of events and the machine's own delays, so a SimulatedClock
 * reproduces every transition. Permission in `closed`/`open` is read from the snapshot by the
 * runtime (no event on the hot path); `half-open` permits are taken with `call.acquire`. A burst
 * of outcomes is applied once by the pure `recordOutcomes`; the transition it decides is taken by
 * `always` right after.
 */

export interface BreakerInput {
  server: string;
  policy: BreakerPolicy;
}

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

/** The system id of the supervisor that receives every breaker's facts. */
export const MANAGER_SYSTEM_ID = 'manager';

type Transition = { from: BreakerState; to: BreakerState; reason: BreakerReason; at: number };

/** The transitions of the two recording events in `state`. */
function recording(state: BreakerState) {
  return {
    'call.recorded': { actions: { type: 'recordCalls', params: ({ event }: { event: RecordedCall }) => ({ state, calls: [event] }) } },
    'calls.recorded': { actions: { type: 'recordCalls', params: ({ event }: { event: { calls: RecordedCall[] } }) => ({ state, calls: event.calls }) } },
  } as const;
}

/** Take the transition the last burst decided, reporting it. */
function decided(to: 'open' | 'closed') {
  return {
    guard: { type: 'isChangingTo', params: { to } },
    target: `#circuitBreaker.${to}`,
    actions: [{ type: 'report', params: ({ context }: { context: BreakerContext }) => context.change! }, 'clearChange'],
  } as const;
}

export const circuitBreakerMachine = setup({
  types: {} as {
    context: BreakerContext;
    events: BreakerEvent;
    input: BreakerInput;
    emitted: BreakerEmitted;
  },
  guards: {
    isChangingTo: ({ context }, params: { to: 'open' | 'closed' }) => context.change?.to === params.to,
    hasPermitLeft: ({ context }) =>
      context.permitted.length + context.probeOutcomes.length < context.policy.permittedNumberOfCallsInHalfOpenState,
  },
  delays: {
    openDuration: ({ context }) =>
      openDuration(context.consecutiveOpens, context.policy.waitDurationInOpenMs, context.policy.openBackoffMultiplier, context.policy.maxWaitDurationInOpenMs),
    halfOpenMaxWait: ({ context }) => context.policy.maxWaitDurationInHalfOpenMs,
  },
  actions: {
    bumpEpoch: assign({ epoch: ({ context }) => context.epoch + 1 }),
    countRefused: assign({ notPermittedCalls: ({ context }) => context.notPermittedCalls + 1 }),
    grantPermit: assign({ permitted: ({ context }, params: { requestId: string }) => [...context.permitted, params.requestId] }),
    /** Applies a burst of outcomes once; a transition it decides waits in `change` for `always`. */
    recordCalls: assign(({ context }, params: { state: BreakerState; calls: readonly RecordedCall[] }) => recordOutcomes(context, params.state, params.calls)),
    clearChange: assign({ change: null }),
    /** Enters `open` at `at`: one more consecutive open, and the time it will last. */
    markOpened: assign(({ context }, params: { at: number }) => opened(context, params.at)),
    markHalfOpen: assign({ halfOpenSince: ({ context }) => context.openUntil, permitted: [], probeOutcomes: [] }),
    markClosed: assign(() => ({ ...CLOSED })),
    /** Tells listeners of this actor and the manager (by system id) about one transition. */
    report: enqueueActions(({ context, system, enqueue }, params: Transition) => {
      // Transition actions run before the target's entry bumps the epoch: report the new one.
      const fact: BreakerStateChanged = { type: 'breaker.stateChanged', server: context.server, epoch: context.epoch + 1, ...params };
      enqueue(emit(fact));
      const manager = system.get(MANAGER_SYSTEM_ID);
      if (manager) enqueue.sendTo(manager, fact);
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
    change: null,
  }),
  initial: 'closed',
  on: {
    'call.refused': { actions: 'countRefused' },
  },
  states: {
    closed: {
      description: 'Calls pass; outcomes fill the sliding window until the failure or slow-call rate is reached.',
      entry: 'bumpEpoch',
      always: decided('open'),
      on: {
        ...recording('closed'),
        'breaker.reset': { actions: ['markClosed', 'bumpEpoch'] },
      },
    },
    open: {
      description: 'Calls are refused at once with CircuitOpen; after the open duration one round of probes is allowed.',
      entry: 'bumpEpoch',
      after: {
        openDuration: {
          target: 'half-open',
          actions: ['markHalfOpen', { type: 'report', params: ({ context }) => ({ from: 'open', to: 'half-open', reason: 'openTimeout', at: context.openUntil ?? 0 }) }],
        },
      },
      on: {
        // Outcomes arriving while open are late by definition; they are only counted.
        ...recording('open'),
        'breaker.reset': {
          target: 'closed',
          actions: ['markClosed', { type: 'report', params: ({ event }) => ({ from: 'open', to: 'closed', reason: 'manualReset', at: event.at }) }],
        },
      },
    },
    'half-open': {
      description: 'A limited number of probe calls pass; the rest are refused, never queued.',
      entry: 'bumpEpoch',
      always: [decided('open'), decided('closed')],
      after: {
        halfOpenMaxWait: {
          target: 'open',
          actions: [
            { type: 'report', params: ({ context }) => ({ from: 'half-open', to: 'open', reason: 'halfOpenTimeout', at: halfOpenDeadline(context) }) },
            { type: 'markOpened', params: ({ context }) => ({ at: halfOpenDeadline(context) }) },
          ],
        },
      },
      on: {
        'call.acquire': [{ guard: 'hasPermitLeft', actions: { type: 'grantPermit', params: ({ event }) => ({ requestId: event.requestId }) } }, { actions: 'countRefused' }],
        ...recording('half-open'),
        'breaker.reset': {
          target: 'closed',
          actions: ['markClosed', { type: 'report', params: ({ event }) => ({ from: 'half-open', to: 'closed', reason: 'manualReset', at: event.at }) }],
        },
      },
    },
  },
});

function halfOpenDeadline(context: BreakerContext): number {
  return (context.halfOpenSince ?? 0) + context.policy.maxWaitDurationInHalfOpenMs;
}
