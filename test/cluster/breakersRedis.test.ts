import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BreakerState } from '../../machines/breakerModel.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { realClock } from '../../src/core/clock.js';
import { busUp, startRedis, stopAllRedis } from '../helpers/redis.js';
import { POLICY, startReplica, type Replica } from './breakersHarness.js';

/**
 * Shared breakers on a real redis-server (a free loopback port): three replicas in one process,
 * each with its own connections, on the real clock. Measures how long an opening on one replica
 * takes to make the two others refuse, over 50 openings (DESIGN §16: within 100 ms).
 */

const buses: RedisBus[] = [];
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) r.stop();
  await Promise.all(buses.splice(0).map((b) => b.close()));
});
afterAll(stopAllRedis);

/** Resolves when `replica` reports a transition to `to`; rejects after `ms` (only so a bug cannot hang the test). */
function next(replica: Replica, to: BreakerState, ms = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off.unsubscribe();
      reject(new Error(`replica ${replica.id} did not go ${to} within ${ms} ms`));
    }, ms);
    const off = replica.actor.on('breaker.stateChanged', (e) => {
      if (e.to !== to) return;
      clearTimeout(timer);
      off.unsubscribe();
      resolve(performance.now());
    });
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('shared breakers on Redis', () => {
  it('makes the other replicas refuse within 100 ms (p95) of an opening, and close within 100 ms of a reset', async () => {
    const redis = await startRedis();
    const policy = { ...POLICY, waitDurationInOpenMs: 60_000 };
    for (const id of ['a', 'b', 'c']) {
      const bus = await createRedisBus({ url: redis.url, clusterName: 'breakers-test', commandTimeoutMs: 250 });
      buses.push(bus);
      await busUp(bus);
      replicas.push(startReplica({ id, bus, clock: realClock, policy, clusterName: 'breakers-test' }));
      await bus.whenSubscribed();
    }
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const latencies: number[] = [];
    const resets: number[] = [];
    for (let round = 0; round < 50; round++) {
      const opened = [next(b, 'open'), next(c, 'open')];
      const start = performance.now();
      a.fail();
      expect(a.state()).toBe('open');
      const [tb, tc] = await Promise.all(opened);
      latencies.push(Math.max(tb!, tc!) - start);
      for (const r of [b, c]) expect(r.call()).toMatchObject({ code: 'CircuitOpen' });
      // A reset on another replica closes all of them.
      const closed = [next(a, 'closed'), next(c, 'closed')];
      const resetAt = performance.now();
      b.actor.send({ type: 'breaker.reset', at: realClock.now() });
      const [ta, tc2] = await Promise.all(closed);
      resets.push(Math.max(ta!, tc2!) - resetAt);
    }
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    console.log(`shared breakers on Redis: opening seen by both other replicas p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms over ${latencies.length} openings`);
    const resetP95 = percentile(resets, 95);
    console.log(`shared breakers on Redis: a reset seen by both other replicas p50 ${percentile(resets, 50).toFixed(2)} ms, p95 ${resetP95.toFixed(2)} ms over ${resets.length} resets`);
    expect(p95).toBeLessThan(100);
    expect(resetP95).toBeLessThan(100);
    for (const r of replicas) expect(r.errors).toEqual([]);
    expect(a.breakers.stats.failures + b.breakers.stats.failures + c.breakers.stats.failures).toBe(0);
  });
});
