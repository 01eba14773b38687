import { assign, emit, enqueueActions, fromCallback, sendTo, setup, type AnyEventObject } from 'xstate';
import { computeBackoffDelay, nextRandom } from './backoff.js';
import type { ErrorInfo, ServerFacts, ToolInfo } from './types.js';

/**
 * One MCP server connection (research/reliability.md §2.5): `disconnected` (`idle`, `backoff`) →
 * `connecting` → `connected` → … and `error`. `connected` means initialized and the tool catalog
 * listed. The SDK client lives in the `session` actor that the runtime supplies; this machine only
 * decides, and tells the session what to do with `session.*` and `call.*` commands.
 */

/** Reconnect, timeout and health policy of one server, all durations in ms. */
export interface ConnectionPolicy {
  connectTimeoutMs: number;
  reconnect: {
    baseMs: number;
    multiplier: number;
    minMs: number;
    maxMs: number;
    /** Consecutive failures (connect or crash) before `error`; 0 = unlimited. */
    maxAttempts: number;
    stableAfterMs: number;
    restartIntensity: number;
    restartPeriodMs: number;
  };
  health: { intervalMs: number; timeoutMs: number; failureThreshold: number };
  /** Debounce for `notifications/tools/list_changed`. */
  toolsRefreshDebounceMs: number;
  /** Stop the server after this long without calls; 0 = never. */
  idleTimeoutMs: number;
}

export interface ConnectionInput {
  server: string;
  policy: ConnectionPolicy;
  /** Seed of the backoff jitter; the runtime draws it at random, tests fix it. */
  seed: number;
}

export type ConnectionStateName = 'disconnected' | 'connecting' | 'connected' | 'error';

export type ConnectionReason =
  | 'start'
  | 'call'
  | 'ready'
  | 'connectFailed'
  | 'connectTimeout'
  | 'nonRetryable'
  | 'maxAttempts'
  | 'connectionLost'
  | 'healthCheckFailed'
  | 'crashLoop'
  | 'retry'
  | 'manualReconnect'
  | 'sessionExpired'
  | 'idle'
  | 'stopped';

export interface ConnectionContext {
  server: string;
  policy: ConnectionPolicy;
  seed: number;
  /** Consecutive failures since the last stable period: the backoff exponent. */
  attempt: number;
  /** Identifies the current session attempt, so late answers from an old one are ignored. */
  attemptId: number;
  retryInMs: number | null;
  /** Times of unrequested losses of a connected session, for crash-loop detection. */
  restartLog: number[];
  lastError: ErrorInfo | null;
  connectedAt: number | null;
  reconnects: number;
  everConnected: boolean;
  healthFailures: number;
  facts: ServerFacts | null;
  toolsCount: number;
}

export type ConnectionEvent =
  | { type: 'server.connect' }
  | { type: 'server.reconnect' }
  | { type: 'server.disconnect' }
  /** Calls for this server, coalesced by the facade per microtask (one event for a burst). */
  | { type: 'tool.call'; requestIds: string[]; server: string }
  | { type: 'session.ready'; attemptId: number; at: number; facts: ServerFacts; tools: ToolInfo[] }
  | { type: 'session.failed'; attemptId: number; at: number; error: ErrorInfo }
  | { type: 'session.lost'; attemptId: number; at: number; error: ErrorInfo }
  /** The server forgot the session (HTTP 400/404 on a request with a session id): re-initialize now. */
  | { type: 'session.expired'; attemptId: number; at: number; error: ErrorInfo }
  /** Calls started (busy) or the last one ended (idle); sent only when an idle timeout is set. */
  | { type: 'session.busy'; attemptId: number }
  | { type: 'session.idle'; attemptId: number }
  | { type: 'tools.listChanged'; attemptId: number }
  | { type: 'tools.listed'; attemptId: number; tools: ToolInfo[] }
  | { type: 'health.passed'; attemptId: number }
  | { type: 'health.failed'; attemptId: number; error: ErrorInfo };

