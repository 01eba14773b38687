import { assign, emit, enqueueActions, fromCallback, setup } from 'xstate';
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
 *
 * Shared breakers (DESIGN §16): the invoked `shared` actor (a no-op unless the runtime provides
 * one) hears of every transition this replica makes (`shared.changed`) and of every half-open
 * round (`shared.probeWanted`); it brings other replicas' transitions back as `breaker.remote*`
 * events, which the breaker takes and reports with `changedBy`. Outcome windows stay per replica.
 * A shared breaker in `half-open` refuses its permits until `breaker.probeGranted` says this
 * replica holds the cluster's probe lease (or the cluster is unreachable and it probes alone).
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
  | { type: 'breaker.reset'; at: number }
  /** From the `shared` actor: this server's breaker is shared by the cluster; this replica is `replicaId`. */
  | { type: 'breaker.sharing'; replicaId: string }
  /** Another replica opened it: refuse for `retryAfterMs` (a duration, never a clock reading). */
  | { type: 'breaker.remoteOpened'; retryAfterMs: number; consecutiveOpens: number; generation: number; by: string; reason: BreakerReason; at: number }
  /** Another replica half-opened it (its open duration ended first). */
  | { type: 'breaker.remoteHalfOpened'; generation: number; by: string; reason: BreakerReason; at: number }
  /** Another replica closed it (a manual reset or a successful probe). */
  | { type: 'breaker.remoteClosed'; generation: number; by: string; reason: BreakerReason; at: number }
  /** This replica holds the probe lease of the half-open round `epoch` (or probes alone: the cluster is unreachable). */
  | { type: 'breaker.probeGranted'; epoch: number };

/** What the breaker tells its `shared` actor. */
export type SharedBreakerEvent =
  /** This replica's own transition (never one taken from another replica), to write and publish. */
  | { type: 'shared.changed'; to: BreakerState; reason: BreakerReason; retryAfterMs: number | null; consecutiveOpens: number }
  /** A half-open round began (by this replica or another): ask for the cluster's probe lease. */
  | { type: 'shared.probeWanted'; epoch: number };

/** The `shared` actor's input. */
export interface SharedBreakerInput {
  server: string;
  policy: BreakerPolicy;
}

export interface BreakerStateChanged {
  type: 'breaker.stateChanged';
  server: string;
  from: BreakerState;
  to: BreakerState;
  reason: BreakerReason;
  epoch: number;
  at: number;
  /** The replica that made the transition, when the breaker is shared (DESIGN §16). */
  changedBy?: string;
}

export type BreakerEmitted = BreakerStateChanged;

/** The system id of the supervisor that receives every breaker's facts. */
export const MANAGER_SYSTEM_ID = 'manager';

type Transition = { from: BreakerState; to: BreakerState; reason: BreakerReason; at: number; changedBy?: string };

type Remote = { by: string; reason: BreakerReason; at: number };
type OpenedEvent = Extract<BreakerEvent, { type: 'breaker.remoteOpened' }>;

/** Take another replica's transition from `from`, reporting it with the replica that made it. */
function remote<M extends 'markRemoteOpened' | 'markRemoteHalfOpen' | 'markClosed', E extends Remote>(from: BreakerState, to: BreakerState, mark: M) {
  return {
    target: `#circuitBreaker.${to}`,
    actions: [
      { type: 'report', params: ({ event }: { event: E }) => ({ from, to, reason: event.reason, at: event.at, changedBy: event.by }) },
      { type: mark, params: ({ event }: { event: E }) => event },
    ],
  } as const;
}

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
    actions: [
      { type: 'report', params: ({ context }: { context: BreakerContext }) => context.change! },
      { type: 'share', params: ({ context }: { context: BreakerContext }) => ({ to: context.change!.to, reason: context.change!.reason }) },
      'clearChange',
    ],
  } as const;
}

