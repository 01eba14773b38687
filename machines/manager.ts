import { emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import { diffEntries, emptyCatalog, isEmptyDiff, type CatalogDiff } from './catalog.js';
import { circuitBreakerMachine, type BreakerInput, type BreakerStateChanged } from './circuitBreaker.js';
import { connectionStateOf, serverConnectionMachine, type ConnectionInput, type ServerStateChanged, type ServerCatalogListed } from './serverConnection.js';
import { CATALOG_KINDS, type CatalogKind, type ErrorInfo, type ServerCatalog } from './types.js';

/**
 * The supervisor: spawns one `serverConnection` and one `circuitBreaker` per enabled server
 * (system ids `server:<name>` and `breaker:<name>`), keeps the one copy of every catalog, routes
 * `tool.call` events to connections that exist, relays its children's facts to the root and
 * survives any child's failure: the failed server is reported in `error`, the others keep serving.
 * Its children are the list of supervised servers; the runtime's registry holds their configs.
 */

/** What the manager needs to supervise one server; plain JSON, secrets already removed. */
export interface ManagedServer {
  name: string;
  connection: ConnectionInput;
  breaker: BreakerInput;
}

export interface ManagerInput {
  servers: ManagedServer[];
}

export interface ManagerContext {
  /** Last known catalog of each supervised server (the one copy), kept while it is down so routing stays stable. */
  catalogs: Record<string, ServerCatalog>;
  /** Servers whose connection or breaker actor failed (a bug), with what it threw. */
  failed: Record<string, ErrorInfo>;
}

export type ManagerEvent =
  | { type: 'manager.start' }
  | { type: 'manager.stop' }
  | { type: 'server.add'; server: ManagedServer }
  | { type: 'server.remove'; name: string }
  | { type: 'server.reconnect'; name: string }
  | { type: 'breaker.reset'; name: string; at: number }
  | { type: 'tool.call'; requestIds: string[]; server: string }
  | ServerStateChanged
  | ServerCatalogListed
  | BreakerStateChanged;

/** A server's tools changed (by name). */
export interface ToolsChanged extends CatalogDiff {
  type: 'tools.changed';
  server: string;
}

/** A server's resources (by uri) or resource templates (by uriTemplate) changed. */
export interface ResourcesChanged extends CatalogDiff {
  type: 'resources.changed';
  server: string;
}

/** A server's prompts changed (by name). */
export interface PromptsChanged extends CatalogDiff {
  type: 'prompts.changed';
  server: string;
}

export type CatalogChanged = ToolsChanged | ResourcesChanged | PromptsChanged;

const CHANGE_EVENT: Record<CatalogKind, CatalogChanged['type']> = {
  tools: 'tools.changed',
  resources: 'resources.changed',
  templates: 'resources.changed',
  prompts: 'prompts.changed',
};

/** The change events between two catalogs (resources and templates share one event). */
function changesOf(server: string, before: ServerCatalog, after: Partial<ServerCatalog>): CatalogChanged[] {
  const events = new Map<CatalogChanged['type'], CatalogChanged>();
  for (const kind of CATALOG_KINDS) {
    const next = after[kind];
    if (!next) continue;
    const diff = diffEntries(kind, before[kind], next);
    if (isEmptyDiff(diff)) continue;
    const type = CHANGE_EVENT[kind];
    const event: CatalogChanged = events.get(type) ?? ({ type, server, added: [] as string[], removed: [] as string[], changed: [] as string[] } as CatalogChanged);
    event.added.push(...diff.added);
    event.removed.push(...diff.removed);
    event.changed.push(...diff.changed);
    events.set(type, event);
  }
  return [...events.values()];
}

/** Calls the manager could not route: the server was removed, its actor failed, or it is stopping. */
export interface CallUnroutable {
  type: 'call.unroutable';
  requestIds: string[];
  server: string;
  reason: 'removed' | 'failed' | 'stopping';
}

export interface ManagerErrorEvent {
  type: 'error';
  server?: string;
  error: ErrorInfo;
}

export type ManagerEmitted = ServerStateChanged | BreakerStateChanged | CatalogChanged | CallUnroutable | ManagerErrorEvent;

const serverId = (name: string) => `server:${name}`;
const breakerId = (name: string) => `breaker:${name}`;

function child(self: AnyActorRef, id: string): AnyActorRef | undefined {
  const ref = (self.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
  return ref && Object.hasOwn(self.getSnapshot().children, id) ? ref : undefined;
}

function isLive(ref: AnyActorRef | undefined): ref is AnyActorRef {
  return ref !== undefined && ref.getSnapshot().status === 'active';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const managerMachine = setup({
  types: {} as { context: ManagerContext; events: ManagerEvent; input: ManagerInput; emitted: ManagerEmitted },
  actors: { connection: serverConnectionMachine, breaker: circuitBreakerMachine },
  actions: {
    /** Spawns a server's pair of actors; connects it when `connect` (the manager is running). */
    spawnServers: enqueueActions(({ enqueue, self }, params: { servers: readonly ManagedServer[]; connect: boolean; initial?: boolean }) => {
      for (const server of params.servers) {
        // While the manager initializes its snapshot cannot be read, and it has no children yet.
        if (!params.initial && child(self, serverId(server.name))) continue;
        enqueue.spawnChild('connection', { id: serverId(server.name), systemId: serverId(server.name), input: server.connection });
        enqueue.spawnChild('breaker', { id: breakerId(server.name), systemId: breakerId(server.name), input: server.breaker });
        // Addressed by id: `self` does not show the child spawned a moment ago in this step.
        if (params.connect) enqueue.sendTo(serverId(server.name), { type: 'server.connect' });
      }
    }),
    connectAll: enqueueActions(({ self, enqueue }) => {
      for (const [id, ref] of Object.entries(self.getSnapshot().children as Record<string, AnyActorRef>)) {
        if (id.startsWith('server:') && isLive(ref)) enqueue.sendTo(ref, { type: 'server.connect' });
      }
    }),
    removeServer: enqueueActions(({ context, self, enqueue }, params: { name: string }) => {
      const { name } = params;
      if (!child(self, serverId(name)) && !Object.hasOwn(context.failed, name)) return;
      const old = Object.hasOwn(context.catalogs, name) ? context.catalogs[name]! : emptyCatalog();
      enqueue.stopChild(serverId(name));
      enqueue.stopChild(breakerId(name));
      enqueue.assign({ catalogs: without(context.catalogs, name), failed: without(context.failed, name) });
      for (const change of changesOf(name, old, emptyCatalog())) enqueue(emit(change));
    }),
    /** Sends a command to a child that exists; a missing one would make XState send it to the manager itself. */
    forward: enqueueActions(({ self, enqueue }, params: { id: string; event: { type: 'server.reconnect' } | { type: 'breaker.reset'; at: number } }) => {
      const ref = child(self, params.id);
      if (isLive(ref)) enqueue.sendTo(ref, params.event);
    }),
    /** Hot path: the call burst goes to the server's live connection, or is reported unroutable. */
    routeCall: enqueueActions(({ context, system, enqueue }, params: { requestIds: string[]; server: string; stopping: boolean }) => {
      const ref = params.stopping ? undefined : (system.get(serverId(params.server)) as AnyActorRef | undefined);
      if (isLive(ref)) {
        enqueue.sendTo(ref, { type: 'tool.call', requestIds: params.requestIds, server: params.server });
        return;
      }
      const reason = params.stopping ? 'stopping' : Object.hasOwn(context.failed, params.server) ? 'failed' : 'removed';
      enqueue(emit({ type: 'call.unroutable', requestIds: params.requestIds, server: params.server, reason } satisfies CallUnroutable));
    }),
    updateCatalog: enqueueActions(({ context, self, enqueue }, params: { server: string; catalog: Partial<ServerCatalog> }) => {
      if (!child(self, serverId(params.server))) return;
      const known = Object.hasOwn(context.catalogs, params.server);
      const before = known ? context.catalogs[params.server]! : emptyCatalog();
      const changes = changesOf(params.server, before, params.catalog);
      if (changes.length === 0 && known) return;
      enqueue.assign({ catalogs: { ...context.catalogs, [params.server]: { ...before, ...params.catalog } } });
      for (const change of changes) enqueue(emit(change));
    }),
    relay: emit((_, params: { fact: ServerStateChanged | BreakerStateChanged }) => params.fact),
    /**
     * A child actor failed (a bug in it, never a server fault): stop the server's other actor,
     * remember the failure so the server shows as `error`, and carry on with the others.
     */
    isolateFailure: enqueueActions(({ context, self, enqueue }, params: { actorId: string; error: unknown }) => {
      const match = /^(?:server|breaker):(.+)$/.exec(params.actorId);
      const error: ErrorInfo = { code: 'InternalError', message: `actor ${params.actorId} failed: ${messageOf(params.error)}`, retryable: false };
      if (!match) {
        enqueue(emit({ type: 'error', error } satisfies ManagerErrorEvent));
        return;
      }
      const name = match[1]!;
      const connection = child(self, serverId(name));
      const from = connection ? connectionStateOf(connection.getSnapshot().value) : 'connected';
      enqueue.stopChild(serverId(name));
      enqueue.stopChild(breakerId(name));
      enqueue.assign({ failed: { ...context.failed, [name]: error } });
      enqueue(emit({ type: 'server.stateChanged', server: name, from, to: 'error', reason: 'actorFailed', error } satisfies ServerStateChanged));
      enqueue(emit({ type: 'error', server: name, error } satisfies ManagerErrorEvent));
    }),
  },
}).createMachine({
  id: 'manager',
  context: { catalogs: {}, failed: {} },
  // The init event carries the input: spawn the configured servers without copying the list.
  entry: { type: 'spawnServers', params: ({ event }) => ({ servers: (event as unknown as { input: ManagerInput }).input.servers, connect: false, initial: true }) },
  initial: 'idle',
  on: {
    'server.remove': { actions: { type: 'removeServer', params: ({ event }) => ({ name: event.name }) } },
    'server.reconnect': { actions: { type: 'forward', params: ({ event }) => ({ id: serverId(event.name), event: { type: 'server.reconnect' } }) } },
    'breaker.reset': { actions: { type: 'forward', params: ({ event }) => ({ id: breakerId(event.name), event: { type: 'breaker.reset', at: event.at } }) } },
    'tool.call': { actions: { type: 'routeCall', params: ({ event }) => ({ requestIds: event.requestIds, server: event.server, stopping: false }) } },
    'server.stateChanged': { actions: { type: 'relay', params: ({ event }) => ({ fact: event }) } },
    'breaker.stateChanged': { actions: { type: 'relay', params: ({ event }) => ({ fact: event }) } },
    'server.catalogListed': { actions: { type: 'updateCatalog', params: ({ event }) => ({ server: event.server, catalog: event.catalog }) } },
    'xstate.error.actor.*': {
      actions: { type: 'isolateFailure', params: ({ event }: { event: { type: string } }) => ({ actorId: event.type.slice('xstate.error.actor.'.length), error: (event as unknown as { error: unknown }).error }) },
    },
    'manager.stop': '.stopping',
  },
  states: {
    idle: {
      description: 'Servers are supervised but not started; a call starts its server on demand.',
      on: {
        'manager.start': 'running',
        'server.add': { actions: { type: 'spawnServers', params: ({ event }) => ({ servers: [event.server], connect: false }) } },
      },
    },
    running: {
      description: 'Every server connects and reconnects on its own; servers added now connect at once.',
      entry: 'connectAll',
      on: {
        'server.add': { actions: { type: 'spawnServers', params: ({ event }) => ({ servers: [event.server], connect: true }) } },
      },
    },
    stopping: {
      description: 'Shutting down: calls are refused with Stopped, nothing new is spawned.',
      on: {
        'tool.call': { actions: { type: 'routeCall', params: ({ event }) => ({ requestIds: event.requestIds, server: event.server, stopping: true }) } },
      },
    },
  },
});

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!Object.hasOwn(record, key)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}
