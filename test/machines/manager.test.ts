import { describe, expect, it } from 'vitest';
import { createActor, setup, SimulatedClock, type AnyActorRef, type InspectionEvent } from 'xstate';
import type { BreakerPolicy } from '../../machines/breakerModel.js';
import { circuitBreakerMachine, type BreakerInput } from '../../machines/circuitBreaker.js';
import type { ConnectionInput, ConnectionPolicy } from '../../machines/connectionTypes.js';
import { managerMachine, type CallUnroutable, type ManagedServer, type ManagerErrorEvent, type ToolsChanged } from '../../machines/manager.js';
import { serverConnectionMachine, type ServerStateChanged } from '../../machines/serverConnection.js';
import type { ToolInfo } from '../../machines/types.js';

/**
 * The manager alone: its `connection` and `breaker` children are small recording fakes, so each
 * test sees exactly which events the manager sends to which child and what it emits.
 */

const connectionPolicy: ConnectionPolicy = {
  connectTimeoutMs: 1500,
  reconnect: { baseMs: 1000, multiplier: 2, minMs: 250, maxMs: 60000, maxAttempts: 0, stableAfterMs: 30000, restartIntensity: 5, restartPeriodMs: 60000 },
  health: { intervalMs: 0, timeoutMs: 5000, failureThreshold: 2 },
  toolsRefreshDebounceMs: 100,
  idleTimeoutMs: 0,
  waitForReconnectMs: 0,
};

const breakerPolicy: BreakerPolicy = {
  failureRateThreshold: 50,
  slidingWindowSize: 5,
  minimumNumberOfCalls: 5,
  slowCallDurationThresholdMs: 4000,
  slowCallRateThreshold: 50,
  waitDurationInOpenMs: 5000,
  openBackoffMultiplier: 2,
  maxWaitDurationInOpenMs: 60000,
  permittedNumberOfCallsInHalfOpenState: 4,
  maxWaitDurationInHalfOpenMs: 1000,
};

const server = (name: string, seed = 7): ManagedServer => ({
  name,
  connection: { server: name, policy: connectionPolicy, seed },
  breaker: { server: name, policy: breakerPolicy },
});

const tool = (srv: string, name: string, description = 'd'): ToolInfo => ({ name, server: srv, qualifiedName: `${srv}__${name}`, description, inputSchema: { type: 'object' } });

interface Received {
  actor: string;
  event: { type: string; [key: string]: unknown };
}

type Trap = (actor: string, event: { type: string; [key: string]: unknown }) => boolean;

/** A child that records every event it gets and throws (a bug in it) when `trap` says so. */
function recorder(kind: 'server' | 'breaker', log: Received[], inputs: unknown[], trap: Trap) {
  return setup({
    types: {} as { context: { name: string }; input: { server: string }; events: { type: string; [key: string]: unknown } },
    actions: {
      record: ({ context, event }) => {
        const actor = `${kind}:${context.name}`;
        log.push({ actor, event });
        if (trap(actor, event)) throw new Error(`trap in ${actor} on ${event.type}`);
      },
    },
  }).createMachine({
    context: ({ input }) => {
      inputs.push(input);
      return { name: input.server };
    },
    initial: 'disconnected',
    on: { '*': { actions: 'record' } },
    states: {
      disconnected: { on: { 'server.connect': { target: 'connected', actions: 'record' } } },
      connected: {},
    },
  });
}

