import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DeadlineQueue } from '../../src/calls/deadlines.js';

function setup() {
  const base = new SimulatedClock();
  let armed = 0;
  const clock = {
    now: () => base.now(),
    setTimeout: (fn: () => void, ms: number) => {
      armed++;
      return base.setTimeout(() => {
        armed--;
        fn();
      }, ms);
    },
    clearTimeout: (id: unknown) => {
      armed--;
      base.clearTimeout(id as number);
    },
  };
  const deadlines = new Map<string, number>();
  const expired: string[] = [];
  const queue = new DeadlineQueue(
    clock,
    (key, now) => deadlines.has(key) && deadlines.get(key)! <= now,
    (key) => {
      deadlines.delete(key);
      expired.push(key);
    },
    () => deadlines.size,
  );
  const add = (key: string, at: number) => {
    deadlines.set(key, at);
    queue.add(key, at);
  };
  return { base, queue, deadlines, expired, add, armed: () => armed };
}

describe('DeadlineQueue', () => {
  it('expires calls in deadline order on one timer', () => {
    const q = setup();
    q.add('b', 200);
    q.add('a', 100);
    q.add('c', 300);
    expect(q.armed()).toBe(1);
    q.base.increment(99);
    expect(q.expired).toEqual([]);
    q.base.increment(1);
    expect(q.expired).toEqual(['a']);
    q.base.increment(100);
    expect(q.expired).toEqual(['a', 'b']);
    q.base.increment(100);
    expect(q.expired).toEqual(['a', 'b', 'c']);
    expect(q.armed()).toBe(0);
  });

  it('skips settled calls and moved deadlines, and arms no timer once nothing is live', () => {
    const q = setup();
    q.add('a', 100);
    q.add('b', 150);
    q.deadlines.delete('a'); // settled
    q.add('b', 400); // progress moved b's deadline; the old entry stays in the heap
    q.base.increment(150);
    expect(q.expired).toEqual([]);
    expect(q.armed()).toBe(1);
    q.base.increment(250);
    expect(q.expired).toEqual(['b']);
    q.add('c', 1_000);
    q.deadlines.delete('c');
    q.queue.clear();
    expect(q.armed()).toBe(0);
  });

  it('keeps the heap ordered under many interleaved deadlines', () => {
    const q = setup();
    const order = [50, 10, 40, 30, 20, 60, 5, 45, 15, 35];
    order.forEach((at, i) => q.add(`k${i}`, at));
    q.base.increment(100);
    expect(q.expired).toEqual([...order.keys()].sort((i, j) => order[i]! - order[j]!).map((i) => `k${i}`));
  });

  it('stays within twice the live calls under sustained load, and still expires the live ones', () => {
    const { queue, deadlines, expired, add, base } = setup();
    // 64 calls always in flight; each settles (leaves the table) as the next one opens.
    for (let i = 0; i < 64; i++) add(`c${i}`, 60_000 + i);
    for (let i = 64; i < 20_000; i++) {
      deadlines.delete(`c${i - 64}`);
      add(`c${i}`, 60_000 + i);
      expect(queue.size).toBeLessThanOrEqual(2 * 64 + 64 + 1);
    }
    base.increment(60_000 + 19_999);
    expect(expired).toEqual(Array.from({ length: 64 }, (_, i) => `c${20_000 - 64 + i}`));
    expect(queue.size).toBe(0);
  });

  it('drops the superseded entries of a call whose deadline progress keeps moving', () => {
    const { queue, expired, add, base } = setup();
    // One long call that reports progress 10 000 times: every report moves its deadline later.
    for (let i = 0; i < 10_000; i++) {
      add('long', 60_000 + i);
      expect(queue.size).toBeLessThanOrEqual(2 * 1 + 64 + 1);
    }
    base.increment(60_000 + 9_998);
    expect(expired).toEqual([]);
    base.increment(1);
    expect(expired).toEqual(['long']);
  });
});