/** Commands the machine sends to its session actor. */
export type SessionCommand =
  | { type: 'session.open'; attemptId: number }
  | { type: 'session.activate'; attemptId: number }
  | { type: 'session.close'; error: ErrorInfo | null; retryInMs: number | null }
  | { type: 'session.ping'; attemptId: number }
  | { type: 'session.listTools'; attemptId: number }
  | { type: 'call.dispatch'; requestIds: string[] }
  | { type: 'call.hold'; requestIds: string[] }
  | { type: 'call.refuse'; requestIds: string[]; error: ErrorInfo | null; retryInMs: number | null };

export interface ServerStateChanged {
  type: 'server.stateChanged';
  server: string;
  from: ConnectionStateName;
  to: ConnectionStateName;
  reason: ConnectionReason;
  error?: ErrorInfo;
  retryInMs?: number;
}

export interface ServerToolsListed {
  type: 'server.toolsListed';
  server: string;
  tools: ToolInfo[];
  facts: ServerFacts | null;
}

export type ConnectionEmitted = ServerStateChanged | ServerToolsListed;

type Announcement = { from: ConnectionStateName; to: ConnectionStateName; reason: ConnectionReason; error?: ErrorInfo };

function errorOf(event: AnyEventObject): ErrorInfo | undefined {
  return 'error' in event ? (event.error as ErrorInfo) : undefined;
}

function isCurrent(context: ConnectionContext, event: AnyEventObject): boolean {
  return 'attemptId' in event && event.attemptId === context.attemptId;
}

function prunedLog(context: ConnectionContext, at: number): number[] {
  return [...context.restartLog.filter((t) => at - t < context.policy.reconnect.restartPeriodMs), at];
}

/** `server.reconnect` from any state: cancel timers, forget failures, start a fresh attempt. */
const MANUAL_RECONNECT = {
  target: '#serverConnection.connecting',
  reenter: true,
  actions: ['resetSupervision', 'announceManualReconnect'],
} as const;

/** Too many unrequested losses within the restart period: give up (Erlang's intensity/period). */
const CRASH_LOOP = {
  guard: 'isCrashLoop',
  target: 'error',
  actions: ['rememberError', 'recordCrash', { type: 'announce', params: { from: 'connected', to: 'error', reason: 'crashLoop' } }],
} as const;

const CONNECT_TIMEOUT: ErrorInfo = { code: 'ConnectTimeout', message: 'connect timed out', retryable: true };
const HEALTH_FAILED: ErrorInfo = { code: 'HealthCheckFailed', message: 'health check failed', retryable: true };

