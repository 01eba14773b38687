import type { ToolInfo } from '../machines/types.js';
import type { PendingCalls } from './calls/index.js';
import type { ClosingTracker } from './closing.js';
import type { RuntimeClock } from './core/clock.js';
import type { EventHub } from './eventHub.js';
import type { HealthProbes } from './health.js';
import type { ServerRegistry } from './registry.js';
import { createAuthProvider, type Authorize, type TokenStore } from './auth/index.js';
import type { BreakerGates } from './breaker/index.js';
import { clientCapabilities, type ProtocolSession, type Root, type ServerRequestHandlers } from './protocol/index.js';
import { createSessionLogic, type SessionPorts } from './session/session.js';
import { managerMachine } from '../machines/manager.js';
import { serverConnectionMachine } from '../machines/serverConnection.js';

/** What the facade lends to the sessions, once; each session gets narrow ports cut from it. */
export interface PortSources {
  registry: ServerRegistry;
  calls: PendingCalls;
  clock: RuntimeClock;
  hub: EventHub;
  probes: HealthProbes;
  closing: ClosingTracker;
  clientInfo: { name: string; version: string };
  handlers: ServerRequestHandlers | undefined;
  /** Each server's breaker as the call path uses it (the actor is looked up when used: a reconnect() may respawn it). */
  gates: BreakerGates;
  /** A server's tools in the one catalog (the manager's). */
  tools(name: string): readonly ToolInfo[];
  /** Roots set by `setRoots`, when any. */
  roots(): Root[] | undefined;
  /** Subscribed resource uris per server. */
  subscriptions: Map<string, Map<string, number>>;
  /** Live protocol sessions by server (for roots notifications). */
  clients: Map<string, ProtocolSession>;
  /** OAuth: the token store (one per switchboard) and the host's interactive step. */
  tokenStore: TokenStore;
  authorize: Authorize | undefined;
}

/** The ports of one server's session; undefined for a server that is not registered. */
export function sessionPorts(name: string, from: PortSources): SessionPorts | undefined {
  const server = from.registry.get(name);
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
    breaker: from.gates.of(name),
    clock: from.clock,
    clientInfo: from.clientInfo,
    annotations: (tool) => from.tools(name).find((t) => t.name === tool)?.annotations,
    track: (closing) => from.closing.track(closing),
    log,
    registerProbe: (pinger) => from.probes.register(name, pinger),
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
      redact: (text) => from.registry.redact(name, text),
    }),
    // Only for uris this switchboard subscribed to (and has not let go of).
    resourceUpdated: (uri) => {
      if (from.subscriptions.get(name)?.has(uri)) from.hub.publish({ type: 'resource.updated', server: name, uri });
    },
    subscriptions: () => [...(from.subscriptions.get(name)?.keys() ?? [])],
    auth: (hooks) =>
      createAuthProvider(server.config, { tokenStore: from.tokenStore, ...(from.authorize ? { authorize: from.authorize } : {}), clock: from.clock, log, ...hooks }),
    onClient: (session) => {
      if (session) from.clients.set(name, session);
      else from.clients.delete(name);
    },
  };
}

/** The manager machine with the runtime's session actor provided to every connection. */
export function supervisedLogic(from: PortSources) {
  return managerMachine.provide({
    actors: { connection: serverConnectionMachine.provide({ actors: { session: createSessionLogic((name) => sessionPorts(name, from)) } }) },
  });
}
