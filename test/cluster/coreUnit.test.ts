import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { Cluster, MemoryEngine, REPLICA_TTL_MS, type ClusterOptions } from '../../src/cluster/index.js';
import type { ClusterSettings } from '../../src/config/clusterSchema.js';
import type { ClusterChanged } from '../../src/events/index.js';

/**
 * The cluster core's logic on the in-memory engine and a SimulatedClock: heartbeats and expiry,
 * one warning and one event per outage, re-sync on return, the bus before start, and that nothing
 * it calls can make it throw.
 */

const settings = (replicaId: string, secrets: string[] = []): ClusterSettings => ({
  redis: { url: 'redis://127.0.0.1:1', keyPrefix: 'switchboard:', commandTimeoutMs: 250 },
  name: 'unit',
  replicaId,
  tokenKey: undefined,
  heartbeatMs: 500,
  secrets,
});

/** Lets the engine's microtasks and the cluster's promise chains run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup() {
  const clock = new SimulatedClock();
  const engine = new MemoryEngine(() => clock.now());
  const made: Array<{ cluster: Cluster; events: ClusterChanged[]; logs: string[] }> = [];
  const make = (id: string, extra: Partial<ClusterOptions> = {}) => {
    const events: ClusterChanged[] = [];
    const logs: string[] = [];
    const cluster = new Cluster({
      settings: settings(id),
      bus: engine.bus('switchboard:unit:'),
      clock,
      publish: (e) => events.push(e),
      logger: { log: (level, message) => logs.push(`${level} ${message}`) },
      ...extra,
    });
    made.push({ cluster, events, logs });
    return { cluster, events, logs };
  };
  const advance = async (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) {
      clock.increment(Math.min(step, ms - t));
      await flush();
    }
  };
  return { clock, engine, make, advance, stopAll: () => Promise.all(made.map((m) => m.cluster.stop())) };
}

const ids = (c: Cluster) => c.status().replicas.map((r) => r.id).sort();

describe('Cluster', () => {
  it('sees replicas by heartbeat and forgets one unseen for 3 s', async () => {
    const { make, advance, stopAll } = setup();
    const a = make('a');
    const b = make('b');
    await a.cluster.start();
    await b.cluster.start();
    await advance(500);
    expect(ids(a.cluster)).toEqual(['a', 'b']);
    expect(a.cluster.status()).toMatchObject({ name: 'unit', redis: 'up', self: 'a', leader: null });
    await b.cluster.stop();
    await advance(REPLICA_TTL_MS - 600);
    expect(ids(a.cluster)).toEqual(['a', 'b']);
    // b's last heartbeat was at 500 ms; a's heartbeat at 4000 ms no longer sees it.
    await advance(1200);
    expect(ids(a.cluster)).toEqual(['a']);
    a.cluster.setLeader('a');
    expect(a.cluster.isLeader).toBe(true);
    expect(a.cluster.status().leader).toBe('a');
    await stopAll();
  });

  it('warns once per outage, says so in one event, and re-syncs when Redis returns', async () => {
    const { engine, make, advance, stopAll } = setup();
    const a = make('a');
    let resyncs = 0;
    a.cluster.onResync(() => resyncs++);
    await a.cluster.start();
    expect(resyncs).toBe(1);
    engine.setDown(true);
    await advance(2000);
    expect(a.cluster.status().redis).toBe('down');
    expect(a.events).toEqual([{ type: 'cluster.changed', redis: 'up' }, { type: 'cluster.changed', redis: 'down', reason: 'the engine is down' }]);
    expect(a.logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    // Commands while down fail at once and are counted; the caller gets a rejection, not a wait.
    const before = a.cluster.redisErrors;
    await expect(a.cluster.context().bus.get('x')).rejects.toThrow();
    expect(a.cluster.redisErrors).toBe(before + 1);
    engine.setDown(false);
    await flush();
    expect(resyncs).toBe(2);
    expect(a.events.at(-1)).toEqual({ type: 'cluster.changed', redis: 'up' });
    expect(a.cluster.status().replicas.map((r) => r.id)).toEqual(['a']);
    await stopAll();
  });

  it('gives parts a bus before start that refuses at once and carries subscriptions over', async () => {
    const { make, stopAll } = setup();
    const a = make('a');
    const b = make('b');
    const bus = a.cluster.context().bus;
    await expect(bus.get('k')).rejects.toThrow(/not connected yet/);
    const heard: string[] = [];
    bus.subscribe('news', (m) => heard.push(m));
    await a.cluster.start();
    await b.cluster.start();
    await b.cluster.context().bus.publish('news', 'hello');
    await flush();
    expect(heard).toEqual(['hello']);
    expect(a.cluster.context()).toMatchObject({ replicaId: 'a', clusterName: 'unit' });
    await stopAll();
  });

  it('never throws into its caller when a listener, publisher or logger throws, and masks its secrets', async () => {
    const { engine, clock, stopAll } = setup();
    const logs: string[] = [];
    const cluster = new Cluster({
      settings: settings('a', ['s3cr3t-pw']),
      bus: engine.bus('switchboard:unit:'),
      clock,
      publish: () => {
        throw new Error('publisher broke');
      },
      logger: {
        log: (_level, message) => {
          logs.push(message);
          if (logs.length === 1) throw new Error('logger broke');
        },
      },
    });
    cluster.onResync(() => {
      throw new Error('listener broke');
    });
    await cluster.start();
    cluster.context().log('warn', 'auth failed for redis://:s3cr3t-pw@host');
    engine.setDown(true);
    engine.setDown(false);
    expect(logs.join('\n')).not.toContain('s3cr3t-pw');
    expect(logs.join('\n')).toContain('redis://:***@host');
    await cluster.stop();
    await stopAll();
  });

  it('makes a replica id when the config gives none', () => {
    const { engine } = setup();
    const cluster = new Cluster({ settings: settings(''), bus: engine.bus() });
    expect(cluster.replicaId).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
  });
});
