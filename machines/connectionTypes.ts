import type { CatalogKind, ErrorInfo, ServerCatalog, ServerFacts, ServerProtocol } from './types.js';

/**
 * The vocabulary of the `serverConnection` machine: its policy, context, the events it takes,
 * the commands it sends its session actor and the facts it reports. Plain JSON throughout.
 */

/** Why a live session ended: the server forgot it (`expired`), or it closed, crashed or stopped answering. */
export type SessionLossReason = 'expired' | 'closed';

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
  /**
   * A call in `backoff` may wait for the retry when it is due within this long (`admission.
   * waitForReconnectMs`; the session also checks the call's own deadline); 0 = refuse at once.
   */
  waitForReconnectMs: number;
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
  | 'authRequired'
  | 'actorFailed';

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
  /** Kinds announced by list_changed and waiting for the debounced relist. */
  staleKinds: CatalogKind[];
  /**
   * How long the connect waits from now for a sign of life: `connectTimeoutMs`, restarted by each
   * `session.progressed` but never past `CONNECT_PATIENCE` × `connectTimeoutMs` from the attempt's start.
   */
  connectWindowMs: number;
}

export type ConnectionEvent =
  | { type: 'server.connect' }
  | { type: 'server.reconnect' }
  /** Calls for this server, coalesced by the facade per microtask (one event for a burst). */
  | { type: 'tool.call'; requestIds: string[]; server: string }
  | { type: 'session.ready'; attemptId: number; at: number; facts: ServerFacts; catalog: ServerCatalog }
  | { type: 'session.failed'; attemptId: number; at: number; error: ErrorInfo }
  /**
   * The connecting server showed life (a stdio server wrote to stderr: npx downloading, a banner),
   * `elapsedMs` after its attempt began; sent at most about once a second.
   */
  | { type: 'session.progressed'; attemptId: number; elapsedMs: number }
  /** OAuth consent is being waited for (the authorize callback or the loopback redirect), and got. */
  | { type: 'session.authorizing'; attemptId: number }
  | { type: 'session.authorized'; attemptId: number }
  /**
   * The live session is gone. `expired`: the server forgot it (e.g. HTTP 400/404 on a request that
   * carried a session id): reconnect at once. `closed`: it crashed, closed or stopped answering.
   */
  | { type: 'session.lost'; attemptId: number; at: number; error: ErrorInfo; reason: SessionLossReason }
  /** Calls started (busy) or the last one ended (idle); sent only when an idle timeout is set. */
  | { type: 'session.busy'; attemptId: number }
  | { type: 'session.idle'; attemptId: number }
  /** A list_changed notification for one kind of the catalog. */
  | { type: 'catalog.listChanged'; attemptId: number; kind: CatalogKind }
  /** The kinds relisted after list_changed. */
  | { type: 'catalog.listed'; attemptId: number; catalog: Partial<ServerCatalog> }
  | { type: 'health.passed'; attemptId: number }
  | { type: 'health.failed'; attemptId: number; error: ErrorInfo };

/** Commands the machine sends to its session actor. */
export type SessionCommand =
  | { type: 'session.open'; attemptId: number }
  | { type: 'session.activate'; attemptId: number }
  | { type: 'session.close'; error: ErrorInfo | null; retryInMs: number | null }
  /** Check that the live session still answers (a health probe, whatever the protocol era uses). */
  | { type: 'session.probe'; attemptId: number }
  | { type: 'session.relist'; attemptId: number; kinds: CatalogKind[] }
  | { type: 'call.dispatch'; requestIds: string[] }
  | { type: 'call.hold'; requestIds: string[] }
  | { type: 'call.refuse'; requestIds: string[]; error: ErrorInfo | null; retryInMs: number | null }
  /**
   * Calls to a server backing off: each waits for the retry when it is due within `withinMs` and
   * before the call's deadline (and the breaker is not open), or is refused as `call.refuse` says.
   */
  | { type: 'call.wait'; requestIds: string[]; error: ErrorInfo | null; withinMs: number };

export interface ServerStateChanged {
  type: 'server.stateChanged';
  server: string;
  from: ConnectionStateName;
  to: ConnectionStateName;
  reason: ConnectionReason;
  error?: ErrorInfo;
  retryInMs?: number;
  /** To `connected`: the era and negotiated version of the new session (DESIGN §15). */
  protocol?: ServerProtocol;
}

export interface ServerCatalogListed {
  type: 'server.catalogListed';
  server: string;
  /** The kinds listed (all of them after a connect, the stale ones after list_changed). */
  catalog: Partial<ServerCatalog>;
  facts: ServerFacts | null;
}

export type ConnectionEmitted = ServerStateChanged | ServerCatalogListed;
