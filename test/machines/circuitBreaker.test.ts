import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, type InspectionEvent } from 'xstate';
import { breakerStatus, type BreakerPolicy, type CallOutcome, type RecordedCall } from '../../machines/breakerModel.js';
import { circuitBreakerMachine, type BreakerStateChanged } from '../../machines/circuitBreaker.js';

const policy: BreakerPolicy = {
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

function startBreaker(overrides: Partial<BreakerPolicy> = {}) {
  const clock = new SimulatedClock();
  // Counts the transitions that apply the recording reducer (`recordCalls`), one per microstep taken.
  let recordings = 0;
  const inspect = (e: InspectionEvent) => {
    if (e.type !== '@xstate.microstep') return;
    for (const t of e._transitions) {
      for (const a of t.actions) if ((typeof a === 'string' ? a : (a as { type?: unknown }).type) === 'recordCalls') recordings++;
    }
  };
  const actor = createActor(circuitBreakerMachine, { clock, inspect, input: { server: 's', policy: { ...policy, ...overrides } } });
  const changes: BreakerStateChanged[] = [];
  actor.on('breaker.stateChanged', (e) => changes.push(e));
  actor.start();
  let seq = 0;
  const state = () => actor.getSnapshot().value;
  const status = () => breakerStatus(state(), actor.getSnapshot().context, clock.now());
  /** Acquires (in half-open) and records one call; returns whether it was permitted. */
  const call = (outcome: CallOutcome, durationMs = 10): boolean => {
    const requestId = `r${++seq}`;
    const snap = actor.getSnapshot();
    if (snap.value === 'open') {
      actor.send({ type: 'call.refused' });
      return false;
    }
    if (snap.value === 'half-open') {
      actor.send({ type: 'call.acquire', requestId });
      if (!actor.getSnapshot().context.permitted.includes(requestId)) return false;
    }
    const epoch = actor.getSnapshot().context.epoch;
    actor.send({ type: 'call.recorded', requestId, epoch, outcome, durationMs, at: clock.now() });
    return true;
  };
  /** Starts a call (taking a permit when half-open) and returns a function that finishes it. */
  const begin = () => {
    const requestId = `r${++seq}`;
    if (actor.getSnapshot().value === 'half-open') actor.send({ type: 'call.acquire', requestId });
    const epoch = actor.getSnapshot().context.epoch;
    return (outcome: CallOutcome, durationMs = 10) =>
      actor.send({ type: 'call.recorded', requestId, epoch, outcome, durationMs, at: clock.now() });
  };
  const trip = () => {
    for (let i = 0; i < 5; i++) call('failure');
    expect(state()).toBe('open');
  };
  /** Sends one burst of outcomes and returns how many times the reducer was applied for it. */
  const burst = (calls: RecordedCall[]): number => {
    const before = recordings;
    actor.send({ type: 'calls.recorded', calls });
    return recordings - before;
  };
  const ctx = () => actor.getSnapshot().context;
  return { actor, clock, changes, state, status, call, begin, trip, burst, ctx };
}

describe('circuitBreaker', () => {
  it('stays closed below the minimum number of calls (CB-01)', () => {
    const b = startBreaker();
    for (let i = 0; i < 4; i++) {
      b.call('failure');
      expect(b.state()).toBe('closed');
      expect(b.status().failureRate).toBe(-1);
    }
  });

  it('opens once the failure rate reaches the threshold (CB-02)', () => {
    const b = startBreaker();
    ['failure', 'failure', 'failure', 'success'].forEach((o) => b.call(o as CallOutcome));
    expect(b.state()).toBe('closed');
    b.call('success');
    expect(b.state()).toBe('open');
    expect(b.changes).toHaveLength(1);
    expect(b.changes[0]).toMatchObject({ from: 'closed', to: 'open', reason: 'failureRate', server: 's' });
  });

  it('opens at exactly the threshold, comparing with >= (CB-03)', () => {
    const b = startBreaker({ slidingWindowSize: 4, minimumNumberOfCalls: 4 });
    ['failure', 'failure', 'success', 'success'].forEach((o) => b.call(o as CallOutcome));
    expect(b.state()).toBe('open');
  });

  it('slides the window so old failures fall out (CB-04)', () => {
    const b = startBreaker();
    ['failure', 'failure', 'success', 'success', 'success', 'success', 'success', 'failure', 'failure'].forEach((o) => b.call(o as CallOutcome));
    expect(b.state()).toBe('closed');
    expect(b.status().failureRate).toBe(40);
  });

  it('refuses calls while open and reports the time left (CB-05, CB-06)', () => {
    const b = startBreaker();
    b.trip();
    expect(b.status().retryAfterMs).toBe(5000);
    b.clock.increment(1);
    expect(b.status().retryAfterMs).toBe(4999);
    expect(b.call('success')).toBe(false);
    expect(b.status().notPermittedCalls).toBe(1);
  });

  it('moves to half-open on its own when the open duration ends (CB-07)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(4999);
    expect(b.state()).toBe('open');
    b.clock.increment(1);
    expect(b.state()).toBe('half-open');
    expect(b.changes.at(-1)).toMatchObject({ from: 'open', to: 'half-open', reason: 'openTimeout', at: 5000 });
  });

  it('admits only the permitted probes in half-open and refuses the rest at once (CB-08)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(5000);
    const finishers = [b.begin(), b.begin(), b.begin(), b.begin()];
    expect(b.actor.getSnapshot().context.permitted).toHaveLength(4);
    b.actor.send({ type: 'call.acquire', requestId: 'extra' });
    expect(b.actor.getSnapshot().context.permitted).not.toContain('extra');
    expect(b.status().notPermittedCalls).toBe(1);
    finishers.forEach((finish) => finish('success'));
    expect(b.state()).toBe('closed');
  });

  it('closes when the probe round stays below the threshold (CB-09)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(5000);
    ['failure', 'success', 'success', 'success'].forEach((o) => b.call(o as CallOutcome));
    expect(b.state()).toBe('closed');
    expect(b.status().bufferedCalls).toBe(0);
    expect(b.changes.at(-1)).toMatchObject({ from: 'half-open', to: 'closed', reason: 'probeSucceeded' });
  });

  it('reopens when the probe round fails (CB-10)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(5000);
    ['failure', 'failure', 'success', 'failure'].forEach((o) => b.call(o as CallOutcome));
    expect(b.state()).toBe('open');
    expect(b.changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'probeFailed' });

    const single = startBreaker({ permittedNumberOfCallsInHalfOpenState: 1 });
    single.trip();
    single.clock.increment(5000);
    single.call('failure');
    expect(single.state()).toBe('open');
  });

  it('gives a cancelled probe its permit back (CB-11)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(5000);
    const results = ['success', 'success', 'success', 'ignored', 'failure'].map((o) => b.call(o as CallOutcome));
    expect(results).toEqual([true, true, true, true, true]);
    expect(b.state()).toBe('closed');
    expect(b.status().ignoredCalls).toBe(1);
  });

  it('grows the open duration on consecutive opens and resets it on close (CB-13)', () => {
    const b = startBreaker({ permittedNumberOfCallsInHalfOpenState: 1 });
    b.trip();
    b.clock.increment(5000);
    b.call('failure');
    expect(b.status().retryAfterMs).toBe(10000);
    b.clock.increment(10000);
    b.call('failure');
    expect(b.status().retryAfterMs).toBe(20000);
    b.clock.increment(20000);
    b.call('success');
    expect(b.state()).toBe('closed');
    b.trip();
    expect(b.status().retryAfterMs).toBe(5000);
  });

  it('reopens when a probe hangs past the half-open limit and ignores its late outcome (CB-14)', () => {
    const b = startBreaker({ permittedNumberOfCallsInHalfOpenState: 1 });
    b.trip();
    b.clock.increment(5000);
    const finish = b.begin();
    b.clock.increment(1000);
    expect(b.state()).toBe('open');
    expect(b.changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'halfOpenTimeout', at: 6000 });
    const transitions = b.changes.length;
    finish('failure');
    expect(b.status().lateOutcomes).toBe(1);
    expect(b.changes).toHaveLength(transitions);
  });

  it('ignores an outcome from before the trip (CB-15)', () => {
    const b = startBreaker();
    const finishA = b.begin();
    b.trip();
    const openUntil = b.actor.getSnapshot().context.openUntil;
    finishA('failure');
    expect(b.state()).toBe('open');
    expect(b.actor.getSnapshot().context.openUntil).toBe(openUntil);
    expect(b.status().lateOutcomes).toBe(1);
  });

  it('resets to closed from open and from half-open with a probe in flight (CB-16)', () => {
    const b = startBreaker();
    b.trip();
    b.actor.send({ type: 'breaker.reset', at: b.clock.now() });
    expect(b.state()).toBe('closed');
    expect(b.changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'manualReset' });
    b.trip();
    b.clock.increment(5000);
    const finish = b.begin();
    b.actor.send({ type: 'breaker.reset', at: b.clock.now() });
    expect(b.state()).toBe('closed');
    expect(b.status().consecutiveOpens).toBe(0);
    finish('failure');
    expect(b.status().lateOutcomes).toBe(1);
    expect(b.status().bufferedCalls).toBe(0);
  });

  it('clears the metrics on reset in closed without a state change (CB-17)', () => {
    const b = startBreaker();
    b.call('success');
    b.call('failure');
    b.actor.send({ type: 'breaker.reset', at: 0 });
    expect(b.state()).toBe('closed');
    expect(b.status().bufferedCalls).toBe(0);
    expect(b.changes).toHaveLength(0);
  });

  it('opens on a slow-call rate in half-open even without failures (CB-19)', () => {
    const b = startBreaker();
    b.trip();
    b.clock.increment(5000);
    [5000, 5000, 5000, 10].forEach((ms) => b.call('success', ms));
    expect(b.state()).toBe('open');
  });

  it('announces exactly one change per transition and none for no-op events (CB-20)', () => {
    const b = startBreaker({ permittedNumberOfCallsInHalfOpenState: 1 });
    b.call('success');
    b.actor.send({ type: 'call.refused' });
    expect(b.changes).toHaveLength(0);
    b.trip();
    b.clock.increment(5000);
    b.call('success');
    expect(b.changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
    expect(new Set(b.changes.map((c) => c.epoch)).size).toBe(3);
  });

  it('applies a burst of outcomes in one event, with at most one transition and the rest late', () => {
    const b = startBreaker();
    const epoch = b.actor.getSnapshot().context.epoch;
    const calls = ['failure', 'failure', 'failure', 'success', 'failure', 'success', 'failure'].map((outcome, i) => ({
      requestId: `burst${i}`,
      epoch,
      outcome: outcome as CallOutcome,
      durationMs: 5,
      at: 7,
    }));
    b.actor.send({ type: 'calls.recorded', calls });
    expect(b.state()).toBe('open');
    expect(b.changes).toEqual([expect.objectContaining({ from: 'closed', to: 'open', reason: 'failureRate', at: 7 })]);
    expect(b.status().lateOutcomes).toBe(2);
    expect(b.actor.getSnapshot().context.openUntil).toBe(5007);
  });

  it('clamps the minimum number of calls to the window size', () => {
    const b = startBreaker({ slidingWindowSize: 2, minimumNumberOfCalls: 10 });
    b.call('failure');
    b.call('failure');
    expect(b.state()).toBe('open');
  });
  it('applies a tripping burst once and reports exactly one change, with later outcomes late', () => {
    const b = startBreaker();
    const epoch = b.ctx().epoch;
    const outcomes: CallOutcome[] = ['failure', 'ignored', 'failure', 'failure', 'success', 'failure', 'failure', 'ignored', 'success'];
    const calls = outcomes.map((outcome, i) => ({ requestId: `b${i}`, epoch, outcome, durationMs: 5, at: 40 + i }));
    expect(b.burst(calls)).toBe(1);
    expect(b.state()).toBe('open');
    // The fifth counted outcome (index 5, at 45) trips it; the three after it are late, the
    // ignored one among them included, and none of them fills the fresh window.
    expect(b.changes).toEqual([{ type: 'breaker.stateChanged', server: 's', from: 'closed', to: 'open', reason: 'failureRate', epoch: b.ctx().epoch, at: 45 }]);
    expect(b.status()).toMatchObject({ lateOutcomes: 3, ignoredCalls: 1, bufferedCalls: 0, consecutiveOpens: 1 });
    expect(b.ctx().openUntil).toBe(5045);
    expect(b.ctx().change).toBeNull();
  });

  it('applies a burst that decides nothing once and reports nothing', () => {
    const b = startBreaker();
    const epoch = b.ctx().epoch;
    expect(b.burst([0, 1, 2].map((i) => ({ requestId: `q${i}`, epoch, outcome: 'failure' as const, durationMs: 5, at: i })))).toBe(1);
    expect(b.state()).toBe('closed');
    expect(b.changes).toEqual([]);
    expect(b.status().bufferedCalls).toBe(3);
  });

  it('closes a half-open breaker on a burst of probes once, counting extra outcomes as late', () => {
    const b = startBreaker({ permittedNumberOfCallsInHalfOpenState: 2 });
    b.trip();
    b.clock.increment(5000);
    b.actor.send({ type: 'call.acquire', requestId: 'p1' });
    b.actor.send({ type: 'call.acquire', requestId: 'p2' });
    const epoch = b.ctx().epoch;
    const changes = b.changes.length;
    const recorded = (requestId: string, outcome: CallOutcome): RecordedCall => ({ requestId, epoch, outcome, durationMs: 5, at: 5010 });
    expect(b.burst([recorded('p1', 'success'), recorded('p2', 'success'), recorded('p1', 'failure'), recorded('stray', 'failure')])).toBe(1);
    expect(b.state()).toBe('closed');
    expect(b.changes.slice(changes)).toEqual([expect.objectContaining({ from: 'half-open', to: 'closed', reason: 'probeSucceeded', epoch: b.ctx().epoch })]);
    expect(b.status()).toMatchObject({ lateOutcomes: 2, bufferedCalls: 0 });
  });

  it('reports in every change the epoch of the state it enters', () => {
    const b = startBreaker({ permittedNumberOfCallsInHalfOpenState: 1 });
    const epochs: [string, number, number][] = [];
    const check = (step: () => void) => {
      const before = b.changes.length;
      step();
      expect(b.changes).toHaveLength(before + 1);
      const change = b.changes.at(-1)!;
      epochs.push([`${change.from}>${change.to}`, change.epoch, b.ctx().epoch]);
    };
    check(() => b.trip());
    check(() => b.clock.increment(5000));
    check(() => b.call('failure'));
    check(() => b.clock.increment(10000));
    check(() => {
      b.begin();
      b.clock.increment(1000);
    });
    check(() => b.actor.send({ type: 'breaker.reset', at: b.clock.now() }));
    check(() => b.trip());
    check(() => b.clock.increment(5000));
    check(() => b.call('success'));
    expect(epochs.map(([step]) => step)).toEqual(['closed>open', 'open>half-open', 'half-open>open', 'open>half-open', 'half-open>open', 'open>closed', 'closed>open', 'open>half-open', 'half-open>closed']);
    for (const [step, reported, actual] of epochs) expect({ step, reported }).toEqual({ step, reported: actual });
    expect(new Set(epochs.map(([, e]) => e)).size).toBe(epochs.length);
  });
});
