import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { circuitBreakerMachine, type BreakerEvent, type BreakerStateChanged, type SharedBreakerEvent, type SharedBreakerInput } from '../../machines/circuitBreaker.js';
import { POLICY } from './breakersHarness.js';

/**
 * The breaker machine's side of sharing (DESIGN §16), with a fake `shared` actor: what it tells
 * the actor, how it takes other replicas' transitions, and the probe lease in half-open.
 */

const policy = { ...POLICY, permittedNumberOfCallsInHalfOpenState: 1 };

describe('circuitBreaker shared by a cluster', () => {
  /** A breaker whose `shared` actor is a fake: it records what the breaker tells it and lets the test answer. */
  function startShared() {
    const clock = new SimulatedClock();
    const told: SharedBreakerEvent[] = [];
    let answer: ((event: BreakerEvent) => void) | undefined;
    const shared = fromCallback<SharedBreakerEvent, SharedBreakerInput>(({ sendBack, receive }) => {
      answer = (event) => sendBack(event);
      sendBack({ type: 'breaker.sharing', replicaId: 'me' });
      receive((event) => told.push(event));
    });
    const actor = createActor(circuitBreakerMachine.provide({ actors: { shared } }), { clock, input: { server: 's', policy: policy } });
    const changes: BreakerStateChanged[] = [];
    actor.on('breaker.stateChanged', (e) => changes.push(e));
    actor.start();
    const fail = () => {
      for (let i = 0; i < 5; i++) actor.send({ type: 'call.recorded', requestId: `f${i}`, epoch: actor.getSnapshot().context.epoch, outcome: 'failure', durationMs: 1, at: clock.now() });
    };
    const acquire = (requestId: string) => {
      actor.send({ type: 'call.acquire', requestId });
      return actor.getSnapshot().context.permitted.includes(requestId);
    };
    return { actor, clock, told, changes, fail, acquire, answer: (event: BreakerEvent) => answer!(event) };
  }

  it('tells the shared actor its own transitions with durations, and not the ones it takes from others', () => {
    const b = startShared();
    b.fail();
    expect(b.told).toEqual([{ type: 'shared.changed', to: 'open', reason: 'failureRate', retryAfterMs: 5000, consecutiveOpens: 1 }]);
    expect(b.changes.at(-1)).toMatchObject({ to: 'open', changedBy: 'me' });
    b.answer({ type: 'breaker.remoteClosed', generation: 2, by: 'other', reason: 'manualReset', at: 10 });
    expect(b.actor.getSnapshot().value).toBe('closed');
    expect(b.changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'manualReset', changedBy: 'other', at: 10 });
    b.answer({ type: 'breaker.remoteOpened', retryAfterMs: 700, consecutiveOpens: 3, generation: 3, by: 'other', reason: 'probeFailed', at: 20 });
    expect(b.actor.getSnapshot().context).toMatchObject({ openedAt: 20, openUntil: 720, consecutiveOpens: 3, changedBy: 'other' });
    expect(b.told).toHaveLength(1);
    // The duration another replica sent is the one this breaker waits before half-opening.
    b.clock.increment(699);
    expect(b.actor.getSnapshot().value).toBe('open');
    b.clock.increment(1);
    expect(b.actor.getSnapshot().value).toBe('half-open');
  });

  it('refuses half-open permits until it holds the probe lease of this round', () => {
    const b = startShared();
    b.fail();
    b.clock.increment(5000);
    expect(b.actor.getSnapshot().value).toBe('half-open');
    const round = b.actor.getSnapshot().context.epoch;
    expect(b.told.at(-1)).toEqual({ type: 'shared.probeWanted', epoch: round });
    expect(b.acquire('p1')).toBe(false);
    b.answer({ type: 'breaker.probeGranted', epoch: round - 1 });
    expect(b.acquire('p2')).toBe(false);
    b.answer({ type: 'breaker.probeGranted', epoch: round });
    expect(b.acquire('p3')).toBe(true);
    expect(b.acquire('p4')).toBe(false);
  });
});
