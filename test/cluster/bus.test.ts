import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterBus } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { startRedis, stopAllRedis, type TestRedis } from '../helpers/redis.js';

/**
 * One contract, two engines: every sharing part is unit-tested on `MemoryBus` and runs on
 * `RedisBus`, so both must behave alike (DESIGN §16). Time on the memory engine is a manual
 * clock; on Redis it is real, so expiry is awaited as a condition, never a fixed sleep.
 */

interface Fixture {
  /** A bus of cluster `name` (defaults to one shared name). */
  bus(name?: string): Promise<ClusterBus>;
  /** Lets `ms` pass for TTLs: the manual clock moves, or (Redis) nothing: callers poll. */
  elapse(ms: number): void;
  /** Resolves once `bus`'s subscriptions are live. */
  subscribed(bus: ClusterBus): Promise<void>;
  /** A short TTL the fixture can see expire. */
  ttlMs: number;
}

/** Polls `check` until it holds (at most `timeoutMs`); for conditions that real time brings. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000, step?: () => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    step?.();
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nextMessage(bus: ClusterBus, channel: string, timeoutMs = 2000): { messages: string[]; off: () => void; wait: (n: number) => Promise<string[]> } {
  const messages: string[] = [];
  const off = bus.subscribe(channel, (m) => messages.push(m));
  return { messages, off, wait: async (n) => (await until(() => messages.length >= n, timeoutMs), messages) };
}

function contract(label: string, make: () => Fixture): void {
  describe(`ClusterBus contract on ${label}`, () => {
    let f: Fixture;
    const opened: ClusterBus[] = [];
    const open = async (name?: string): Promise<ClusterBus> => {
      const bus = await f.bus(name);
      opened.push(bus);
      return bus;
    };
    beforeAll(() => {
      f = make();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close()));
    });

    it('writes by generation, refuses stale ones and publishes only what it wrote', async () => {
      const [a, b] = [await open(), await open()];
      const seen = nextMessage(b, 'breaker');
      await f.subscribed(b);
      expect(await a.writeIfNewer('breaker:x', 1, 'v1', { channel: 'breaker', message: 'm1' })).toBe(true);
      expect(await a.writeIfNewer('breaker:x', 3, 'v3', { channel: 'breaker', message: 'm3' })).toBe(true);
      expect(await b.writeIfNewer('breaker:x', 2, 'v2', { channel: 'breaker', message: 'm2' })).toBe(false);
      expect(await b.writeIfNewer('breaker:x', 3, 'v3b', { channel: 'breaker', message: 'm3b' })).toBe(false);
      await a.publish('breaker', 'marker');
      expect(await seen.wait(3)).toEqual(['m1', 'm3', 'marker']);
      expect(await b.readVersioned('breaker:x')).toEqual({ generation: 3, value: 'v3' });
      expect(await b.readVersioned('breaker:none')).toBeNull();
    });

    it('keeps clusters of another name apart', async () => {
      const [a, other] = [await open('one'), await open('two')];
      const heard = nextMessage(other, 'c');
      const mine = nextMessage(a, 'c');
      await f.subscribed(other);
      await f.subscribed(a);
      await a.set('k', 'v');
      await a.publish('c', 'hello');
      await mine.wait(1);
      expect(await other.get('k')).toBeNull();
      expect(heard.messages).toEqual([]);
    });

    it('gives a lock to exactly one of three contenders and releases it only for its owner', async () => {
      const buses = [await open(), await open(), await open()];
      const won = await Promise.all(buses.map((bus, i) => bus.acquire('lock:token', `r${i}`, 10_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = won.indexOf(true);
      const loser = (winner + 1) % 3;
      expect(await buses[loser]!.release('lock:token', `r${loser}`)).toBe(false);
      expect(await buses[loser]!.acquire('lock:token', `r${loser}`, 10_000)).toBe(false);
      expect(await buses[winner]!.release('lock:token', `r${winner}`)).toBe(true);
      expect(await buses[loser]!.acquire('lock:token', `r${loser}`, 10_000)).toBe(true);
    });

    it('lets a lock expire after its TTL', async () => {
      const [a, b] = [await open(), await open()];
      expect(await a.acquire('lock:ttl', 'a', f.ttlMs)).toBe(true);
      expect(await b.acquire('lock:ttl', 'b', f.ttlMs)).toBe(false);
      f.elapse(f.ttlMs + 1);
      await until(() => b.acquire('lock:ttl', 'b', 10_000));
    });

    it('grows the lease fence when the lease changes hands', async () => {
      const [a, b] = [await open(), await open()];
      expect(await a.lease('leader', 'a', f.ttlMs)).toEqual({ held: true, holder: 'a', fence: 1 });
      expect(await b.lease('leader', 'b', f.ttlMs)).toEqual({ held: false, holder: 'a', fence: 1 });
      expect(await a.lease('leader', 'a', f.ttlMs)).toEqual({ held: true, holder: 'a', fence: 1 });
      f.elapse(f.ttlMs + 1);
      let taken = await b.lease('leader', 'b', f.ttlMs);
      await until(async () => (taken = await b.lease('leader', 'b', f.ttlMs)).held);
      expect(taken).toEqual({ held: true, holder: 'b', fence: 2 });
      expect(await a.lease('leader', 'a', f.ttlMs)).toMatchObject({ held: false, holder: 'b', fence: 2 });
    });

    it('drops a member whose heartbeats stop', async () => {
      const [a, b] = [await open(), await open()];
      await a.heartbeat('replicas', 'a', f.ttlMs);
      await b.heartbeat('replicas', 'b', f.ttlMs);
      expect((await a.members('replicas', f.ttlMs)).map((m) => m.id).sort()).toEqual(['a', 'b']);
      const beat = (): void => void b.heartbeat('replicas', 'b', f.ttlMs).catch(() => undefined);
      f.elapse(f.ttlMs / 2);
      beat();
      f.elapse(f.ttlMs / 2 + 1);
      beat();
      await until(async () => (await b.members('replicas', f.ttlMs)).length === 1, 5000, beat);
      const seen = await b.members('replicas', f.ttlMs);
      expect(seen.map((m) => m.id)).toEqual(['b']);
      expect(seen[0]!.lastSeenMs).toBeGreaterThanOrEqual(0);
      expect(seen[0]!.lastSeenMs).toBeLessThanOrEqual(f.ttlMs);
    });

    it('counts, sets with a TTL and deletes', async () => {
      const a = await open();
      expect(await a.increment('n')).toBe(1);
      expect(await a.increment('n')).toBe(2);
      await a.set('t', 'v', { ttlMs: f.ttlMs });
      expect(await a.get('t')).toBe('v');
      f.elapse(f.ttlMs + 1);
      await until(async () => (await a.get('t')) === null);
      await a.set('d', 'v');
      await a.del('d');
      expect(await a.get('d')).toBeNull();
    });
  });
}

/** Each test gets fresh keys: a prefix of its own. */
let run = 0;
afterEach(() => {
  run += 1;
});

