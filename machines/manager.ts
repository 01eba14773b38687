import { assign, emit, enqueueActions, sendTo, setup, type AnyActorRef } from 'xstate';
import { diffCatalog, isEmptyDiff } from './catalog.js';
import { circuitBreakerMachine, type BreakerInput, type BreakerStateChanged } from './circuitBreaker.js';
import { serverConnectionMachine, type ConnectionInput, type ServerStateChanged, type ServerToolsListed } from './serverConnection.js';
import type { ErrorInfo, ToolInfo, TransportKind } from './types.js';

/**
 * The supervisor: spawns one `serverConnection` and one `circuitBreaker` per enabled server
 * (system ids `server:<name>` and `breaker:<name>`), keeps the tool index, routes `tool.call`
 * events to the right connection, relays its children's facts to the root and survives any
 * child's failure (one bad server never takes down the others).
 */

/** What the manager needs to supervise one server; plain JSON, secrets already removed. */
export interface ManagedServer {
  name: string;
  transport: TransportKind;
  /** Command or URL with secrets redacted, for display. */
  target: string;
  connection: ConnectionInput;
  breaker: BreakerInput;
}

export interface ManagerInput {
  servers: ManagedServer[];
}

export interface ManagerContext {
  servers: Record<string, ManagedServer>;
  /** Last known catalog of each server, kept while the server is down so routing stays stable. */
  catalogs: Record<string, ToolInfo[]>;
  started: boolean;
}

export type ManagerEvent =
  | { type: 'manager.start' }
  | { type: 'server.add'; server: ManagedServer }
  | { type: 'server.remove'; name: string }
  | { type: 'server.reconnect'; name: string }
  | { type: 'breaker.reset'; name: string; at: number }
  | { type: 'tool.call'; requestIds: string[]; server: string }
  | ServerStateChanged
  | ServerToolsListed
  | BreakerStateChanged;

export interface ToolsChanged {
  type: 'tools.changed';
  server: string;
  added: string[];
  removed: string[];
  changed: string[];
}

/** A call addressed to a server that has no connection actor (removed meanwhile). */
export interface CallUnroutable {
  type: 'call.unroutable';
  requestIds: string[];
  server: string;
}

export interface ManagerErrorEvent {
  type: 'error';
  server?: string;
  error: ErrorInfo;
}

export type ManagerEmitted = ServerStateChanged | BreakerStateChanged | ToolsChanged | CallUnroutable | ManagerErrorEvent;

