import type { ToolInfo } from '../../machines/types.js';
import type { PendingCalls } from '../calls/index.js';
import type { RuntimeClock } from '../core/clock.js';
import type { EventHub } from '../events/index.js';
import type { ClosingTracker, Servers } from '../servers/index.js';
import { createAuthProvider, type Authorize, type TokenStore } from '../auth/index.js';
import { clientCapabilities, type Root, type ServerRequestHandlers } from '../protocol/index.js';
import { createSessionLogic, type SessionPorts } from './session.js';
import type { SharedHealthPort } from './attempt.js';
import { managerMachine } from '../../machines/manager.js';
import { serverConnectionMachine } from '../../machines/serverConnection.js';
import { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import type { CallbackActorLogic } from 'xstate';
import type { SharedBreakerEvent, SharedBreakerInput } from '../../machines/circuitBreaker.js';

/**
 * What the facade lends to the sessions, once; each session gets narrow ports cut from it and
 * from its server's record (gate, probe, live session, subscriptions), never a map by name.
 */
export interface PortSources {
  /** The one collection of server records. */
  servers: Servers;
  calls: PendingCalls;
  clock: RuntimeClock;
  hub: EventHub;
  closing: ClosingTracker;
  clientInfo: { name: string; version: string };
  handlers: ServerRequestHandlers | undefined;
  /** A server's tools in the one catalog (the manager's). */
  tools(name: string): readonly ToolInfo[];
  /** Routes a tool name on one server against the catalog index (see `SessionPorts.route`). */
  route(server: string, name: string): { tool: string; task: boolean } | undefined;
  /** Roots set by `setRoots`, when any. */
  roots(): Root[] | undefined;
  /** OAuth: the token store (one per switchboard) and the host's interactive step. */
  tokenStore: TokenStore;
  authorize: Authorize | undefined;
  /** The cluster's health leader (src/cluster/leader.ts), when `cluster` is configured. */
  health?: SharedHealthPort;
}

/** The ports of one server's session, cut from its record; undefined for a server without one. */
export function sessionPorts(name: string, from: PortSources): SessionPorts | undefined {
  const server = from.servers.get(name);
  if (!server) return undefined;
  const log = (level: string, message: string) => from.hub.publish({ type: 'server.log', server: name, level, message });
  // Roots set by setRoots() are declared on the next connect even without a roots handler.
  const capabilities = () => {
    const roots = from.roots();
    return clientCapabilities(roots && !from.handlers?.roots ? { ...from.handlers, roots } : from.handlers, server.config.capabilities);
  };
  return {
    server,
    calls: from.calls,
    breaker: server.gate,
    clock: from.clock,
    clientInfo: from.clientInfo,
    annotations: (tool) => from.tools(name).find((t) => t.name === tool)?.annotations,
    track: (closing) => from.closing.track(closing),
    log,
    registerProbe: (pinger) => server.registerProbe(pinger),
    get capabilities() {
      return capabilities();
    },
    serverRequests: () => ({
      server: name,
      handlers: from.handlers,
      capabilities: capabilities(),
      timeoutMs: server.config.timeouts.callMs,
      limits: server.config.limits,
      clock: from.clock,
      log,
      roots: () => from.roots(),
      redact: (text) => server.redact(text),
    }),
    // Only for uris this switchboard subscribed to (and has not let go of).
    resourceUpdated: (uri) => {
      if (server.subscriptions.has(uri)) from.hub.publish({ type: 'resource.updated', server: name, uri });
    },
    subscriptions: () => [...server.subscriptions.keys()],
    auth: (hooks) =>
      createAuthProvider(server.config, { tokenStore: from.tokenStore, ...(from.authorize ? { authorize: from.authorize } : {}), clock: from.clock, log, consent: server.consent, ...hooks }),
    onClient: (session) => server.setSession(session),
    route: (tool) => from.route(name, tool),
    ...(from.health ? { health: from.health } : {}),
  };
}

/**
 * The manager machine with the runtime's session actor provided to every connection and, with a
 * cluster (DESIGN §16), the shared breakers' actor provided to every breaker
 * (`new SharedBreakers(context, shares)`, one per switchboard; `shares` is true for http and sse
 * servers).
 */
export function supervisedLogic(from: PortSources & { breakers?: { logic: CallbackActorLogic<SharedBreakerEvent, SharedBreakerInput> } }) {
  const connection = serverConnectionMachine.provide({ actors: { session: createSessionLogic((name) => sessionPorts(name, from)) } });
  if (!from.breakers) return managerMachine.provide({ actors: { connection } });
  return managerMachine.provide({ actors: { connection, breaker: circuitBreakerMachine.provide({ actors: { shared: from.breakers.logic } }) } });
}
