import { createActor, SimulatedClock } from 'xstate';
import type { BreakerPolicy, CallOutcome } from '../../machines/breakerModel.js';
import { circuitBreakerMachine, type BreakerStateChanged } from '../../machines/circuitBreaker.js';
import { BreakerGate, LocalBreakerStore } from '../../src/breaker/index.js';
import type { ClusterBus, ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { SharedBreakers } from '../../src/cluster/sharedBreakers.js';
import type { RuntimeClock } from '../../src/core/clock.js';
import type { SwitchboardError } from '../../src/core/errors.js';

/** The breaker policy of these tests: opens on 5 calls at 50 %, 5 s open, one probe, 1 s to probe. */
export const POLICY: BreakerPolicy = {
  failureRateThreshold: 50,
  slidingWindowSize: 5,
  minimumNumberOfCalls: 5,
  slowCallDurationThresholdMs: 60_000,
  slowCallRateThreshold: 100,
  waitDurationInOpenMs: 5000,
  openBackoffMultiplier: 2,
  maxWaitDurationInOpenMs: 60_000,
  permittedNumberOfCallsInHalfOpenState: 1,
  maxWaitDurationInHalfOpenMs: 1000,
};

export interface LogLine {
  replica: string;
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** One replica: its breaker actor of `server` (with the shared actor provided), its gate and what it reported. */
export function startReplica(options: { id: string; bus: ClusterBus; clock: RuntimeClock; policy?: BreakerPolicy; server?: string; logs?: LogLine[]; shares?: (server: string) => boolean; clusterName?: string }) {
  const { id, bus, clock } = options;
  const server = options.server ?? 'api';
  const context: ClusterContext = {
    bus,
    replicaId: id,
    clusterName: options.clusterName ?? 'test',
    now: () => clock.now(),
    log: (level, message, fields) => options.logs?.push({ replica: id, level, message, fields }),
  };
  const breakers = new SharedBreakers(context, options.shares ?? ((name) => name !== 'local'));
  const actor = createActor(circuitBreakerMachine.provide({ actors: { shared: breakers.logic } }), { clock, input: { server, policy: options.policy ?? POLICY } });
  const changes: BreakerStateChanged[] = [];
  actor.on('breaker.stateChanged', (e) => changes.push(e));
  const errors: unknown[] = [];
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  const gate = new BreakerGate(new LocalBreakerStore(() => actor), server, clock);
  let seq = 0;
  /** One call: refused (the error) or admitted and finished with `outcome` at once. */
  const call = (outcome: CallOutcome = 'success'): SwitchboardError | 'admitted' => {
    const requestId = `${id}-${++seq}`;
    const permission = gate.permit(requestId);
    if ('refused' in permission) return permission.refused;
    gate.record(requestId, permission.epoch, outcome, clock.now());
    return 'admitted';
  };
  /** Admits and finishes `n` failing calls (opens a closed breaker of POLICY when n ≥ 5). */
  const fail = (n = 5) => {
    for (let i = 0; i < n; i++) call('failure');
    gate.settle();
  };
  return {
    id,
    bus,
    breakers,
    actor,
    changes,
    errors,
    gate,
    call,
    fail,
    state: () => actor.getSnapshot().value,
    stop: () => {
      gate.close();
      actor.stop();
    },
  };
}

export type Replica = ReturnType<typeof startReplica>;

/** Every pending microtask and promise settles (messages of the in-memory engine, writes, reads). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Three (or `ids.length`) replicas of one cluster on one in-memory "Redis" and one simulated clock. */
export async function startCluster(ids: string[] = ['a', 'b', 'c'], options: { server?: string } = {}) {
  const clock = new SimulatedClock();
  const engine = new MemoryEngine(() => clock.now());
  const logs: LogLine[] = [];
  const replicas = ids.map((id) => startReplica({ id, bus: engine.bus(), clock, logs, ...options }));
  await settle();
  const total = () => [...engine.commands.values()].reduce((a, b) => a + b, 0);
  /** Moves the clock and lets whatever it started settle. */
  const advance = async (ms: number) => {
    clock.increment(ms);
    await settle();
  };
  const add = async (id: string) => {
    const replica = startReplica({ id, bus: engine.bus(), clock, logs, ...options });
    replicas.push(replica);
    await settle();
    return replica;
  };
  const stop = () => {
    for (const r of replicas) r.stop();
  };
  return { clock, engine, logs, replicas, total, advance, add, stop, byId: (id: string) => replicas.find((r) => r.id === id)! };
}
