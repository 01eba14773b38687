import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { HealthLeader, HEALTH_CHANNEL } from '../../src/cluster/leader.js';
import { MemoryEngine, type MemoryBus } from '../../src/cluster/memoryBus.js';
import type { HealthTarget } from '../../src/session/attempt.js';

/**
 * The health leader (DESIGN §16) on an in-memory engine and a SimulatedClock: one leader among
 * replicas, takeover within the lease after the leader stalls, fences, non-leaders that take the
 * leader's results instead of pinging, and every replica probing when Redis is down.
 */

const LEASE_MS = 3_000;
const INTERVAL_MS = 1_000;
const remote: HealthTarget = { name: 'api', transport: 'http', intervalMs: INTERVAL_MS };
const local: HealthTarget = { name: 'fs', transport: 'stdio', intervalMs: INTERVAL_MS };

interface Replica {
  id: string;
  bus: MemoryBus;
  leader: HealthLeader;
  logs: { level: string; message: string }[];
  /** Pings this replica sent itself (the fake pinger). */
  pings: number;
  /** SIGSTOP: its timers do not fire while true (they wait in `stalled`). */
  frozen: boolean;
  stalled: (() => void)[];
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

let clock: SimulatedClock;
let engine: MemoryEngine;
let replicas: Replica[] = [];

function replica(id: string): Replica {
  const bus = engine.bus('switchboard:test:');
  const logs: Replica['logs'] = [];
  const ctx: ClusterContext = { bus, replicaId: id, clusterName: 'test', now: () => clock.now(), log: (level, message) => logs.push({ level, message }) };
  const r = { id, bus, logs, pings: 0, frozen: false, stalled: [] } as unknown as Replica;
  // Timers that stall while the replica is frozen, as a SIGSTOPped process's would: they fire when it thaws.
  const timers = {
    setTimeout: (fn: () => void, ms: number) => clock.setTimeout(() => (r.frozen ? r.stalled.push(fn) : fn()), ms),
    clearTimeout: (t: unknown) => clock.clearTimeout(t as number),
  };
  r.leader = new HealthLeader(ctx, { leaseMs: LEASE_MS, timers });
  replicas.push(r);
  return r;
}

/** One periodic health check on `r`, as a connection's `probing` state runs it: the leader's result, else a ping. */
function check(r: Replica, target = remote, ok = true): 'taken' | 'pinged' {
  if (r.leader.take(target)) return 'taken';
  r.pings += 1;
  r.leader.report(target, ok ? { ok, latencyMs: 3 } : { ok, error: { code: 'HealthCheckFailed', message: 'no' } });
  return 'pinged';
}

/** Advances the clock by `ms` in steps, letting promises and messages settle. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.increment(Math.min(step, ms - done));
    await flush();
  }
}

async function three(): Promise<Replica[]> {
  clock = new SimulatedClock();
  engine = new MemoryEngine(() => clock.now());
  const rs = ['a', 'b', 'c'].map(replica);
  for (const r of rs) r.leader.start();
  await flush();
  return rs;
}

afterEach(async () => {
  for (const r of replicas) {
    await r.leader.stop();
    await r.bus.close();
  }
  replicas = [];
});

describe('health leader', () => {
  it('elects exactly one leader among three replicas, and all agree on it', async () => {
    const rs = await three();
    await advance(5 * LEASE_MS);
    expect(rs.filter((r) => r.leader.isLeader())).toHaveLength(1);
    expect(new Set(rs.map((r) => r.leader.leader())).size).toBe(1);
    expect(rs[0]!.leader.leader()).toBe('a');
  });

  it('lets only the leader ping remote servers; the others take its results', async () => {
    const rs = await three();
    for (let i = 0; i < 10; i++) {
      // The leader's check comes first in each interval; the others follow within it.
      check(rs[0]!);
      await advance(INTERVAL_MS / 2);
      for (const r of rs.slice(1)) check(r);
      await advance(INTERVAL_MS / 2);
    }
    expect(rs.map((r) => r.pings)).toEqual([10, 0, 0]);
    expect(rs[1]!.leader.counts.taken).toBe(10);
  });

  it('hands a failed result over as a failure', async () => {
    const rs = await three();
    check(rs[0]!, remote, false);
    await flush();
    expect(rs[1]!.leader.take(remote)).toEqual({ ok: false, error: { code: 'HealthCheckFailed', message: 'no' } });
  });

  it('always pings stdio servers locally', async () => {
    const rs = await three();
    // Even with a fresh result of the leader under that name.
    check(rs[0]!, { ...local, transport: 'http' });
    await flush();
    for (let i = 0; i < 3; i++) {
      for (const r of rs) check(r, local);
      await advance(INTERVAL_MS);
    }
    expect(rs.map((r) => r.pings)).toEqual([4, 3, 3]);
  });

  it('pings for itself when the leader\'s result is older than two intervals', async () => {
    const rs = await three();
    check(rs[0]!);
    await flush();
    expect(check(rs[1]!)).toBe('taken');
    await advance(2 * INTERVAL_MS + 100);
    expect(check(rs[1]!)).toBe('pinged');
  });

  it('replaces a stalled leader within the lease, with a higher fence, and ignores the old fence', async () => {
    const rs = await three();
    await advance(LEASE_MS);
    const [a, b, c] = rs as [Replica, Replica, Replica];
    const oldFence = a.leader.currentFence()!;
    a.frozen = true;
    const stalledAt = clock.now();
    while (![b, c].some((r) => r.leader.isLeader())) {
      await advance(50, 50);
      expect(clock.now() - stalledAt).toBeLessThanOrEqual(LEASE_MS + LEASE_MS / 3);
    }
    const takeover = clock.now() - stalledAt;
    const next = [b, c].find((r) => r.leader.isLeader())!;
    const other = next === b ? c : b;
    await advance(LEASE_MS / 3);
    expect(next.leader.currentFence()).toBeGreaterThan(oldFence);
    expect(other.leader.leader()).toBe(next.id);
    // The stalled leader wakes up still believing it leads, and reports before its next lease try.
    a.frozen = false;
    expect(a.leader.isLeader()).toBe(true);
    check(a);
    await flush();
    expect(check(other)).toBe('pinged');
    // The new leader's results are taken.
    check(next);
    await flush();
    expect(check(other)).toBe('taken');
    // Its stalled lease try runs on SIGCONT: then it knows it no longer leads.
    for (const fn of a.stalled.splice(0)) fn();
    await flush();
    expect(a.leader.leader()).toBe(next.id);
    console.log(`leader takeover after a stall: ${takeover} ms (lease ${LEASE_MS} ms)`);
  });

  it('hands the lease over at once when the leader stops cleanly', async () => {
    const rs = await three();
    await rs[0]!.leader.stop();
    await advance(LEASE_MS / 3);
    expect(rs.slice(1).filter((r) => r.leader.isLeader())).toHaveLength(1);
  });

  it('lets every replica probe while Redis is down, and elects again when it returns', async () => {
    const rs = await three();
    check(rs[0]!);
    await flush();
    engine.setDown(true);
    await flush();
    expect(rs.map((r) => r.leader.leader())).toEqual([null, null, null]);
    for (const r of rs) check(r);
    expect(rs.map((r) => r.pings)).toEqual([2, 1, 1]);
    await advance(2 * LEASE_MS);
    expect(rs.map((r) => r.leader.leader())).toEqual([null, null, null]);
    engine.setDown(false);
    await advance(LEASE_MS + LEASE_MS / 3);
    expect(rs.filter((r) => r.leader.isLeader())).toHaveLength(1);
  });

  it('ignores results that do not parse, of another cluster or of another format, with a warning', async () => {
    const rs = await three();
    const b = rs[1]!;
    const fence = b.leader.currentFence()!;
    const good = { v: 1, cluster: 'test', server: 'api', ok: true, fence, by: 'a' };
    for (const text of ['{', JSON.stringify({ ...good, cluster: 'other' }), JSON.stringify({ ...good, v: 0 }), JSON.stringify({ ...good, fence: 'x' })]) await rs[2]!.bus.publish(HEALTH_CHANNEL, text);
    await flush();
    expect(b.leader.take(remote)).toBeUndefined();
    expect(b.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'health leader: a result was ignored (not JSON)',
      'health leader: a result was ignored (another cluster name)',
      'health leader: a result was ignored (format 0 (this replica reads 1))',
      'health leader: a result was ignored (missing fields)',
    ]);
    await rs[2]!.bus.publish(HEALTH_CHANNEL, JSON.stringify(good));
    await flush();
    expect(b.leader.take(remote)).toEqual({ ok: true });
  });

  it('tells listeners who leads', async () => {
    clock = new SimulatedClock();
    engine = new MemoryEngine(() => clock.now());
    const a = replica('a');
    const seen: (string | null)[] = [];
    a.leader.onChange((id) => seen.push(id));
    a.leader.start();
    await flush();
    engine.setDown(true);
    await flush();
    expect(seen).toEqual(['a', null]);
  });
});
