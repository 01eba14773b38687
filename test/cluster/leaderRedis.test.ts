import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { HealthLeader } from '../../src/cluster/leader.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import type { HealthTarget } from '../../src/session/attempt.js';
import { startRedis, stopAllRedis, type TestRedis } from '../helpers/redis.js';

/**
 * The health leader on a real redis-server (a free loopback port), three replicas in one process
 * on the real clock with a short lease: one leader; a leader that stalls (its timers held, as
 * under SIGSTOP) is replaced within the lease plus one try; Redis killed → nobody leads and every
 * replica probes; Redis back → a leader again, with a higher fence.
 */

const LEASE_MS = 600;
const remote: HealthTarget = { name: 'api', transport: 'http', intervalMs: 500 };

interface Replica {
  id: string;
  bus: RedisBus;
  leader: HealthLeader;
  frozen: boolean;
  stalled: (() => void)[];
}

const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) {
    r.frozen = false;
    await r.leader.stop();
    await r.bus.close();
  }
});
afterAll(stopAllRedis);

async function replica(redis: TestRedis, id: string): Promise<Replica> {
  const bus = await createRedisBus({ url: redis.url, keyPrefix: 'switchboard:', clusterName: 'leader-test', commandTimeoutMs: 250, secrets: [] });
  const r: Replica = { id, bus, frozen: false, stalled: [] } as unknown as Replica;
  const ctx: ClusterContext = { bus, replicaId: id, clusterName: 'leader-test', now: () => performance.now(), log: () => undefined };
  const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(() => (r.frozen ? r.stalled.push(fn) : fn()), ms), clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout) };
  r.leader = new HealthLeader(ctx, { leaseMs: LEASE_MS, timers });
  replicas.push(r);
  return r;
}

async function three(redis: TestRedis): Promise<Replica[]> {
  const rs = [await replica(redis, 'a'), await replica(redis, 'b'), await replica(redis, 'c')];
  for (const r of rs) r.leader.start();
  await vi.waitFor(() => expect(rs.every((r) => r.leader.leader() !== null && r.leader.leader() === rs[0]!.leader.leader())).toBe(true), { timeout: 5000, interval: 10 });
  return rs;
}

describe('health leader on Redis', () => {
  it('elects one leader, replaces a stalled one within the lease, and shares its results', async () => {
    const redis = await startRedis();
    const rs = await three(redis);
    const old = rs.find((r) => r.leader.isLeader())!;
    expect(rs.filter((r) => r.leader.isLeader())).toHaveLength(1);
    const oldFence = old.leader.currentFence()!;
    // The leader's results reach the others.
    old.leader.report(remote, { ok: true, latencyMs: 2 });
    const other = rs.find((r) => r !== old)!;
    await vi.waitFor(() => expect(other.leader.take(remote)).toEqual({ ok: true, latencyMs: 2 }), { timeout: 2000, interval: 5 });

    old.frozen = true;
    const stalledAt = performance.now();
    await vi.waitFor(() => expect(rs.filter((r) => r !== old && r.leader.isLeader())).toHaveLength(1), { timeout: 3 * LEASE_MS, interval: 5 });
    const takeover = performance.now() - stalledAt;
    const next = rs.find((r) => r !== old && r.leader.isLeader())!;
    expect(next.leader.currentFence()).toBeGreaterThan(oldFence);
    expect(takeover).toBeLessThanOrEqual(LEASE_MS + LEASE_MS / 3 + 150);
    // The old leader's late word (its old fence) is not taken; the new leader's is.
    const watcher = rs.find((r) => r !== old && r !== next)!;
    await vi.waitFor(() => expect(watcher.leader.leader()).toBe(next.id), { timeout: 2000, interval: 5 });
    old.leader.report({ ...remote, name: 'late' }, { ok: false, error: { code: 'HealthCheckFailed', message: 'late' } });
    next.leader.report({ ...remote, name: 'fresh' }, { ok: true });
    await vi.waitFor(() => expect(watcher.leader.take({ ...remote, name: 'fresh' })).toEqual({ ok: true }), { timeout: 2000, interval: 5 });
    expect(watcher.leader.take({ ...remote, name: 'late' })).toBeUndefined();
    console.log(`redis: leader takeover after a stall ${Math.round(takeover)} ms (lease ${LEASE_MS} ms, tries every ${LEASE_MS / 3} ms)`);
  });

  it('lets every replica probe while Redis is down, and elects again when it is back', async () => {
    const redis = await startRedis();
    const rs = await three(redis);
    const fence = rs[0]!.leader.currentFence()!;
    await redis.kill();
    await vi.waitFor(() => expect(rs.map((r) => r.leader.leader())).toEqual([null, null, null]), { timeout: 3000, interval: 10 });
    for (const r of rs) expect(r.leader.take(remote)).toBeUndefined();
    await redis.restart();
    await vi.waitFor(() => expect(rs.filter((r) => r.leader.isLeader())).toHaveLength(1), { timeout: 5000, interval: 10 });
    // A fresh Redis starts the fence again: what counts is that every replica agrees on it.
    await vi.waitFor(() => expect(new Set(rs.map((r) => `${r.leader.leader()}:${r.leader.currentFence()}`)).size).toBe(1), { timeout: 3000, interval: 10 });
    expect(fence).toBeGreaterThan(0);
  });
});