export const serverConnectionMachine = setup({
  types: {} as {
    context: ConnectionContext;
    events: ConnectionEvent;
    input: ConnectionInput;
    emitted: ConnectionEmitted;
  },
  actors: {
    /** Owns the SDK Client and transport; supplied by the runtime with `.provide()`. */
    session: fromCallback<SessionCommand, { server: string }>(() => undefined),
  },
  guards: {
    isCurrentAttempt: ({ context, event }) => isCurrent(context, event),
    isNonRetryable: ({ context, event }) => isCurrent(context, event) && errorOf(event)?.retryable === false,
    isAttemptLimitReached: ({ context, event }) =>
      (event.type === 'session.failed' ? isCurrent(context, event) : true) &&
      context.policy.reconnect.maxAttempts > 0 &&
      context.attempt + 1 >= context.policy.reconnect.maxAttempts,
    isCrashLoop: ({ context, event }) =>
      (event.type === 'session.lost' || event.type === 'session.expired') &&
      isCurrent(context, event) &&
      prunedLog(context, event.at).length > context.policy.reconnect.restartIntensity,
    isHealthCheckEnabled: ({ context }) => context.policy.health.intervalMs > 0,
    isIdleStopEnabled: ({ context }) => context.policy.idleTimeoutMs > 0,
    isHealthThresholdReached: ({ context }) => context.healthFailures + 1 >= context.policy.health.failureThreshold,
  },
  delays: {
    connectTimeout: ({ context }) => context.policy.connectTimeoutMs,
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
      enqueue.assign({ attemptId });
      enqueue.sendTo('session', { type: 'session.open', attemptId } satisfies SessionCommand);
    }),
    activateSession: sendTo('session', ({ context }) => ({ type: 'session.activate', attemptId: context.attemptId }) satisfies SessionCommand),
    closeSession: sendTo('session', ({ context }) => ({ type: 'session.close', error: context.lastError, retryInMs: context.retryInMs }) satisfies SessionCommand),
    pingSession: sendTo('session', ({ context }) => ({ type: 'session.ping', attemptId: context.attemptId }) satisfies SessionCommand),
    listTools: sendTo('session', ({ context }) => ({ type: 'session.listTools', attemptId: context.attemptId }) satisfies SessionCommand),
    dispatchCall: sendTo('session', ({ event }) => ({ type: 'call.dispatch', requestIds: requestIdsOf(event) }) satisfies SessionCommand),
    holdCall: sendTo('session', ({ event }) => ({ type: 'call.hold', requestIds: requestIdsOf(event) }) satisfies SessionCommand),
    refuseCall: sendTo('session', ({ context, event }) => ({
      type: 'call.refuse',
      requestIds: requestIdsOf(event),
      error: context.lastError,
      retryInMs: context.retryInMs,
    }) satisfies SessionCommand),
    rememberError: assign({ lastError: ({ event }) => errorOf(event) ?? null }),
    rememberTimeout: assign({ lastError: CONNECT_TIMEOUT }),
    rememberHealthFailure: assign({ lastError: ({ event }) => errorOf(event) ?? HEALTH_FAILED }),
    /** Draws the next full-jitter delay and counts the failure. */
    scheduleRetry: assign(({ context, event }) => {
      const { value, seed } = nextRandom(context.seed);
      const retryAfterMs = errorOf(event)?.retryAfterMs;
      return {
        seed,
        retryInMs: computeBackoffDelay(context.attempt, context.policy.reconnect, value, retryAfterMs),
        attempt: context.attempt + 1,
      };
    }),
    clearRetry: assign({ retryInMs: null }),
    recordCrash: assign({
      restartLog: ({ context, event }) =>
        event.type === 'session.lost' || event.type === 'session.expired' ? prunedLog(context, event.at) : context.restartLog,
    }),
    resetSupervision: assign({ attempt: 0, restartLog: [], lastError: null, retryInMs: null }),
    resetAttempts: assign({ attempt: 0 }),
    markConnected: assign(({ context, event }) => {
      if (event.type !== 'session.ready') return {};
      return {
        connectedAt: event.at,
        reconnects: context.everConnected ? context.reconnects + 1 : context.reconnects,
        everConnected: true,
        facts: event.facts,
        toolsCount: event.tools.length,
        lastError: null,
        retryInMs: null,
        healthFailures: 0,
      };
    }),
    markDisconnected: assign({ connectedAt: null }),
    countHealthFailure: assign({ healthFailures: ({ context }) => context.healthFailures + 1 }),
    clearHealthFailures: assign({ healthFailures: 0 }),
    reportTools: enqueueActions(({ context, event, self, enqueue }) => {
      if (event.type !== 'session.ready' && event.type !== 'tools.listed') return;
      enqueue.assign({ toolsCount: event.tools.length });
      const fact: ServerToolsListed = { type: 'server.toolsListed', server: context.server, tools: event.tools, facts: context.facts };
      enqueue(emit(fact));
      if (self._parent) enqueue.sendParent(fact);
    }),
    /** Tells listeners and the parent (the manager relays it) about one transition. */
    /** Manual reconnect may start anywhere: `self` still holds the state being left. */
    announceManualReconnect: enqueueActions(({ context, event, self, enqueue }) => {
      const fact = stateChanged(context, event, { from: connectionStateOf(self.getSnapshot().value), to: 'connecting', reason: 'manualReconnect' });
      enqueue(emit(fact));
      if (self._parent) enqueue.sendParent(fact);
    }),
    /** Tells listeners and the parent (the manager relays it) about one transition. */
    announce: enqueueActions(({ context, event, self, enqueue }, params: Announcement) => {
      const fact = stateChanged(context, event, params);
      enqueue(emit(fact));
      if (self._parent) enqueue.sendParent(fact);
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
  }),
  invoke: { id: 'session', src: 'session', input: ({ context }) => ({ server: context.server }) },
  initial: 'disconnected',
  states: {
    disconnected: {
      description: 'No session: either idle (not started, or stopped on purpose) or backing off before the next attempt.',
      initial: 'idle',
      states: {
        idle: {
          entry: 'closeSession',
          on: {
            'server.connect': {
              target: '#serverConnection.connecting',
              actions: { type: 'announce', params: { from: 'disconnected', to: 'connecting', reason: 'start' } },
            },
            'tool.call': {
              target: '#serverConnection.connecting',
              actions: ['holdCall', { type: 'announce', params: { from: 'disconnected', to: 'connecting', reason: 'call' } }],
            },
          },
        },
        backoff: {
          description: 'Waits a full-jitter delay; calls are refused at once with ServerUnavailable.',
          entry: 'closeSession',
          after: {
            retryDelay: {
              target: '#serverConnection.connecting',
              actions: { type: 'announce', params: { from: 'disconnected', to: 'connecting', reason: 'retry' } },
            },
          },
          on: {
            'tool.call': { actions: 'refuseCall' },
            'server.connect': {
              target: '#serverConnection.connecting',
              actions: ['resetSupervision', { type: 'announce', params: { from: 'disconnected', to: 'connecting', reason: 'manualReconnect' } }],
            },
          },
        },
      },
      on: {
        'server.disconnect': { target: '.idle', actions: ['resetSupervision'] },
        'server.reconnect': MANUAL_RECONNECT,
      },
    },
    connecting: {
      description: 'A fresh client initializes and lists its tools; calls wait within their deadlines.',
      entry: 'openSession',
      after: {
        connectTimeout: [
          {
            guard: 'isAttemptLimitReached',
            target: 'error',
            actions: ['rememberTimeout', { type: 'announce', params: { from: 'connecting', to: 'error', reason: 'maxAttempts' } }],
          },
          {
            target: 'disconnected.backoff',
            actions: ['rememberTimeout', 'scheduleRetry', { type: 'announce', params: { from: 'connecting', to: 'disconnected', reason: 'connectTimeout' } }],
          },
        ],
      },
      on: {
        'server.reconnect': MANUAL_RECONNECT,
        'tool.call': { actions: 'holdCall' },
        'session.ready': {
          guard: 'isCurrentAttempt',
          target: 'connected',
          actions: ['markConnected', 'reportTools', { type: 'announce', params: { from: 'connecting', to: 'connected', reason: 'ready' } }],
        },
        'session.failed': [
          {
            guard: 'isNonRetryable',
            target: 'error',
            actions: ['rememberError', { type: 'announce', params: { from: 'connecting', to: 'error', reason: 'nonRetryable' } }],
          },
          {
            guard: 'isAttemptLimitReached',
            target: 'error',
            actions: ['rememberError', { type: 'announce', params: { from: 'connecting', to: 'error', reason: 'maxAttempts' } }],
          },
          {
            guard: 'isCurrentAttempt',
            target: 'disconnected.backoff',
            actions: ['rememberError', 'scheduleRetry', { type: 'announce', params: { from: 'connecting', to: 'disconnected', reason: 'connectFailed' } }],
          },
        ],
        'server.disconnect': {
          target: 'disconnected.idle',
          actions: ['resetSupervision', { type: 'announce', params: { from: 'connecting', to: 'disconnected', reason: 'stopped' } }],
        },
      },
    },
    connected: {
      description: 'Initialized and listed: calls are dispatched, pings check health, list_changed relists.',
      entry: 'activateSession',
      exit: 'markDisconnected',
      type: 'parallel',
      after: { stableAfter: { actions: 'resetAttempts' } },
      on: {
        'server.reconnect': MANUAL_RECONNECT,
        'tool.call': { actions: 'dispatchCall' },
        'session.lost': [
          CRASH_LOOP,
          {
            guard: 'isAttemptLimitReached',
            target: 'error',
            actions: ['rememberError', 'recordCrash', { type: 'announce', params: { from: 'connected', to: 'error', reason: 'maxAttempts' } }],
          },
          {
            guard: 'isCurrentAttempt',
            target: 'disconnected.backoff',
            actions: ['rememberError', 'recordCrash', 'scheduleRetry', { type: 'announce', params: { from: 'connected', to: 'disconnected', reason: 'connectionLost' } }],
          },
        ],
        'session.expired': [
          CRASH_LOOP,
          {
            guard: 'isCurrentAttempt',
            target: 'connecting',
            actions: ['rememberError', 'recordCrash', { type: 'announce', params: { from: 'connected', to: 'connecting', reason: 'sessionExpired' } }],
          },
        ],
        'server.disconnect': {
          target: 'disconnected.idle',
          actions: ['resetSupervision', 'clearRetry', { type: 'announce', params: { from: 'connected', to: 'disconnected', reason: 'stopped' } }],
        },
      },
      states: {
        activity: {
          description: 'With an idle timeout, a server without calls for that long is stopped; the next call starts it again.',
          initial: 'quiet',
          states: {
            quiet: {
              after: {
                idleTimeout: {
                  guard: 'isIdleStopEnabled',
                  target: '#serverConnection.disconnected.idle',
                  actions: { type: 'announce', params: { from: 'connected', to: 'disconnected', reason: 'idle' } },
                },
              },
              on: { 'session.busy': { guard: 'isCurrentAttempt', target: 'busy' } },
            },
            busy: {
              on: { 'session.idle': { guard: 'isCurrentAttempt', target: 'quiet' } },
            },
          },
        },
        health: {
          initial: 'waiting',
          states: {
            waiting: {
              after: { healthInterval: { guard: 'isHealthCheckEnabled', target: 'probing' } },
            },
            probing: {
              entry: 'pingSession',
              after: { healthTimeout: { target: 'failed' } },
              on: {
                'health.passed': { guard: 'isCurrentAttempt', target: 'waiting', actions: 'clearHealthFailures' },
                'health.failed': { guard: 'isCurrentAttempt', target: 'failed' },
              },
            },
            failed: {
              always: [
                {
                  guard: 'isHealthThresholdReached',
                  target: '#serverConnection.disconnected.backoff',
                  actions: [
                    'rememberHealthFailure',
                    'countHealthFailure',
                    'scheduleRetry',
                    { type: 'announce', params: { from: 'connected', to: 'disconnected', reason: 'healthCheckFailed' } },
                  ],
                },
                { target: 'waiting', actions: 'countHealthFailure' },
              ],
            },
          },
        },
        catalog: {
          initial: 'current',
          states: {
            current: {
              on: { 'tools.listChanged': { guard: 'isCurrentAttempt', target: 'stale' } },
            },
            stale: {
              description: 'Debounces bursts of list_changed notifications into one relist.',
              after: { toolsRefreshDebounce: { target: 'current', actions: 'listTools' } },
              on: { 'tools.listChanged': { guard: 'isCurrentAttempt', target: 'stale', reenter: true } },
            },
          },
          on: { 'tools.listed': { guard: 'isCurrentAttempt', actions: 'reportTools' } },
        },
      },
    },
    error: {
      description: 'Given up (non-retryable failure, crash loop or attempt limit); left only by server.reconnect.',
      entry: 'closeSession',
      on: { 'tool.call': { actions: 'refuseCall' }, 'server.reconnect': MANUAL_RECONNECT },
    },
  },
});

function stateChanged(context: ConnectionContext, event: AnyEventObject, params: Announcement): ServerStateChanged {
  const fact: ServerStateChanged = { type: 'server.stateChanged', server: context.server, ...params };
  const leavingWell = params.to === 'error' || params.to === 'disconnected';
  const error = params.error ?? (leavingWell ? (context.lastError ?? errorOf(event)) : undefined);
  if (error) fact.error = error;
  if (params.to === 'disconnected' && context.retryInMs !== null) fact.retryInMs = context.retryInMs;
  return fact;
}

function requestIdsOf(event: AnyEventObject): string[] {
  return 'requestIds' in event ? (event.requestIds as string[]) : [];
}

/** The top-level state name of a connection snapshot value. */
export function connectionStateOf(value: unknown): ConnectionStateName {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as ConnectionStateName;
}
