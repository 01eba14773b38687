import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { ConnectionEvent } from '../../machines/serverConnection.js';
import { HealthLeader } from '../../src/cluster/leader.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { Attempts, type Attempt, type AttemptPorts } from '../../src/session/attempt.js';

/**
 * The connection's periodic health check (`probing` → `session.probe` → `Attempts.ping`) with the
 * cluster's health leader as its port: the leader pings its live session and publishes; a
 * non-leader answers `health.passed`/`health.failed` from the leader's result without pinging.
 */

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function replica(engine: MemoryEngine, clock: SimulatedClock, id: string, transport: 'http' | 'stdio', answer: () => Promise<void>) {
  const leader = new HealthLeader({ bus: engine.bus(), replicaId: id, clusterName: 'test', now: () => clock.now(), log: () => undefined }, { leaseMs: 3000, timers: clock });
  const events: ConnectionEvent[] = [];
  let pings = 0;
  const ports = {
    server: { name: 'api', config: { transport, health: { intervalMs: 1000, timeoutMs: 500, failureThreshold: 2 } } },
    redact: (text: string) => text,
    send: (event: ConnectionEvent) => events.push(event),
    health: leader,
  } as unknown as AttemptPorts;
  const attempts = new Attempts(ports);
  const session = {
    probe: () => {
      pings += 1;
      return answer();
    },
  };
  attempts.current = { id: 1, session, controller: new AbortController(), ready: true, ended: false, checking: false } as unknown as Attempt;
  return { leader, events, attempts, pings: () => pings };
}

describe('health checks of a session in a cluster', () => {
  it('pings on the leader only; the others answer from its results', async () => {
    const clock = new SimulatedClock();
    const engine = new MemoryEngine(() => clock.now());
    let healthy = true;
    const answer = () => (healthy ? Promise.resolve() : Promise.reject(new Error('503 Service Unavailable')));
    const a = replica(engine, clock, 'a', 'http', answer);
    const b = replica(engine, clock, 'b', 'http', answer);
    a.leader.start();
    b.leader.start();
    await flush();
    expect(a.leader.isLeader()).toBe(true);

    a.attempts.ping(1);
    await flush();
    b.attempts.ping(1);
    await flush();
    expect([a.pings(), b.pings()]).toEqual([1, 0]);
    expect(b.events).toEqual([{ type: 'health.passed', attemptId: 1 }]);

    healthy = false;
    a.attempts.ping(1);
    await flush();
    b.attempts.ping(1);
    await flush();
    expect([a.pings(), b.pings()]).toEqual([2, 0]);
    expect(b.events[1]).toEqual({ type: 'health.failed', attemptId: 1, error: { code: 'HealthCheckFailed', message: '503 Service Unavailable' } });
    await a.leader.stop();
    await b.leader.stop();
  });

  it('pings stdio sessions on every replica', async () => {
    const clock = new SimulatedClock();
    const engine = new MemoryEngine(() => clock.now());
    const a = replica(engine, clock, 'a', 'stdio', () => Promise.resolve());
    const b = replica(engine, clock, 'b', 'stdio', () => Promise.resolve());
    a.leader.start();
    b.leader.start();
    await flush();
    a.attempts.ping(1);
    await flush();
    b.attempts.ping(1);
    await flush();
    expect([a.pings(), b.pings()]).toEqual([1, 1]);
    await a.leader.stop();
    await b.leader.stop();
  });
});