function startManager(servers: ManagedServer[], trap: Trap = () => false) {
  const log: Received[] = [];
  const inputs: unknown[] = [];
  const logic = managerMachine.provide({
    actors: {
      connection: recorder('server', log, inputs, trap) as unknown as typeof serverConnectionMachine,
      breaker: recorder('breaker', log, inputs, trap) as unknown as typeof circuitBreakerMachine,
    },
  });
  // Counts events the manager processes; a runaway loop (a call re-sent to the manager itself)
  // throws here and so turns into a finite, visible failure instead of a hang.
  let managerEvents = 0;
  let root: AnyActorRef | undefined;
  const inspect = (e: InspectionEvent) => {
    if (e.type !== '@xstate.event' || root === undefined || e.actorRef !== root) return;
    if (++managerEvents > 200) throw new Error('the manager processed more than 200 events: a loop');
  };
  const actor = createActor(logic, { clock: new SimulatedClock(), input: { servers }, systemId: 'manager', inspect });
  root = actor;
  const emitted: { type: string; [key: string]: unknown }[] = [];
  actor.on('*', (e) => emitted.push(e as unknown as { type: string }));
  actor.start();
  const of = (actorId: string) => log.filter((r) => r.actor === actorId).map((r) => r.event);
  const types = (actorId: string) => of(actorId).map((e) => e.type);
  const children = () => actor.getSnapshot().children as Record<string, AnyActorRef | undefined>;
  const ctx = () => actor.getSnapshot().context;
  /** Sends one event and returns how many events the manager processed for it. */
  const send = (event: Parameters<typeof actor.send>[0]): number => {
    const before = managerEvents;
    actor.send(event);
    return managerEvents - before;
  };
  const emittedOf = <T>(type: string) => emitted.filter((e) => e.type === type) as unknown as T[];
  return { actor, log, inputs, of, types, children, ctx, send, emitted, emittedOf };
}

const call = (srv: string, ...requestIds: string[]) => ({ type: 'tool.call' as const, requestIds, server: srv });

