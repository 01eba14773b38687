import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { memoryTokenStore, type StoredAuth } from '../../src/auth/index.js';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine, type MemoryBus } from '../../src/cluster/memoryBus.js';
import { createSharedTokenStore, type SharedTokenStore } from '../../src/cluster/sharedTokens.js';

/**
 * The shared token store of a replica starting while Redis is still connecting (found by the
 * multi-replica tests: three `serve` processes starting together each obtained their own token).
 * The first load waits for the bus's first connection, up to `startWaitMs`; once the bus was up,
 * or after that wait, nothing waits. On the in-memory engine and a SimulatedClock.
 */

const KEY = Buffer.alloc(32, 9);
const made: { store: SharedTokenStore; bus: MemoryBus }[] = [];
afterEach(async () => {
  for (const r of made.splice(0)) {
    r.store.close();
    await r.bus.close();
  }
});

function setup() {
  const clock = new SimulatedClock();
  clock.set(1_700_000_000_000);
  const engine = new MemoryEngine(() => clock.now());
  const replica = (id: string) => {
    const bus = engine.bus('switchboard:prod:');
    const ctx: ClusterContext = { bus, replicaId: id, clusterName: 'prod', now: () => clock.now(), log: () => undefined };
    const local = memoryTokenStore();
    const store = createSharedTokenStore(ctx, KEY, local, { clock, startWaitMs: 1000 });
    made.push({ store, bus });
    return { store, local, bus };
  };
  return { clock, engine, replica };
}

const record = (n: number): StoredAuth => ({ version: 1, server: 's', resource: 'https://s.example.test/mcp', tokens: { access_token: `access-${n}`, token_type: 'Bearer', expires_in: 3600 } });

/** Lets promises and the engine's deliveries run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('a replica starting while Redis connects', () => {
  it('waits for the first connection and reads the shared record instead of its own store', async () => {
    const { engine, replica } = setup();
    await replica('a').store.save('k', record(1));
    engine.setDown(true);
    const b = replica('b');
    await b.local.save('k', record(0));
    let loaded: StoredAuth | undefined | 'pending' = 'pending';
    void Promise.resolve(b.store.load('k')).then((r) => (loaded = r));
    await flush();
    expect(loaded).toBe('pending');
    engine.setDown(false);
    await flush();
    expect(loaded).toEqual(record(1));
  });

  it('waits at most startWaitMs, then answers from its own store; later loads do not wait', async () => {
    const { clock, engine, replica } = setup();
    engine.setDown(true);
    const b = replica('b');
    await b.local.save('k', record(0));
    let loaded: StoredAuth | undefined | 'pending' = 'pending';
    void Promise.resolve(b.store.load('k')).then((r) => (loaded = r));
    clock.increment(999);
    await flush();
    expect(loaded).toBe('pending');
    clock.increment(1);
    await flush();
    expect(loaded).toEqual(record(0));
    // Past the start: a load answers at once (no timer needed).
    loaded = 'pending';
    void Promise.resolve(b.store.load('k')).then((r) => (loaded = r));
    await flush();
    expect(loaded).toEqual(record(0));
  });

  it('never waits once the bus was up, even when Redis goes down later', async () => {
    const { engine, replica } = setup();
    const b = replica('b');
    await b.local.save('k', record(0));
    engine.setDown(true);
    let loaded: StoredAuth | undefined | 'pending' = 'pending';
    void Promise.resolve(b.store.load('k')).then((r) => (loaded = r));
    await flush();
    expect(loaded).toEqual(record(0));
  });
});
