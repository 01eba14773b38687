import { afterEach, describe, expect, it } from 'vitest';
import { createActor, setup, SimulatedClock, type AnyActorRef } from 'xstate';
import type { ConnectionPolicy } from '../../machines/connectionTypes.js';
import type { BreakerStateChanged } from '../../machines/circuitBreaker.js';
import { MANAGER_SYSTEM_ID } from '../../machines/circuitBreaker.js';
import type { ManagedServer } from '../../machines/manager.js';
import type { serverConnectionMachine } from '../../machines/serverConnection.js';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { SharedBreakers } from '../../src/cluster/sharedBreakers.js';
import { supervisedLogic, type PortSources } from '../../src/session/ports.js';
import { POLICY, settle } from './breakersHarness.js';

/**
 * The runtime's seam: `supervisedLogic({ ..., breakers })` gives every breaker the shared actor,
 * so a breaker opened under one manager (one replica) is reported under another, with the
 * replica that opened it; a server the runtime does not share (stdio) stays per replica.
 */

const connectionPolicy: ConnectionPolicy = {
  connectTimeoutMs: 1500,
  reconnect: { baseMs: 1000, multiplier: 2, minMs: 250, maxMs: 60000, maxAttempts: 0, stableAfterMs: 30000, restartIntensity: 5, restartPeriodMs: 60000 },
  health: { intervalMs: 0, timeoutMs: 5000, failureThreshold: 2 },
  toolsRefreshDebounceMs: 100,
  idleTimeoutMs: 0,
  waitForReconnectMs: 0,
};

const server = (name: string): ManagedServer => ({ name, connection: { server: name, policy: connectionPolicy, seed: 1 }, breaker: { server: name, policy: POLICY } });

const idleConnection = setup({}).createMachine({ id: 'idleConnection' }) as unknown as typeof serverConnectionMachine;

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function replica(id: string, engine: MemoryEngine, clock: SimulatedClock) {
  const context: ClusterContext = { bus: engine.bus(), replicaId: id, clusterName: 'test', now: () => clock.now(), log: () => undefined };
  const breakers = new SharedBreakers(context, (name) => name !== 'local');
  // The connections are idle stand-ins: only the breakers, as supervisedLogic provides them, are under test.
  const logic = supervisedLogic({ ...({} as PortSources), breakers }).provide({ actors: { connection: idleConnection } });
  const actor = createActor(logic, { clock, systemId: MANAGER_SYSTEM_ID, input: { servers: [server('api'), server('local')] } });
  const changes: BreakerStateChanged[] = [];
  actor.on('breaker.stateChanged', (e) => changes.push(e));
  actor.start();
  stops.push(() => actor.stop());
  const breaker = (name: string) => (actor.getSnapshot().children as Record<string, AnyActorRef>)[`breaker:${name}`]!;
  const open = (name: string) => {
    const { epoch } = breaker(name).getSnapshot().context;
    for (let i = 0; i < 5; i++) breaker(name).send({ type: 'call.recorded', requestId: `${id}${i}`, epoch, outcome: 'failure', durationMs: 1, at: clock.now() });
  };
  return { actor, changes, breaker, open, state: (name: string) => breaker(name).getSnapshot().value as string };
}

describe('shared breakers through supervisedLogic', () => {
  it('reports another replica\'s opening through the manager, and leaves unshared servers alone', async () => {
    const clock = new SimulatedClock();
    const engine = new MemoryEngine(() => clock.now());
    const a = replica('a', engine, clock);
    const b = replica('b', engine, clock);
    await settle();
    expect(a.actor.getSnapshot().context.failed).toEqual({});
    a.open('api');
    a.open('local');
    await settle();
    expect(b.state('api')).toBe('open');
    expect(b.state('local')).toBe('closed');
    expect(b.changes).toEqual([expect.objectContaining({ server: 'api', from: 'closed', to: 'open', reason: 'failureRate', changedBy: 'a' })]);
    expect(a.changes.map((c) => [c.server, c.changedBy])).toEqual([['api', 'a'], ['local', undefined]]);
  });
});
