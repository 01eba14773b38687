import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { circuitBreakerMachine } from '../../machines/circuitBreaker.js';
import { serverConnectionMachine } from '../../machines/serverConnection.js';
import { machineGraph, type MachineGraph } from '../../src/view/graph.js';
import { viewMachines } from '../../src/view/machines.js';

type RawConfig = {
  on?: Record<string, unknown>;
  after?: Record<string, unknown>;
  always?: unknown;
  invoke?: unknown;
  states?: Record<string, RawConfig>;
};

const many = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** How many targets one transition config names (at least one edge per transition). */
const targetCount = (t: unknown): number => {
  const target = typeof t === 'string' ? t : (t as { target?: unknown }).target;
  return Math.max(1, many(target).length);
};

/**
 * The edges a state should have, counted from the raw config the machine was written with
 * (independent of the StateNode API that machineGraph reads): per state, per event key.
 */
function expectedCounts(machine: AnyStateMachine): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  const visit = (config: RawConfig, id: string) => {
    for (const [event, ts] of Object.entries(config.on ?? {})) add(`${id}|${event}`, many(ts).reduce<number>((n, t) => n + targetCount(t), 0));
    for (const [delay, ts] of Object.entries(config.after ?? {})) add(`${id}|after ${delay}`, many(ts).reduce<number>((n, t) => n + targetCount(t), 0));
    if (config.always) add(`${id}|always`, many(config.always).reduce<number>((n, t) => n + targetCount(t), 0));
    for (const inv of many(config.invoke) as { id: string; onDone?: unknown; onError?: unknown }[]) {
      if (inv.onDone) add(`${id}|done ${inv.id}`, many(inv.onDone).reduce<number>((n, t) => n + targetCount(t), 0));
      if (inv.onError) add(`${id}|error ${inv.id}`, many(inv.onError).reduce<number>((n, t) => n + targetCount(t), 0));
    }
    for (const [key, child] of Object.entries(config.states ?? {})) visit(child, `${id}.${key}`);
  };
  visit(machine.config as RawConfig, machine.id);
  return counts;
}

function actualCounts(graph: MachineGraph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of graph.edges) {
    const key =
      e.kind === 'after' ? `after ${e.delay}` : e.kind === 'always' ? 'always' : e.kind === 'done' ? `done ${e.label.slice(6).split(' ')[0]}` : e.kind === 'error' ? `error ${e.label.slice(7).split(' ')[0]}` : e.event;
    counts.set(`${e.source}|${key}`, (counts.get(`${e.source}|${key}`) ?? 0) + 1);
  }
  return counts;
}

const edgeText = (g: MachineGraph) => g.edges.map((e) => `${e.source} -> ${e.target ?? '(none)'} : ${e.label}`);