export const circuitBreakerMachine = setup({
  types: {} as {
    context: BreakerContext;
    events: BreakerEvent;
    input: BreakerInput;
    emitted: BreakerEmitted;
  },
  actors: {
    /** Shares this breaker with other replicas; per replica (does nothing) unless the runtime provides one. */
    shared: fromCallback<SharedBreakerEvent, SharedBreakerInput>(() => undefined),
  },
  guards: {
    isChangingTo: ({ context }, params: { to: 'open' | 'closed' }) => context.change?.to === params.to,
    hasPermitLeft: ({ context }) =>
      context.probeHeld && context.permitted.length + context.probeOutcomes.length < context.policy.permittedNumberOfCallsInHalfOpenState,
    isThisRound: ({ context }, params: { epoch: number }) => context.epoch === params.epoch,
  },
  delays: {
    // What was decided on entering `open`: this replica's backoff, or the duration another replica sent.
    openDuration: ({ context }) =>
      context.openUntil !== null && context.openedAt !== null
        ? Math.max(0, context.openUntil - context.openedAt)
        : openDuration(context.consecutiveOpens, context.policy.waitDurationInOpenMs, context.policy.openBackoffMultiplier, context.policy.maxWaitDurationInOpenMs),
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
    /** Enters `open` as another replica did: for the duration it sent, with its count of consecutive opens. */
    markRemoteOpened: assign((_, params: { at: number; retryAfterMs: number; consecutiveOpens: number }) => ({
      ...CLOSED,
      consecutiveOpens: params.consecutiveOpens,
      openedAt: params.at,
      openUntil: params.at + params.retryAfterMs,
    })),
    markRemoteHalfOpen: assign((_, params: { at: number }) => ({ halfOpenSince: params.at, permitted: [], probeOutcomes: [] })),
    markSharing: assign({ replicaId: (_, params: { replicaId: string }) => params.replicaId }),
    grantProbe: assign({ probeHeld: true }),
    /** A new half-open round: a shared breaker asks the cluster for the probe lease; a local one probes. */
    askProbe: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ probeHeld: context.replicaId === null });
      if (context.replicaId !== null) enqueue.sendTo('shared', { type: 'shared.probeWanted', epoch: context.epoch } satisfies SharedBreakerEvent);
    }),
    /** Hands this replica's own transition to the `shared` actor (after the state's bookkeeping). */
    share: enqueueActions(({ context, enqueue }, params: { to: BreakerState; reason: BreakerReason }) => {
      if (context.replicaId === null) return;
      const retryAfterMs = params.to === 'open' && context.openUntil !== null && context.openedAt !== null ? context.openUntil - context.openedAt : null;
      enqueue.sendTo('shared', { type: 'shared.changed', ...params, retryAfterMs, consecutiveOpens: context.consecutiveOpens } satisfies SharedBreakerEvent);
    }),
    /** Tells listeners of this actor and the manager (by system id) about one transition. */
    report: enqueueActions(({ context, system, enqueue }, params: Transition) => {
      // Transition actions run before the target's entry bumps the epoch: report the new one.
      const changedBy = params.changedBy ?? context.replicaId ?? undefined;
      const fact: BreakerStateChanged = { type: 'breaker.stateChanged', server: context.server, epoch: context.epoch + 1, ...params };
      if (changedBy !== undefined) {
        fact.changedBy = changedBy;
        enqueue.assign({ changedBy });
      }
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
    replicaId: null,
    probeHeld: true,
    changedBy: null,
  }),
  invoke: { id: 'shared', src: 'shared', input: ({ context }) => ({ server: context.server, policy: context.policy }) },
  initial: 'closed',
  on: {
    'call.refused': { actions: 'countRefused' },
    'breaker.sharing': { actions: { type: 'markSharing', params: ({ event }) => ({ replicaId: event.replicaId }) } },
  },
  states: {
    closed: {
      description: 'Calls pass; outcomes fill the sliding window until the failure or slow-call rate is reached.',
      entry: 'bumpEpoch',
      always: decided('open'),
      on: {
        ...recording('closed'),
        'breaker.reset': { actions: ['markClosed', 'bumpEpoch', { type: 'share', params: { to: 'closed', reason: 'manualReset' } }] },
        'breaker.remoteOpened': remote<'markRemoteOpened', OpenedEvent>('closed', 'open', 'markRemoteOpened'),
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
            { type: 'report', params: ({ context }) => ({ from: 'open', to: 'half-open', reason: 'openTimeout', at: context.openUntil ?? 0 }) },
            { type: 'share', params: { to: 'half-open', reason: 'openTimeout' } },
          ],
        },
      },
      on: {
        // Outcomes arriving while open are late by definition; they are only counted.
        ...recording('open'),
        'breaker.reset': {
          target: 'closed',
          actions: [
            'markClosed',
            { type: 'report', params: ({ event }) => ({ from: 'open', to: 'closed', reason: 'manualReset', at: event.at }) },
            { type: 'share', params: { to: 'closed', reason: 'manualReset' } },
          ],
        },
        // A newer opening elsewhere (another round): the open duration starts again with its length.
        'breaker.remoteOpened': { target: 'open', reenter: true, actions: { type: 'markRemoteOpened', params: ({ event }) => event } },
        'breaker.remoteHalfOpened': remote('open', 'half-open', 'markRemoteHalfOpen'),
        'breaker.remoteClosed': remote('open', 'closed', 'markClosed'),
      },
    },
    'half-open': {
      description: 'A limited number of probe calls pass; the rest are refused, never queued.',
      entry: ['bumpEpoch', 'askProbe'],
      always: [decided('open'), decided('closed')],
      after: {
        halfOpenMaxWait: {
          target: 'open',
          actions: [
            { type: 'report', params: ({ context }) => ({ from: 'half-open', to: 'open', reason: 'halfOpenTimeout', at: halfOpenDeadline(context) }) },
            { type: 'markOpened', params: ({ context }) => ({ at: halfOpenDeadline(context) }) },
            { type: 'share', params: { to: 'open', reason: 'halfOpenTimeout' } },
          ],
        },
      },
      on: {
        'call.acquire': [{ guard: 'hasPermitLeft', actions: { type: 'grantPermit', params: ({ event }) => ({ requestId: event.requestId }) } }, { actions: 'countRefused' }],
        ...recording('half-open'),
        'breaker.reset': {
          target: 'closed',
          actions: [
            'markClosed',
            { type: 'report', params: ({ event }) => ({ from: 'half-open', to: 'closed', reason: 'manualReset', at: event.at }) },
            { type: 'share', params: { to: 'closed', reason: 'manualReset' } },
          ],
        },
        'breaker.probeGranted': { guard: { type: 'isThisRound', params: ({ event }) => ({ epoch: event.epoch }) }, actions: 'grantProbe' },
        'breaker.remoteOpened': remote<'markRemoteOpened', OpenedEvent>('half-open', 'open', 'markRemoteOpened'),
        'breaker.remoteClosed': remote('half-open', 'closed', 'markClosed'),
      },
    },
  },
});

function halfOpenDeadline(context: BreakerContext): number {
  return (context.halfOpenSince ?? 0) + context.policy.maxWaitDurationInHalfOpenMs;
}
