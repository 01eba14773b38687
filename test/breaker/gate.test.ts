import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DEFAULT_BREAKER_POLICY_FOR_TESTS } from './policy.js';
import { cannotChangeState, type BreakerState, type RecordedCall } from '../../machines/breakerModel.js';
import { BreakerGate, QUIET_WINDOW_MS, type BreakerStore, type CachedBreaker } from '../../src/breaker/index.js';

/** A store of our own behind the seam: what a shared (Redis) store would look like to the gate. */
class RecordingStore implements BreakerStore {
  state: BreakerState = 'closed';
  epoch = 3;
  openUntil: number | null = null;
  halfOpenSlots = 1;
  readonly recorded: RecordedCall[][] = [];
  refusals = 0;
  view(): CachedBreaker {
    return { state: this.state, epoch: this.epoch, openUntil: this.openUntil, policy: DEFAULT_BREAKER_POLICY_FOR_TESTS };
  }
  refused(): void {
    this.refusals++;
  }
  acquire(): number | undefined {
    return this.halfOpenSlots-- > 0 ? this.epoch : undefined;
  }
  record(_server: string, calls: RecordedCall[]): void {
    this.recorded.push(calls);
  }
}

const flushMicrotasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('BreakerGate over a BreakerStore', () => {
  it('admits from the store view, refuses while open with the time left, grants half-open slots the store grants', () => {
    const clock = new SimulatedClock();
    const store = new RecordingStore();
    const gate = new BreakerGate(store, 'remote', clock);
    expect(gate.permit('r1')).toEqual({ epoch: 3 });
    store.state = 'open';
    store.openUntil = clock.now() + 1_500;
    const refused = gate.permit('r2');
    expect('refused' in refused && refused.refused.code).toBe('CircuitOpen');
    expect('refused' in refused && refused.refused.retryAfterMs).toBe(1_500);
    expect(store.refusals).toBe(1);
    expect(gate.isOpen()).toBe(true);
    store.state = 'half-open';
    expect(gate.permit('r3')).toEqual({ epoch: 3 });
    const second = gate.permit('r4');
    expect('refused' in second && second.refused.code).toBe('CircuitOpen');
  });

  it('holds outcomes that cannot change the state for one quiet window, and flushes anything else at once, in order', async () => {
    const clock = new SimulatedClock();
    const store = new RecordingStore();
    const gate = new BreakerGate(store, 'remote', clock);
    gate.record('a', 3, 'success', clock.now());
    gate.record('b', 3, 'success', clock.now());
    await flushMicrotasks();
    expect(store.recorded).toEqual([]);
    clock.increment(QUIET_WINDOW_MS);
    expect(store.recorded.map((calls) => calls.map((c) => c.requestId))).toEqual([['a', 'b']]);
    gate.record('c', 3, 'success', clock.now());
    gate.record('d', 3, 'failure', clock.now());
    await flushMicrotasks();
    expect(store.recorded.map((calls) => calls.map((c) => c.requestId))).toEqual([['a', 'b'], ['c', 'd']]);
    // Not closed: nothing waits.
    store.state = 'half-open';
    gate.record('e', 3, 'success', clock.now());
    await flushMicrotasks();
    expect(store.recorded.at(-1)!.map((c) => c.requestId)).toEqual(['e']);
  });
});

describe('cannotChangeState', () => {
  it('is true only for fast non-failures while closed', () => {
    const policy = DEFAULT_BREAKER_POLICY_FOR_TESTS;
    const fast = policy.slowCallDurationThresholdMs;
    expect(cannotChangeState('closed', 'success', fast, policy)).toBe(true);
    expect(cannotChangeState('closed', 'ignored', 0, policy)).toBe(true);
    expect(cannotChangeState('closed', 'success', fast + 1, policy)).toBe(false);
    expect(cannotChangeState('closed', 'failure', 0, policy)).toBe(false);
    expect(cannotChangeState('half-open', 'success', 0, policy)).toBe(false);
    expect(cannotChangeState('open', 'success', 0, policy)).toBe(false);
  });
});
