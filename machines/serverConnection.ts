import { assign, emit, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import { computeBackoffDelay, nextRandom } from './backoff.js';
import { MANAGER_SYSTEM_ID } from './circuitBreaker.js';
import type {
  ConnectionContext,
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ServerCatalogListed,
  SessionLossReason,
  SessionCommand,
} from './connectionTypes.js';
import type { CatalogKind, ErrorInfo, ServerCatalog, ServerFacts } from './types.js';
import {
  announce,
  attemptOf,
  CONNECT_TIMED_OUT,
  CONNECT_TIMEOUT,
  errorOf,
  HEALTH_FAILED,
  LOST,
  manualReconnect,
  prunedLog,
  STALE,
  stateChanged,
  type Announcement,
} from './connectionTransitions.js';

export type * from './connectionTypes.js';
export { connectionStateOf } from './connectionTransitions.js';

/**
 * A connect that keeps showing life (`session.progressed`: a stdio server writing to stderr while
 * npx downloads or it starts) waits `connectTimeoutMs` after the last sign, up to this many times
 * `connectTimeoutMs` from the attempt's start in all; a silent one still times out at `connectTimeoutMs`.
 */
export const CONNECT_PATIENCE = 3;

/**
 * One MCP server connection (research/reliability.md §2.5): `disconnected` (`idle`, `backoff`) →
 * `connecting` → `connected` → … and `error`. `connected` means initialized and the catalog
 * listed. The SDK client lives in the `session` actor that the runtime supplies; this machine only
 * decides, and tells the session what to do with `session.*` and `call.*` commands. Events from an
 * earlier attempt are dropped by the first transition of each `session.*` handler.
 */

export const serverConnectionMachine = setup({
  types: {} as { context: ConnectionContext; events: ConnectionEvent; input: ConnectionInput; emitted: ConnectionEmitted },
  actors: {
    /** Owns the SDK Client and transport; supplied by the runtime with `.provide()`. */
    session: fromCallback<SessionCommand, { server: string }>(() => {
      throw new Error('the session actor is not provided: supply it with serverConnectionMachine.provide()');
    }),
  },
  guards: {
    isCurrentAttempt: ({ context }, params: { attemptId: number }) => params.attemptId === context.attemptId,
    isStaleAttempt: ({ context }, params: { attemptId: number }) => params.attemptId !== context.attemptId,
    isNonRetryable: (_, params: { error: ErrorInfo }) => params.error.retryable === false,
    isAttemptLimitReached: ({ context }) => context.policy.reconnect.maxAttempts > 0 && context.attempt + 1 >= context.policy.reconnect.maxAttempts,
    isSessionExpired: (_, params: { reason: SessionLossReason }) => params.reason === 'expired',
    isCrashLoop: ({ context }, params: { at: number }) => prunedLog(context, params.at).length > context.policy.reconnect.restartIntensity,
    isHealthCheckEnabled: ({ context }) => context.policy.health.intervalMs > 0,
    isIdleStopEnabled: ({ context }) => context.policy.idleTimeoutMs > 0,
    isHealthThresholdReached: ({ context }) => context.healthFailures + 1 >= context.policy.health.failureThreshold,
    isReconnectWaitEnabled: ({ context }) => context.policy.waitForReconnectMs > 0,
    /** A sign of life of the current attempt, before its patience ran out. */
    canExtendConnect: ({ context }, params: { attemptId: number; elapsedMs: number }) =>
      params.attemptId === context.attemptId && params.elapsedMs < CONNECT_PATIENCE * context.policy.connectTimeoutMs,
  },
  delays: {
    connectTimeout: ({ context }) => context.connectWindowMs,
    authorizeTimeout: ({ context }) => context.policy.connectTimeoutMs * 30,
    retryDelay: ({ context }) => context.retryInMs ?? context.policy.reconnect.minMs,
    stableAfter: ({ context }) => context.policy.reconnect.stableAfterMs,
    healthInterval: ({ context }) => Math.max(1, context.policy.health.intervalMs),
    healthTimeout: ({ context }) => context.policy.health.timeoutMs,
    toolsRefreshDebounce: ({ context }) => context.policy.toolsRefreshDebounceMs,
    idleTimeout: ({ context }) => Math.max(1, context.policy.idleTimeoutMs),
  },
  actions: {
    openSession: enqueueActions(({ context, enqueue }) => {
      const attemptId = context.attemptId + 1;
      enqueue.assign({ attemptId, connectWindowMs: context.policy.connectTimeoutMs });
      enqueue.sendTo('session', { type: 'session.open', attemptId } satisfies SessionCommand);
    }),
    activateSession: sendTo('session', ({ context }) => ({ type: 'session.activate', attemptId: context.attemptId }) satisfies SessionCommand),
    closeSession: enqueueActions(({ context, enqueue }) => {
      // Before the first attempt there is nothing to close (and a session actor that failed to
      // start would only be sent an event it can no longer take).
      if (context.attemptId > 0) enqueue.sendTo('session', { type: 'session.close', error: context.lastError, retryInMs: context.retryInMs } satisfies SessionCommand);
    }),
    probeSession: sendTo('session', ({ context }) => ({ type: 'session.probe', attemptId: context.attemptId }) satisfies SessionCommand),
    relist: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('session', { type: 'session.relist', attemptId: context.attemptId, kinds: context.staleKinds } satisfies SessionCommand);
      enqueue.assign({ staleKinds: [] });
    }),
    markStale: assign({ staleKinds: ({ context }, params: { kind: CatalogKind }) => (context.staleKinds.includes(params.kind) ? context.staleKinds : [...context.staleKinds, params.kind]) }),
    dispatchCall: sendTo('session', (_, params: { requestIds: string[] }) => ({ type: 'call.dispatch', requestIds: params.requestIds }) satisfies SessionCommand),
    holdCall: sendTo('session', (_, params: { requestIds: string[] }) => ({ type: 'call.hold', requestIds: params.requestIds }) satisfies SessionCommand),
    refuseCall: sendTo('session', ({ context }, params: { requestIds: string[] }) => ({
      type: 'call.refuse',
      requestIds: params.requestIds,
      error: context.lastError,
      retryInMs: context.retryInMs,
    }) satisfies SessionCommand),
    /** The session holds each call for the retry, or refuses it (its deadline, the breaker, the due time decide). */
    waitCall: sendTo('session', ({ context }, params: { requestIds: string[] }) => ({
      type: 'call.wait',
      requestIds: params.requestIds,
      error: context.lastError,
      withinMs: context.policy.waitForReconnectMs,
    }) satisfies SessionCommand),
    /** The connect waits `connectTimeoutMs` from this sign of life, but not past its patience. */
    extendConnect: assign({
      connectWindowMs: ({ context }, params: { elapsedMs: number }) =>
        Math.max(1, Math.min(context.policy.connectTimeoutMs, CONNECT_PATIENCE * context.policy.connectTimeoutMs - params.elapsedMs)),
    }),
    resetConnectWindow: assign({ connectWindowMs: ({ context }) => context.policy.connectTimeoutMs }),
    rememberError: assign({ lastError: (_, params: { error: ErrorInfo }) => params.error }),
    rememberTimeout: assign({ lastError: CONNECT_TIMEOUT }),
    rememberHealthFailure: assign({ lastError: HEALTH_FAILED }),
    /** Draws the next full-jitter delay and counts the failure. */
    scheduleRetry: assign(({ context }, params: { error: ErrorInfo | null }) => {
      const { value, seed } = nextRandom(context.seed);
      return { seed, retryInMs: computeBackoffDelay(context.attempt, context.policy.reconnect, value, params.error?.retryAfterMs), attempt: context.attempt + 1 };
    }),
    recordCrash: assign({ restartLog: ({ context }, params: { at: number }) => prunedLog(context, params.at) }),
    resetSupervision: assign({ attempt: 0, restartLog: [], lastError: null, retryInMs: null }),
    resetAttempts: assign({ attempt: 0 }),
    markConnected: assign(({ context }, params: { at: number; facts: ServerFacts; toolsCount: number }) => ({
      connectedAt: params.at,
      reconnects: context.everConnected ? context.reconnects + 1 : context.reconnects,
      everConnected: true,
      facts: params.facts,
      toolsCount: params.toolsCount,
      lastError: null,
      retryInMs: null,
      healthFailures: 0,
    })),
    markDisconnected: assign({ connectedAt: null }),
    clearStale: assign({ staleKinds: [] }),
    countHealthFailure: assign({ healthFailures: ({ context }) => context.healthFailures + 1 }),
    clearHealthFailures: assign({ healthFailures: 0 }),
    /** Hands the freshly listed catalog to the manager, which keeps the one copy of it. */
    reportCatalog: enqueueActions(({ context, system, enqueue }, params: { catalog: Partial<ServerCatalog> }) => {
      if (params.catalog.tools) enqueue.assign({ toolsCount: params.catalog.tools.length });
      const manager = system.get(MANAGER_SYSTEM_ID);
      const fact: ServerCatalogListed = { type: 'server.catalogListed', server: context.server, catalog: params.catalog, facts: context.facts };
      if (manager) enqueue.sendTo(manager, fact);
    }),
    /** Tells listeners of this actor and the manager (by system id) about one transition. */
    report: enqueueActions(({ context, system, enqueue }, params: Announcement) => {
      const fact = stateChanged(context, params);
      enqueue(emit(fact));
      const manager = system.get(MANAGER_SYSTEM_ID);
      if (manager) enqueue.sendTo(manager, fact);
    }),
  },
}).createMachine({
  id: 'serverConnection',
  context: ({ input }) => ({
    server: input.server,
    policy: input.policy,
    seed: input.seed,
    attempt: 0,
    attemptId: 0,
    retryInMs: null,
    restartLog: [],
    lastError: null,
    connectedAt: null,
    reconnects: 0,
    everConnected: false,
    healthFailures: 0,
    facts: null,
    toolsCount: 0,
    staleKinds: [],
    connectWindowMs: input.policy.connectTimeoutMs,
  }),
  invoke: { id: 'session', src: 'session', input: ({ context }) => ({ server: context.server }) },
  initial: 'disconnected',
  states: {
    disconnected: {
      description: 'No session: either idle (not started, or stopped when idle) or backing off before the next attempt.',
      initial: 'idle',
      states: {
        idle: {
          entry: 'closeSession',
          on: {
            'server.connect': { target: '#serverConnection.connecting', actions: announce('disconnected', 'connecting', 'start') },
            'tool.call': {
              target: '#serverConnection.connecting',
              actions: [{ type: 'holdCall', params: ({ event }) => ({ requestIds: event.requestIds }) }, announce('disconnected', 'connecting', 'call')],
            },
          },
        },
        backoff: {
          description:
            'Waits a full-jitter delay; a call waits for the retry when it is due within admission.waitForReconnectMs and the call\'s deadline, else it is refused at once with ServerUnavailable.',
          tags: ['settled'],
          entry: 'closeSession',
          after: { retryDelay: { target: '#serverConnection.connecting', actions: announce('disconnected', 'connecting', 'retry') } },
          on: {
            'tool.call': [
              { guard: 'isReconnectWaitEnabled', actions: { type: 'waitCall', params: ({ event }) => ({ requestIds: event.requestIds }) } },
              { actions: { type: 'refuseCall', params: ({ event }) => ({ requestIds: event.requestIds }) } },
            ],
          },
        },
      },
      on: { 'server.reconnect': manualReconnect('disconnected') },
    },
    connecting: {
      description: 'A fresh client initializes and lists its catalog; calls wait within their deadlines.',
      entry: 'openSession',
      initial: 'initializing',
      states: {
        initializing: {
          description:
            'Spawn or connect, initialize, list the catalog, within timeouts.connectMs; a server that shows life (stderr) gets timeouts.connectMs from its last sign, up to 3 × timeouts.connectMs in all.',
          after: { connectTimeout: CONNECT_TIMED_OUT },
          on: {
            'session.authorizing': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'authorizing' },
            'session.progressed': {
              guard: { type: 'canExtendConnect', params: ({ event }) => ({ attemptId: event.attemptId, elapsedMs: event.elapsedMs }) },
              target: 'initializing',
              reenter: true,
              actions: { type: 'extendConnect', params: ({ event }) => ({ elapsedMs: event.elapsedMs }) },
            },
          },
        },
        authorizing: {
          description: 'OAuth: waiting for the consent of the user (the redirect), within timeouts.connectMs × 30.',
          after: { authorizeTimeout: CONNECT_TIMED_OUT },
          on: { 'session.authorized': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'initializing', actions: 'resetConnectWindow' } },
        },
      },
      on: {
        'server.reconnect': manualReconnect('connecting'),
        'tool.call': { actions: { type: 'holdCall', params: ({ event }) => ({ requestIds: event.requestIds }) } },
        'session.ready': [
          STALE,
          {
            target: 'connected',
            actions: [
              { type: 'markConnected', params: ({ event }) => ({ at: event.at, facts: event.facts, toolsCount: event.catalog.tools.length }) },
              { type: 'reportCatalog', params: ({ event }) => ({ catalog: event.catalog }) },
              announce('connecting', 'connected', 'ready'),
            ],
          },
        ],
        'session.failed': [
          STALE,
          { guard: { type: 'isNonRetryable', params: errorOf }, target: 'error', actions: [{ type: 'rememberError', params: errorOf }, announce('connecting', 'error', 'nonRetryable')] },
          { guard: 'isAttemptLimitReached', target: 'error', actions: [{ type: 'rememberError', params: errorOf }, announce('connecting', 'error', 'maxAttempts')] },
          {
            target: 'disconnected.backoff',
            actions: [{ type: 'rememberError', params: errorOf }, { type: 'scheduleRetry', params: errorOf }, announce('connecting', 'disconnected', 'connectFailed')],
          },
        ],
      },
    },
    connected: {
      description: 'Initialized and listed: calls are dispatched, pings check health, list_changed relists.',
      tags: ['settled'],
      entry: 'activateSession',
      exit: ['markDisconnected', 'clearStale'],
      type: 'parallel',
      after: { stableAfter: { actions: 'resetAttempts' } },
      on: {
        'server.reconnect': manualReconnect('connected'),
        'tool.call': { actions: { type: 'dispatchCall', params: ({ event }) => ({ requestIds: event.requestIds }) } },
        'session.lost': LOST,
      },
      states: {
        activity: {
          description: 'With an idle timeout, a server without calls for that long is stopped; the next call starts it again.',
          initial: 'quiet',
          states: {
            quiet: {
              after: { idleTimeout: { guard: 'isIdleStopEnabled', target: '#serverConnection.disconnected.idle', actions: announce('connected', 'disconnected', 'idle') } },
              on: { 'session.busy': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'busy' } },
            },
            busy: { on: { 'session.idle': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'quiet' } } },
          },
        },
        health: {
          initial: 'waiting',
          states: {
            waiting: { after: { healthInterval: { guard: 'isHealthCheckEnabled', target: 'probing' } } },
            probing: {
              entry: 'probeSession',
              after: { healthTimeout: { target: 'failed' } },
              on: {
                'health.passed': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'waiting', actions: 'clearHealthFailures' },
                'health.failed': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'failed' },
              },
            },
            failed: {
              always: [
                {
                  guard: 'isHealthThresholdReached',
                  target: '#serverConnection.disconnected.backoff',
                  actions: ['rememberHealthFailure', 'countHealthFailure', { type: 'scheduleRetry', params: { error: null } }, announce('connected', 'disconnected', 'healthCheckFailed')],
                },
                { target: 'waiting', actions: 'countHealthFailure' },
              ],
            },
          },
        },
        catalog: {
          initial: 'current',
          states: {
            current: { on: { 'catalog.listChanged': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'stale', actions: { type: 'markStale', params: ({ event }) => ({ kind: event.kind }) } } } },
            stale: {
              description: 'Debounces bursts of list_changed notifications (of any kinds) into one relist of the stale kinds.',
              after: { toolsRefreshDebounce: { target: 'current', actions: 'relist' } },
              on: {
                'catalog.listChanged': { guard: { type: 'isCurrentAttempt', params: attemptOf }, target: 'stale', reenter: true, actions: { type: 'markStale', params: ({ event }) => ({ kind: event.kind }) } },
              },
            },
          },
          on: {
            'catalog.listed': { guard: { type: 'isCurrentAttempt', params: attemptOf }, actions: { type: 'reportCatalog', params: ({ event }) => ({ catalog: event.catalog }) } },
          },
        },
      },
    },
    error: {
      description: 'Given up (non-retryable failure, crash loop or attempt limit); left only by server.reconnect.',
      tags: ['settled'],
      entry: 'closeSession',
      on: {
        'tool.call': { actions: { type: 'refuseCall', params: ({ event }) => ({ requestIds: event.requestIds }) } },
        'server.reconnect': manualReconnect('error'),
      },
    },
  },
});
