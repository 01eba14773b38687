import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { BreakerState } from '../../machines/breakerModel.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { realClock } from '../../src/core/clock.js';
import { busUp, startRedis, stopAllRedis } from '../helpers/redis.js';
import { POLICY, startReplica, type LogLine, type Replica } from '../cluster/breakersHarness.js';

/**
 * Review of issue 24: values in Redis that do not parse must be ignored with a warning and never
 * stop sharing. Here the breaker record of a server is garbage of several kinds before the
 * replicas start; an opening on one replica must still reach the other.
 */

const CLUSTER = 'rev24';
const buses: RedisBus[] = [];
const replicas: Replica[] = [];
const raws: Array<{ destroy(): void }> = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) r.stop();
  await Promise.all(buses.splice(0).map((b) => b.close()));
  for (const c of raws.splice(0)) c.destroy();
});
afterAll(stopAllRedis);

function reaches(replica: Replica, to: BreakerState, ms = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    if (replica.state() === to) return resolve(true);
    const timer = setTimeout(() => {
      off.unsubscribe();
      resolve(false);
    }, ms);
    const off = replica.actor.on('breaker.stateChanged', (e) => {
      if (e.to !== to) return;
      clearTimeout(timer);
      off.unsubscribe();
      resolve(true);
    });
  });
}

async function raw(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  raws.push(client);
  return client;
}

async function pair(url: string, logs: LogLine[]) {
  const policy = { ...POLICY, waitDurationInOpenMs: 60_000 };
  for (const id of ['a', 'b']) {
    const bus = await createRedisBus({ url, clusterName: CLUSTER, commandTimeoutMs: 250 });
    buses.push(bus);
    await busUp(bus);
    replicas.push(startReplica({ id, bus, clock: realClock, policy, clusterName: CLUSTER, logs }));
    await bus.whenSubscribed();
  }
  await new Promise((r) => setTimeout(r, 100));
  return replicas as [Replica, Replica];
}

const KEY = `switchboard:${CLUSTER}:breaker:api`;

describe('review 24: garbage breaker records in Redis', () => {
  it('an unparseable value with a valid generation is ignored with a warning and overwritten (sharing goes on)', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    await c.hSet(KEY, { g: '7', v: 'not json at all' });
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    const opened = reaches(b, 'open');
    a.fail();
    expect(a.state()).toBe('open');
    expect(await opened).toBe(true);
    expect(logs.some((l) => l.level === 'warn' && /ignored a breaker record/.test(l.message))).toBe(true);
    expect(a.errors.concat(b.errors)).toEqual([]);
  });

  it('a record of another cluster name stored under our key is ignored, and sharing goes on', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    await c.hSet(KEY, { g: '3', v: JSON.stringify({ v: 1, cluster: 'someone-else', server: 'api', generation: 3, state: 'open', reason: 'failureRate', by: 'x', retryAfterMs: 60000, consecutiveOpens: 1 }) });
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    // Neither replica adopted the other cluster's open.
    expect(a.state()).toBe('closed');
    expect(b.state()).toBe('closed');
    const opened = reaches(b, 'open');
    a.fail();
    expect(await opened).toBe(true);
  });

  it('a non-numeric generation in the stored hash does not stop sharing forever', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    await c.hSet(KEY, { g: 'abc', v: 'garbage' });
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    const opened = reaches(b, 'open');
    a.fail();
    expect(a.state()).toBe('open');
    // Expected: the garbage is ignored (warning) and the opening still reaches b.
    expect(await opened).toBe(true);
  });

  it('a value of the wrong Redis type under the breaker key does not stop sharing forever', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    await c.set(KEY, 'a plain string, not a hash');
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    const opened = reaches(b, 'open');
    a.fail();
    expect(a.state()).toBe('open');
    // Expected: ignored with a warning, and the opening still reaches b (the key is the cluster's).
    expect(await opened).toBe(true);
  });

  it('garbage, another cluster and an older format on the breakers channel are ignored with a warning, never a crash', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    const channel = `switchboard:${CLUSTER}:breakers`;
    const base = { v: 1, cluster: CLUSTER, server: 'api', generation: 99, state: 'open', reason: 'failureRate', by: 'z', retryAfterMs: 60000, consecutiveOpens: 1 };
    for (const message of ['{{{', 'null', '[]', JSON.stringify({ ...base, cluster: 'other' }), JSON.stringify({ ...base, v: 0 }), JSON.stringify({ ...base, generation: 'x' }), JSON.stringify({ ...base, retryAfterMs: -5 }), JSON.stringify({ ...base, state: 'exploded' })]) {
      await c.publish(channel, message);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(a.state()).toBe('closed');
    expect(b.state()).toBe('closed');
    expect(b.breakers.stats.ignored).toBeGreaterThanOrEqual(8);
    expect(logs.filter((l) => l.level === 'warn' && /ignored a breaker record/.test(l.message)).length).toBeGreaterThanOrEqual(8);
    expect(a.errors.concat(b.errors)).toEqual([]);
    // And sharing still works afterwards.
    const opened = reaches(b, 'open');
    a.fail();
    expect(await opened).toBe(true);
  });

  it('a stale generation published by a third replica is ignored (no state change)', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    const logs: LogLine[] = [];
    const [a, b] = await pair(redis.url, logs);
    const opened = reaches(b, 'open');
    a.fail();
    expect(await opened).toBe(true);
    const stored = await c.hGet(KEY, 'g');
    const gen = Number(stored);
    expect(gen).toBeGreaterThanOrEqual(1);
    // A late "closed" with an older generation from someone else must not close b.
    await c.publish(`switchboard:${CLUSTER}:breakers`, JSON.stringify({ v: 1, cluster: CLUSTER, server: 'api', generation: gen - 1 || 0, state: 'closed', reason: 'manualReset', by: 'z', retryAfterMs: null, consecutiveOpens: 0 }));
    await new Promise((r) => setTimeout(r, 300));
    expect(b.state()).toBe('open');
    expect(a.state()).toBe('open');
  });
});
