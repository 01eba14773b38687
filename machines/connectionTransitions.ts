import type { ConnectionContext, ConnectionReason, ConnectionStateName, ServerStateChanged, SessionLossReason } from './connectionTypes.js';
import type { ErrorInfo } from './types.js';

/**
 * Transition fragments and pure helpers of the `serverConnection` machine, shared by several of
 * its states: plain data that names the machine's own guards and actions (so the inspector still
 * shows every name), kept here so that the machine file reads as its states.
 */

export type Announcement = { from: ConnectionStateName; to: ConnectionStateName; reason: ConnectionReason };
type AttemptEvent = { event: { attemptId: number } };
type FailureEvent = { event: { attemptId: number; at: number; error: ErrorInfo } };
type LossEvent = { event: { reason: SessionLossReason } };

export const attemptOf = ({ event }: AttemptEvent) => ({ attemptId: event.attemptId });
export const errorOf = ({ event }: FailureEvent) => ({ error: event.error });
export const announce = (from: ConnectionStateName, to: ConnectionStateName, reason: ConnectionReason) => ({ type: 'report', params: { from, to, reason } }) as const;

/** Drops an event of an earlier attempt (a late answer of a closed session). */
export const STALE = { guard: { type: 'isStaleAttempt', params: attemptOf } } as const;

/** `server.reconnect` from any state: cancel timers, forget failures, start a fresh attempt. */
export const manualReconnect = (from: ConnectionStateName) =>
  ({ target: '#serverConnection.connecting', reenter: true, actions: ['resetSupervision', announce(from, 'connecting', 'manualReconnect')] }) as const;

/**
 * A lost connected session: crash loop; a session the server forgot (`reason: 'expired'`)
 * reconnects at once; non-retryable (auth); attempt limit; else back off.
 */
export const LOST = [
  STALE,
  { guard: { type: 'isCrashLoop', params: ({ event }: FailureEvent) => ({ at: event.at }) }, target: 'error', actions: [{ type: 'rememberError', params: errorOf }, { type: 'recordCrash', params: ({ event }: FailureEvent) => ({ at: event.at }) }, announce('connected', 'error', 'crashLoop')] },
  {
    guard: { type: 'isSessionExpired', params: ({ event }: LossEvent) => ({ reason: event.reason }) },
    target: 'connecting',
    actions: [{ type: 'rememberError', params: errorOf }, { type: 'recordCrash', params: ({ event }: FailureEvent) => ({ at: event.at }) }, announce('connected', 'connecting', 'sessionExpired')],
  },
  { guard: { type: 'isNonRetryable', params: errorOf }, target: 'error', actions: [{ type: 'rememberError', params: errorOf }, announce('connected', 'error', 'authRequired')] },
  { guard: 'isAttemptLimitReached', target: 'error', actions: [{ type: 'rememberError', params: errorOf }, { type: 'recordCrash', params: ({ event }: FailureEvent) => ({ at: event.at }) }, announce('connected', 'error', 'maxAttempts')] },
  {
    target: 'disconnected.backoff',
    actions: [{ type: 'rememberError', params: errorOf }, { type: 'recordCrash', params: ({ event }: FailureEvent) => ({ at: event.at }) }, { type: 'scheduleRetry', params: errorOf }, announce('connected', 'disconnected', 'connectionLost')],
  },
] as const;

/** A connect (or an authorization) that took too long: back off, or give up at the attempt limit. */
export const CONNECT_TIMED_OUT = [
  { guard: 'isAttemptLimitReached', target: '#serverConnection.error', actions: ['rememberTimeout', announce('connecting', 'error', 'maxAttempts')] },
  {
    target: '#serverConnection.disconnected.backoff',
    actions: ['rememberTimeout', { type: 'scheduleRetry', params: { error: null } }, announce('connecting', 'disconnected', 'connectTimeout')],
  },
] as const;

export const CONNECT_TIMEOUT: ErrorInfo = { code: 'ConnectTimeout', message: 'connect timed out', retryable: true };
export const HEALTH_FAILED: ErrorInfo = { code: 'HealthCheckFailed', message: 'health check failed', retryable: true };

export function prunedLog(context: ConnectionContext, at: number): number[] {
  return [...context.restartLog.filter((t) => at - t < context.policy.reconnect.restartPeriodMs), at];
}

export function stateChanged(context: ConnectionContext, params: Announcement): ServerStateChanged {
  const fact: ServerStateChanged = { type: 'server.stateChanged', server: context.server, ...params };
  if ((params.to === 'error' || params.to === 'disconnected') && context.lastError) fact.error = context.lastError;
  if (params.to === 'disconnected' && context.retryInMs !== null) fact.retryInMs = context.retryInMs;
  // markConnected ran first in the same transition: the facts are the new session's.
  if (params.to === 'connected' && context.facts?.era && context.facts.protocolVersion) fact.protocol = { era: context.facts.era, version: context.facts.protocolVersion };
  return fact;
}

/** The top-level state name of a connection snapshot value. */
export function connectionStateOf(value: unknown): ConnectionStateName {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as ConnectionStateName;
}