function childOf(self: AnyActorRef, id: string): AnyActorRef | undefined {
  return (self.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
}

function serverOfActorId(id: string): string | undefined {
  const match = /^(?:server|breaker):(.+)$/.exec(id);
  return match?.[1];
}

export const managerMachine = setup({
  types: {} as {
    context: ManagerContext;
    events: ManagerEvent;
    input: ManagerInput;
    emitted: ManagerEmitted;
  },
  actors: {
    connection: serverConnectionMachine,
    breaker: circuitBreakerMachine,
  },
  guards: {
    // A server is in context exactly while its connection actor lives (spawned and stopped together).
    isRoutable: ({ context, event }) => event.type === 'tool.call' && context.servers[event.server] !== undefined,
  },
  actions: {
    spawnServers: enqueueActions(({ context, enqueue }) => {
      for (const server of Object.values(context.servers)) {
        enqueue.spawnChild('connection', { id: `server:${server.name}`, systemId: `server:${server.name}`, input: server.connection });
        enqueue.spawnChild('breaker', { id: `breaker:${server.name}`, systemId: `breaker:${server.name}`, input: server.breaker });
      }
    }),
    markStarted: assign({ started: true }),
    connectAll: enqueueActions(({ context, self, enqueue }) => {
      for (const name of Object.keys(context.servers)) {
        const child = childOf(self, `server:${name}`);
        if (child) enqueue.sendTo(child, { type: 'server.connect' });
      }
    }),
    addServer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'server.add') return;
      const { server } = event;
      if (context.servers[server.name]) return;
      enqueue.assign({ servers: { ...context.servers, [server.name]: server } });
      enqueue.spawnChild('connection', { id: `server:${server.name}`, systemId: `server:${server.name}`, input: server.connection });
      enqueue.spawnChild('breaker', { id: `breaker:${server.name}`, systemId: `breaker:${server.name}`, input: server.breaker });
      // Addressed by id: `self` does not show the child spawned a moment ago in this step.
      if (context.started) enqueue.sendTo(`server:${server.name}`, { type: 'server.connect' });
    }),
    removeServer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'server.remove' || !context.servers[event.name]) return;
      const { [event.name]: _gone, ...servers } = context.servers;
      const { [event.name]: oldTools = [], ...catalogs } = context.catalogs;
      enqueue.stopChild(`server:${event.name}`);
      enqueue.stopChild(`breaker:${event.name}`);
      enqueue.assign({ servers, catalogs });
      if (oldTools.length > 0) {
        enqueue(emit({ type: 'tools.changed', server: event.name, added: [], removed: oldTools.map((t) => t.name), changed: [] } satisfies ToolsChanged));
      }
    }),
    forwardToServer: enqueueActions(({ event, self, enqueue }) => {
      if (event.type !== 'server.reconnect' && event.type !== 'breaker.reset') return;
      const prefix = event.type === 'server.reconnect' ? 'server' : 'breaker';
      const child = childOf(self, `${prefix}:${event.name}`);
      if (child) enqueue.sendTo(child, event.type === 'breaker.reset' ? { type: 'breaker.reset', at: event.at } : { type: 'server.reconnect' });
    }),
    /** Hot path: one plain sendTo, its target looked up by system id (no enqueueActions). */
    routeCall: sendTo(({ event, system }) => system.get(`server:${(event as { server: string }).server}`) as AnyActorRef, ({ event }) => event),
    reportUnroutable: emit(({ event }) => {
      const call = event as { requestIds: string[]; server: string };
      return { type: 'call.unroutable', requestIds: call.requestIds, server: call.server } satisfies CallUnroutable;
    }),
    updateCatalog: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'server.toolsListed' || !context.servers[event.server]) return;
      const diff = diffCatalog(context.catalogs[event.server] ?? [], event.tools);
      if (isEmptyDiff(diff) && context.catalogs[event.server]) return;
      enqueue.assign({ catalogs: { ...context.catalogs, [event.server]: event.tools } });
      if (!isEmptyDiff(diff)) enqueue(emit({ type: 'tools.changed', server: event.server, ...diff } satisfies ToolsChanged));
    }),
    relay: emit(({ event }) => event as ServerStateChanged | BreakerStateChanged),
    reportChildError: emit(({ event }) => {
      const actorId = event.type.slice('xstate.error.actor.'.length);
      const error = (event as unknown as { error?: unknown }).error;
      const message = error instanceof Error ? error.message : String(error);
      const report: ManagerErrorEvent = { type: 'error', error: { code: 'InternalError', message } };
      const server = serverOfActorId(actorId);
      if (server) report.server = server;
      return report;
    }),
  },
}).createMachine({
  id: 'manager',
  context: ({ input }) => ({
    servers: Object.fromEntries(input.servers.map((s) => [s.name, s])),
    catalogs: {},
    started: false,
  }),
  entry: 'spawnServers',
  on: {
    'manager.start': { actions: ['markStarted', 'connectAll'] },
    'server.add': { actions: 'addServer' },
    'server.remove': { actions: 'removeServer' },
    'server.reconnect': { actions: 'forwardToServer' },
    'breaker.reset': { actions: 'forwardToServer' },
    'tool.call': [{ guard: 'isRoutable', actions: 'routeCall' }, { actions: 'reportUnroutable' }],
    'server.stateChanged': { actions: 'relay' },
    'breaker.stateChanged': { actions: 'relay' },
    'server.toolsListed': { actions: 'updateCatalog' },
    'xstate.error.actor.*': { actions: 'reportChildError' },
  },
});
