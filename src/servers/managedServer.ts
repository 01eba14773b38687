import type { ManagedServer } from '../../machines/manager.js';
import type { RuntimeServer } from '../config/schema.js';
import type { TransportSource } from '../protocol/index.js';

/** Debounce of `notifications/tools/list_changed` bursts. */
const TOOLS_REFRESH_DEBOUNCE_MS = 100;

/**
 * What the manager needs to supervise one server: policies and a display target, no secrets
 * (the machines' context is inspected). `seed` feeds the backoff jitter; an idle timeout applies
 * only where the session can start again on its own (`restartable`: stdio, or a transport factory).
 */
export function toManagedServer(server: RuntimeServer, seed: number, restartable: boolean): ManagedServer {
  return {
    name: server.name,
    connection: {
      server: server.name,
      seed,
      policy: {
        connectTimeoutMs: server.timeouts.connectMs,
        reconnect: { ...server.reconnect },
        health: { ...server.health },
        toolsRefreshDebounceMs: TOOLS_REFRESH_DEBOUNCE_MS,
        idleTimeoutMs: restartable ? server.limits.idleTimeoutMs : 0,
        waitForReconnectMs: server.admission.waitForReconnectMs,
      },
    },
    breaker: { server: server.name, policy: { ...server.breaker } },
  };
}

/** Whether a stopped session can start again by itself (idle stop needs a fresh transport each time). */
export function restartable(server: RuntimeServer, transport: TransportSource | undefined): boolean {
  return transport ? typeof transport === 'function' : server.transport === 'stdio';
}