let now = 0;
contract('MemoryBus', () => {
  const engine = new MemoryEngine(() => now);
  return {
    bus: (name = 'shared') => Promise.resolve(engine.bus(`t${run}:${name}:`)),
    elapse: (ms) => {
      now += ms;
    },
    subscribed: () => Promise.resolve(),
    ttlMs: 1000,
  };
});

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await stopAllRedis();
});

contract('RedisBus', () => ({
  bus: async (name = 'shared') => {
    const bus = await createRedisBus({ url: redis.url, clusterName: name, keyPrefix: `t${run}:`, commandTimeoutMs: 200 });
    await until(() => bus.up);
    return bus;
  },
  elapse: () => undefined,
  subscribed: (bus) => (bus as RedisBus).whenSubscribed(),
  ttlMs: 300,
}));

describe('RedisBus when Redis fails', () => {
  const opened: RedisBus[] = [];
  const connect = async (url: string, options: { wait?: boolean; secrets?: string[] } = {}): Promise<RedisBus> => {
    const bus = await createRedisBus({ url, clusterName: 'outage', commandTimeoutMs: 200, secrets: options.secrets ?? [] });
    opened.push(bus);
    if (options.wait !== false) await until(() => bus.up);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  it('fails a command fast while Redis is down, queues nothing, and comes back with its subscriptions', async () => {
    const server = await startRedis();
    const [a, b] = [await connect(server.url), await connect(server.url)];
    const statuses: Array<[boolean, string | undefined]> = [];
    a.onStatus((up, reason) => statuses.push([up, reason]));
    const heard = nextMessage(b, 'news');
    await b.whenSubscribed();

    await server.kill();
    await until(() => !a.up);
    expect(statuses[0]?.[0]).toBe(false);
    const started = performance.now();
    await expect(a.set('queued', 'while down')).rejects.toThrow();
    await expect(a.get('queued')).rejects.toThrow();
    const took = performance.now() - started;
    // Known down: refused at once (no offline queue), not after the 200 ms timeout.
    expect(took).toBeLessThan(100);

    await server.restart();
    await until(() => a.up && b.up);
    expect(statuses.at(-1)).toEqual([true, undefined]);
    expect(await a.get('queued')).toBeNull();
    // The subscriber reconnects on its own schedule: publish until it hears again.
    await until(
      () => heard.messages.length > 0,
      5000,
      () => void a.publish('news', 'back').catch(() => undefined),
    );
    expect(heard.messages[0]).toBe('back');
  });

  it('rejects a command within its timeout while Redis stalls', async () => {
    const server = await startRedis();
    const a = await connect(server.url);
    server.pause();
    try {
      const started = performance.now();
      await expect(a.get('k')).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(200 + 150);
      expect(a.up).toBe(false);
    } finally {
      server.resume();
    }
    await until(async () => (await a.get('k').then(() => true, () => false)) && a.up);
  });

  it('is down with a reason that does not show a wrong password', async () => {
    const server = await startRedis({ password: 'right-horse-battery' });
    const url = `redis://:wrong-staple-${'x'.repeat(8)}@127.0.0.1:${server.port}`;
    const reasons: string[] = [];
    const bus = await createRedisBus({ url, clusterName: 'pw', commandTimeoutMs: 200, secrets: [`wrong-staple-${'x'.repeat(8)}`] });
    opened.push(bus);
    bus.onStatus((up, reason) => reasons.push(`${up} ${reason}`));
    await until(() => reasons.length > 0);
    expect(bus.up).toBe(false);
    expect(reasons[0]).toMatch(/^false /);
    expect(bus.reason).toBeTruthy();
    expect(reasons.join('\n') + bus.reason).not.toContain('wrong-staple');
    await expect(bus.get('k')).rejects.toThrow();
    const good = await connect(server.url);
    expect(await good.get('k')).toBeNull();
  });
});