describe('machineGraph', () => {
  for (const machine of [serverConnectionMachine, circuitBreakerMachine]) {
    describe(machine.id, () => {
      const graph = machineGraph(machine);

      it('has every state node of the machine, by its exact id, inside its parent', () => {
        const ids = [...(machine as unknown as { idMap: Map<string, unknown> }).idMap.keys()].sort();
        expect(graph.nodes.map((n) => n.id).sort()).toEqual(ids);
        for (const node of graph.nodes) {
          const parent = node.id.includes('.') ? node.id.slice(0, node.id.lastIndexOf('.')) : null;
          expect(node.parent, node.id).toBe(parent);
          expect(node.key, node.id).toBe(node.id.slice(node.id.lastIndexOf('.') + 1));
        }
        // Parents come before their children, so a renderer can nest in one pass.
        const seen = new Set<string>();
        for (const node of graph.nodes) {
          if (node.parent) expect(seen.has(node.parent), node.id).toBe(true);
          seen.add(node.id);
        }
      });

      it('has one edge per transition and target of the written config', () => {
        expect(Object.fromEntries(actualCounts(graph))).toEqual(Object.fromEntries(expectedCounts(machine)));
      });

      it('points every edge at states of the graph', () => {
        const ids = new Set(graph.nodes.map((n) => n.id));
        for (const e of graph.edges) {
          expect(ids.has(e.source), e.id).toBe(true);
          if (e.target !== null) expect(ids.has(e.target), e.id).toBe(true);
        }
        expect(new Set(graph.edges.map((e) => e.id)).size).toBe(graph.edges.length);
      });
    });
  }

  it('reads the connection machine with its exact names, nesting and initial states', () => {
    const g = machineGraph(serverConnectionMachine);
    const node = (id: string) => g.nodes.find((n) => n.id === id)!;
    expect(g.nodes.filter((n) => n.parent === 'serverConnection').map((n) => n.key)).toEqual(['disconnected', 'connecting', 'connected', 'error']);
    expect(node('serverConnection.disconnected')).toMatchObject({ type: 'compound', initial: 'serverConnection.disconnected.idle' });
    expect(g.nodes.filter((n) => n.parent === 'serverConnection.disconnected').map((n) => n.key)).toEqual(['idle', 'backoff']);
    expect(g.nodes.filter((n) => n.parent === 'serverConnection.connecting').map((n) => n.key)).toEqual(['initializing', 'authorizing']);
    expect(node('serverConnection.connected')).toMatchObject({ type: 'parallel', initial: null, entry: ['activateSession'], tags: ['settled'] });
    expect(g.nodes.filter((n) => n.parent === 'serverConnection.connected').map((n) => n.key)).toEqual(['activity', 'health', 'catalog']);
    expect(node('serverConnection.connected.health.probing').parent).toBe('serverConnection.connected.health');
    expect(node('serverConnection').invoke).toEqual(['session']);
    expect(node('serverConnection.disconnected.backoff').description).toMatch(/full-jitter/);

    const edges = edgeText(g);
    expect(edges).toContain('serverConnection.disconnected -> serverConnection.connecting : server.reconnect');
    expect(edges).toContain('serverConnection.disconnected.backoff -> serverConnection.connecting : after retryDelay');
    expect(edges).toContain('serverConnection.disconnected.backoff -> (none) : tool.call');
    expect(edges).toContain('serverConnection.connected -> serverConnection.disconnected.backoff : session.lost');
    expect(edges).toContain('serverConnection.connected -> serverConnection.error : session.lost [isCrashLoop]');
    expect(edges).toContain('serverConnection.connecting.initializing -> serverConnection.connecting.authorizing : session.authorizing [isCurrentAttempt]');
    expect(edges).toContain('serverConnection.connected.health.failed -> serverConnection.disconnected.backoff : always [isHealthThresholdReached]');
    expect(edges).toContain('serverConnection.connected.activity.quiet -> serverConnection.disconnected.idle : after idleTimeout [isIdleStopEnabled]');
    const reenter = g.edges.find((e) => e.source === 'serverConnection.connected.catalog.stale' && e.event === 'catalog.listChanged')!;
    expect(reenter).toMatchObject({ target: 'serverConnection.connected.catalog.stale', reenter: true, actions: ['markStale'] });
  });

  it('reads the whole breaker machine, guards with their static params', () => {
    expect(edgeText(machineGraph(circuitBreakerMachine))).toEqual([
      'circuitBreaker -> (none) : call.refused',
      'circuitBreaker -> (none) : breaker.sharing',
      'circuitBreaker.closed -> (none) : call.recorded',
      'circuitBreaker.closed -> (none) : calls.recorded',
      'circuitBreaker.closed -> (none) : breaker.reset',
      'circuitBreaker.closed -> circuitBreaker.open : breaker.remoteOpened',
      'circuitBreaker.closed -> circuitBreaker.open : always [isChangingTo(open)]',
      'circuitBreaker.open -> (none) : call.recorded',
      'circuitBreaker.open -> (none) : calls.recorded',
      'circuitBreaker.open -> circuitBreaker.closed : breaker.reset',
      'circuitBreaker.open -> circuitBreaker.open : breaker.remoteOpened',
      'circuitBreaker.open -> circuitBreaker.half-open : breaker.remoteHalfOpened',
      'circuitBreaker.open -> circuitBreaker.closed : breaker.remoteClosed',
      'circuitBreaker.open -> circuitBreaker.half-open : after openDuration',
      'circuitBreaker.half-open -> (none) : call.acquire [hasPermitLeft]',
      'circuitBreaker.half-open -> (none) : call.acquire',
      'circuitBreaker.half-open -> (none) : call.recorded',
      'circuitBreaker.half-open -> (none) : calls.recorded',
      'circuitBreaker.half-open -> circuitBreaker.closed : breaker.reset',
      'circuitBreaker.half-open -> (none) : breaker.probeGranted [isThisRound]',
      'circuitBreaker.half-open -> circuitBreaker.open : breaker.remoteOpened',
      'circuitBreaker.half-open -> circuitBreaker.closed : breaker.remoteClosed',
      'circuitBreaker.half-open -> circuitBreaker.open : after halfOpenMaxWait',
      'circuitBreaker.half-open -> circuitBreaker.open : always [isChangingTo(open)]',
      'circuitBreaker.half-open -> circuitBreaker.closed : always [isChangingTo(closed)]',
    ]);
  });

  it('reads invoke done and error, numeric delays, final states, inline guards and several targets', () => {
    const isReady = () => true;
    const machine = createMachine({
      id: 'm',
      initial: 'loading',
      states: {
        loading: {
          invoke: { id: 'fetcher', src: 'fetcher', onDone: { target: 'both', guard: isReady }, onError: 'failed' },
          after: { 500: 'failed' },
        },
        both: {
          type: 'parallel',
          states: { a: { initial: 'a1', states: { a1: { on: { GO: 'a2' } }, a2: {} } }, b: { initial: 'b1', states: { b1: {}, b2: {} } } },
          on: { JUMP: { target: ['.a.a2', '.b.b2'] } },
        },
        failed: { always: { target: 'done', guard: { type: 'canFinish' } } },
        done: { type: 'final' },
      },
    });
    const g = machineGraph(machine);
    expect(g.nodes.find((n) => n.id === 'm.done')!.type).toBe('final');
    expect(g.nodes.find((n) => n.id === 'm.loading')!.invoke).toEqual(['fetcher']);
    expect(edgeText(g)).toEqual([
      'm.loading -> m.both : done: fetcher [isReady]',
      'm.loading -> m.failed : error: fetcher',
      'm.loading -> m.failed : after 500 ms',
      'm.both -> m.both.a.a2 : JUMP',
      'm.both -> m.both.b.b2 : JUMP',
      'm.both.a.a1 -> m.both.a.a2 : GO',
      'm.failed -> m.done : always [canFinish]',
    ]);
    expect(g.edges.map((e) => e.kind)).toEqual(['done', 'error', 'after', 'event', 'event', 'event', 'always']);
  });

  it('serves both machines of a server, and the JSON round-trips', () => {
    const machines = viewMachines();
    expect(machines.connection.id).toBe('serverConnection');
    expect(machines.breaker.id).toBe('circuitBreaker');
    expect(JSON.parse(JSON.stringify(machines))).toEqual(machines);
  });
});
