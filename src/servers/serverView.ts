import type { AnyActorRef } from 'xstate';
import { breakerStatus, type BreakerContext, type BreakerState, type BreakerStatus } from '../../machines/breakerModel.js';
import { connectionStateOf, type ConnectionContext } from '../../machines/serverConnection.js';
import type { ErrorInfo, ServerFacts, ServerProtocol } from '../../machines/types.js';
import type { RuntimeServer } from '../config/schema.js';
import { cachedSecretsOf, displayTarget, redactText } from '../secrets/index.js';
import type { StderrRing } from '../protocol/index.js';

export type { ServerProtocol } from '../../machines/types.js';

/**
 * What a session's facts say about its protocol, or undefined when they do not tell both era and
 * version (no session yet): shown as an absent `protocol` key, never as null fields.
 */
export function protocolOf(facts: ServerFacts | null | undefined): ServerProtocol | undefined {
  return facts?.era && facts.protocolVersion ? { era: facts.era, version: facts.protocolVersion } : undefined;
}

/** One server as `getServer()` and the admin API show it; secrets are never part of it. */
export interface ServerStatus {
  name: string;
  state: 'disconnected' | 'connecting' | 'connected' | 'error' | 'disabled';
  /** `backoff` while waiting for the next attempt, `idle` when not started or stopped; `initializing` or `authorizing` (OAuth consent) while connecting. */
  substate?: string;
  transport: RuntimeServer['transport'];
  target: string;
  lastError: ErrorInfo | null;
  connectedAt: number | null;
  /** Successful connects after the first one. */
  reconnects: number;
  /** Delay of the pending reconnect attempt, while backing off. */
  retryInMs: number | null;
  toolsCount: number;
  breaker: BreakerStatus | null;
  serverInfo: { name: string; version: string } | null;
  capabilities: Record<string, unknown> | null;
  instructions: string | null;
  /**
   * The protocol of its session (DESIGN §15). Absent until the server first connected; like
   * `serverInfo`, it then tells the last session's while the server is disconnected.
   */
  protocol?: ServerProtocol;
  /** Last lines the server wrote to stderr (stdio only). */
  stderrTail: string;
}

/**
 * Reads a server's status from its actors' snapshots; no event is sent. Whatever the server
 * wrote (stderr) or caused (the last error) is masked with its secrets here, so a library user
 * calling `getServer()` sees what the admin API shows.
 */
export function describeServer(
  server: RuntimeServer,
  connection: AnyActorRef | undefined,
  breaker: AnyActorRef | undefined,
  stderr: StderrRing | undefined,
  now: number,
): ServerStatus {
  const secrets = cachedSecretsOf(server);
  const base = { name: server.name, transport: server.transport, target: displayTarget(server), stderrTail: redactText(stderr?.tail() ?? '', secrets) };
  if (!server.enabled || !connection) {
    return {
      ...base,
      state: 'disabled',
      lastError: null,
      connectedAt: null,
      reconnects: 0,
      retryInMs: null,
      toolsCount: 0,
      breaker: null,
      serverInfo: null,
      capabilities: null,
      instructions: null,
    };
  }
  const snapshot = connection.getSnapshot() as { value: unknown; context: ConnectionContext };
  const context = snapshot.context;
  const value = snapshot.value;
  const state = connectionStateOf(value);
  const status: ServerStatus = {
    ...base,
    state,
    lastError: context.lastError ? { ...context.lastError, message: redactText(context.lastError.message, secrets) } : null,
    connectedAt: context.connectedAt,
    reconnects: context.reconnects,
    retryInMs: context.retryInMs,
    toolsCount: context.toolsCount,
    breaker: breaker ? breakerStatus(breaker.getSnapshot().value as BreakerState, (breaker.getSnapshot() as { context: BreakerContext }).context, now) : null,
    serverInfo: context.facts?.serverInfo ?? null,
    capabilities: context.facts?.capabilities ?? null,
    instructions: context.facts?.instructions ?? null,
  };
  const protocol = protocolOf(context.facts);
  if (protocol) status.protocol = protocol;
  // `backoff`/`idle` while disconnected, `initializing`/`authorizing` while connecting.
  if ((state === 'disconnected' || state === 'connecting') && typeof value === 'object' && value !== null) status.substate = String((value as Record<string, unknown>)[state]);
  return status;
}