describe('manager', () => {
  it('spawns server:<name> and breaker:<name> for each input server under those system ids', () => {
    const a = server('a', 1);
    const m = startManager([a, server('b', 2)]);
    expect(Object.keys(m.children()).sort()).toEqual(['breaker:a', 'breaker:b', 'server:a', 'server:b']);
    for (const id of ['server:a', 'breaker:a', 'server:b', 'breaker:b']) {
      expect(m.actor.system.get(id)).toBe(m.children()[id]);
      expect(m.children()[id]!.getSnapshot().status).toBe('active');
    }
    expect(m.inputs).toContainEqual(a.connection satisfies ConnectionInput);
    expect(m.inputs).toContainEqual(a.breaker satisfies BreakerInput);
    expect(m.actor.getSnapshot().value).toBe('idle');
    expect(m.log).toEqual([]);
  });

  it('moves from idle to running on manager.start and sends server.connect to each server once', () => {
    const m = startManager([server('a'), server('b')]);
    m.send({ type: 'manager.start' });
    expect(m.actor.getSnapshot().value).toBe('running');
    expect(m.types('server:a')).toEqual(['server.connect']);
    expect(m.types('server:b')).toEqual(['server.connect']);
    expect(m.types('breaker:a')).toEqual([]);
  });

  it('spawns a server added while idle without connecting it, and connects one added while running', () => {
    const m = startManager([]);
    m.send({ type: 'server.add', server: server('late') });
    expect(m.actor.system.get('server:late')).toBeDefined();
    expect(m.actor.system.get('breaker:late')).toBeDefined();
    expect(m.types('server:late')).toEqual([]);
    m.send({ type: 'manager.start' });
    expect(m.types('server:late')).toEqual(['server.connect']);
    m.send({ type: 'server.add', server: server('hot') });
    expect(m.types('server:hot')).toEqual(['server.connect']);
    // Adding a name that is already supervised keeps the existing pair.
    const before = m.children()['server:hot'];
    m.send({ type: 'server.add', server: server('hot') });
    expect(m.actor.getSnapshot().status).toBe('active');
    expect(m.children()['server:hot']).toBe(before);
    expect(m.types('server:hot')).toEqual(['server.connect']);
  });

  it('routes a call burst to its server live child only', () => {
    const m = startManager([server('a'), server('b')]);
    m.send({ type: 'manager.start' });
    m.send(call('a', 'c1', 'c2'));
    expect(m.of('server:a').at(-1)).toEqual({ type: 'tool.call', requestIds: ['c1', 'c2'], server: 'a' });
    expect(m.types('server:b')).toEqual(['server.connect']);
    expect(m.types('breaker:a')).toEqual([]);
    expect(m.emittedOf('call.unroutable')).toEqual([]);
  });

  it('reports a call for an unknown server as unroutable (removed) and processes it once', () => {
    const m = startManager([server('a')]);
    m.send({ type: 'manager.start' });
    expect(m.send(call('ghost', 'c1'))).toBe(1);
    expect(m.emittedOf<CallUnroutable>('call.unroutable')).toEqual([{ type: 'call.unroutable', requestIds: ['c1'], server: 'ghost', reason: 'removed' }]);
    expect(m.actor.getSnapshot().status).toBe('active');
    expect(m.types('server:a')).toEqual(['server.connect']);
  });

  it('isolates a failed connection: stops its breaker, records it, reports error and keeps serving the others', () => {
    const m = startManager([server('bad'), server('good')], (actor, e) => actor === 'server:bad' && e.type === 'tool.call');
    m.send({ type: 'manager.start' });
    const breaker = m.children()['breaker:bad']!;
    m.send(call('bad', 'boom'));
    expect(m.actor.getSnapshot().status).toBe('active');
    expect(breaker.getSnapshot().status).toBe('stopped');
    expect(m.children()['server:bad']).toBeUndefined();
    expect(m.children()['breaker:bad']).toBeUndefined();
    expect(m.actor.system.get('breaker:bad')).toBeUndefined();
    expect(Object.keys(m.ctx().failed)).toEqual(['bad']);
    expect(m.ctx().failed.bad).toMatchObject({ code: 'InternalError', retryable: false });
    expect(m.ctx().failed.bad!.message).toContain('trap in server:bad');
    const changes = m.emittedOf<ServerStateChanged>('server.stateChanged');
    expect(changes).toEqual([expect.objectContaining({ server: 'bad', from: 'connected', to: 'error', reason: 'actorFailed', error: m.ctx().failed.bad })]);
    expect(m.emittedOf<ManagerErrorEvent>('error')).toEqual([{ type: 'error', server: 'bad', error: m.ctx().failed.bad }]);

    m.send(call('good', 'c2'));
    expect(m.of('server:good').at(-1)).toEqual({ type: 'tool.call', requestIds: ['c2'], server: 'good' });
    expect(m.send(call('bad', 'c3'))).toBe(1);
    expect(m.emittedOf<CallUnroutable>('call.unroutable')).toEqual([{ type: 'call.unroutable', requestIds: ['c3'], server: 'bad', reason: 'failed' }]);
  });

  it('isolates a failed breaker by stopping its connection too', () => {
    const m = startManager([server('a'), server('b')], (actor, e) => actor === 'breaker:a' && e.type === 'breaker.reset');
    m.send({ type: 'manager.start' });
    const connection = m.children()['server:a']!;
    m.send({ type: 'breaker.reset', name: 'a', at: 0 });
    expect(connection.getSnapshot().status).toBe('stopped');
    expect(Object.keys(m.ctx().failed)).toEqual(['a']);
    expect(m.ctx().failed.a!.message).toContain('breaker:a');
    expect(m.emittedOf<ServerStateChanged>('server.stateChanged')).toEqual([expect.objectContaining({ server: 'a', to: 'error', reason: 'actorFailed' })]);
    m.send({ type: 'breaker.reset', name: 'b', at: 5 });
    expect(m.of('breaker:b')).toEqual([{ type: 'breaker.reset', at: 5 }]);
  });

  it('removes a server: stops both children, drops its catalog and announces the removed tools', () => {
    const m = startManager([server('a'), server('b')]);
    m.send({ type: 'manager.start' });
    m.send({ type: 'server.catalogListed', server: 'a', catalog: { tools: [tool('a', 'echo'), tool('a', 'add')] }, facts: null });
    const pair = [m.children()['server:a']!, m.children()['breaker:a']!];
    m.send({ type: 'server.remove', name: 'a' });
    expect(pair.map((ref) => ref.getSnapshot().status)).toEqual(['stopped', 'stopped']);
    expect(m.actor.system.get('server:a')).toBeUndefined();
    expect(m.ctx().catalogs).toEqual({});
    expect(m.emittedOf<ToolsChanged>('tools.changed').at(-1)).toEqual({ type: 'tools.changed', server: 'a', added: [], removed: ['echo', 'add'], changed: [] });
    expect(m.send(call('a', 'c1'))).toBe(1);
    expect(m.emittedOf<CallUnroutable>('call.unroutable')).toEqual([expect.objectContaining({ server: 'a', reason: 'removed' })]);
    // Removing it again, or removing a name never added, changes nothing.
    const emittedBefore = m.emitted.length;
    m.send({ type: 'server.remove', name: 'a' });
    m.send({ type: 'server.remove', name: 'nobody' });
    expect(m.emitted).toHaveLength(emittedBefore);
    expect(m.children()['server:b']!.getSnapshot().status).toBe('active');
  });

  it('forgets a failed server on server.remove', () => {
    const m = startManager([server('bad')], (actor, e) => actor === 'server:bad' && e.type === 'tool.call');
    m.send({ type: 'manager.start' });
    m.send(call('bad', 'boom'));
    expect(Object.keys(m.ctx().failed)).toEqual(['bad']);
    m.send({ type: 'server.remove', name: 'bad' });
    expect(m.ctx().failed).toEqual({});
    m.send(call('bad', 'c1'));
    expect(m.emittedOf<CallUnroutable>('call.unroutable').at(-1)).toMatchObject({ reason: 'removed' });
  });

  it('keeps one catalog per server and announces only real changes', () => {
    const m = startManager([server('a')]);
    const listed = (tools: ToolInfo[]) => m.send({ type: 'server.catalogListed', server: 'a', catalog: { tools }, facts: null });
    listed([tool('a', 'echo')]);
    expect(m.ctx().catalogs).toEqual({ a: { tools: [tool('a', 'echo')], resources: [], templates: [], prompts: [] } });
    expect(m.emittedOf<ToolsChanged>('tools.changed')).toEqual([{ type: 'tools.changed', server: 'a', added: ['echo'], removed: [], changed: [] }]);
    const catalogs = m.ctx().catalogs;
    listed([tool('a', 'echo')]);
    expect(m.ctx().catalogs).toBe(catalogs);
    expect(m.emittedOf('tools.changed')).toHaveLength(1);
    listed([tool('a', 'echo', 'new text'), tool('a', 'add')]);
    expect(m.emittedOf<ToolsChanged>('tools.changed').at(-1)).toEqual({ type: 'tools.changed', server: 'a', added: ['add'], removed: [], changed: ['echo'] });
    expect(m.ctx().catalogs.a!.tools).toHaveLength(2);
  });

  it('records an empty first catalog without announcing it, and ignores catalogs of unknown servers', () => {
    const m = startManager([server('a')]);
    m.send({ type: 'server.catalogListed', server: 'a', catalog: { tools: [] }, facts: null });
    expect(m.ctx().catalogs).toEqual({ a: { tools: [], resources: [], templates: [], prompts: [] } });
    m.send({ type: 'server.catalogListed', server: 'ghost', catalog: { tools: [tool('ghost', 'x')] }, facts: null });
    expect(m.ctx().catalogs).toEqual({ a: { tools: [], resources: [], templates: [], prompts: [] } });
    expect(m.emittedOf('tools.changed')).toEqual([]);
  });

  it('announces resource, template and prompt changes in their own events, and keeps the kinds not relisted', () => {
    const m = startManager([server('a')]);
    const resource = { uri: 'file:///x', name: 'x', server: 'a' };
    const template = { uriTemplate: 'file:///{path}', name: 'files', server: 'a' };
    const prompt = { name: 'greet', server: 'a', qualifiedName: 'a__greet' };
    m.send({ type: 'server.catalogListed', server: 'a', catalog: { tools: [tool('a', 'echo')], resources: [resource], templates: [], prompts: [prompt] }, facts: null });
    expect(m.emittedOf('resources.changed')).toEqual([{ type: 'resources.changed', server: 'a', added: ['file:///x'], removed: [], changed: [] }]);
    expect(m.emittedOf('prompts.changed')).toEqual([{ type: 'prompts.changed', server: 'a', added: ['greet'], removed: [], changed: [] }]);
    m.send({ type: 'server.catalogListed', server: 'a', catalog: { templates: [template] }, facts: null });
    expect(m.emittedOf('resources.changed').at(-1)).toEqual({ type: 'resources.changed', server: 'a', added: ['file:///{path}'], removed: [], changed: [] });
    expect(m.ctx().catalogs.a).toEqual({ tools: [tool('a', 'echo')], resources: [resource], templates: [template], prompts: [prompt] });
    m.send({ type: 'server.remove', name: 'a' });
    expect(m.emittedOf('prompts.changed').at(-1)).toEqual({ type: 'prompts.changed', server: 'a', added: [], removed: ['greet'], changed: [] });
    expect(m.emittedOf('resources.changed').at(-1)).toEqual({ type: 'resources.changed', server: 'a', added: [], removed: ['file:///x', 'file:///{path}'], changed: [] });
  });

  it('relays its children facts to its own listeners', () => {
    const m = startManager([server('a')]);
    const fact: ServerStateChanged = { type: 'server.stateChanged', server: 'a', from: 'disconnected', to: 'connecting', reason: 'start' };
    m.send(fact);
    m.send({ type: 'breaker.stateChanged', server: 'a', from: 'closed', to: 'open', reason: 'failureRate', epoch: 2, at: 9 });
    expect(m.emitted).toEqual([fact, { type: 'breaker.stateChanged', server: 'a', from: 'closed', to: 'open', reason: 'failureRate', epoch: 2, at: 9 }]);
  });

  it('refuses calls with reason stopping once manager.stop arrives', () => {
    const m = startManager([server('a')]);
    m.send({ type: 'manager.start' });
    m.send({ type: 'manager.stop' });
    expect(m.actor.getSnapshot().value).toBe('stopping');
    expect(m.send(call('a', 'c1'))).toBe(1);
    expect(m.emittedOf<CallUnroutable>('call.unroutable')).toEqual([{ type: 'call.unroutable', requestIds: ['c1'], server: 'a', reason: 'stopping' }]);
    expect(m.types('server:a')).toEqual(['server.connect']);
  });

  it('forwards reconnect and reset to live children and ignores them for missing ones', () => {
    const m = startManager([server('a')]);
    m.send({ type: 'manager.start' });
    expect(m.send({ type: 'server.reconnect', name: 'ghost' })).toBe(1);
    expect(m.send({ type: 'breaker.reset', name: 'ghost', at: 1 })).toBe(1);
    expect(m.actor.getSnapshot().status).toBe('active');
    expect(m.emitted).toEqual([]);
    m.send({ type: 'server.reconnect', name: 'a' });
    m.send({ type: 'breaker.reset', name: 'a', at: 3 });
    expect(m.of('server:a').at(-1)).toEqual({ type: 'server.reconnect' });
    expect(m.of('breaker:a')).toEqual([{ type: 'breaker.reset', at: 3 }]);
  });

  it('ignores reconnect and reset for a failed server', () => {
    const m = startManager([server('bad')], (actor, e) => actor === 'server:bad' && e.type === 'tool.call');
    m.send({ type: 'manager.start' });
    m.send(call('bad', 'boom'));
    const emitted = m.emitted.length;
    expect(m.send({ type: 'server.reconnect', name: 'bad' })).toBe(1);
    expect(m.send({ type: 'breaker.reset', name: 'bad', at: 1 })).toBe(1);
    expect(m.emitted).toHaveLength(emitted);
    expect(m.actor.getSnapshot().status).toBe('active');
  });
});
