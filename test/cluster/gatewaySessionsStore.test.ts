import { describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { createSharedSessions, SESSION_REFRESH_MS, sessionKey, type SharedSessions } from '../../src/gateway/sharedSessions.js';

/**
 * The session records of the gateway in a cluster (`sharedSessions.ts`) on an in-memory engine and
 * a manual clock: their TTL, its throttled refresh, the ended message, an outage.
 */

const PREFIX = 'switchboard:test:';
const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'host', version: '1' } };

function cluster(ttlMs = 60_000) {
  let now = 0;
  const engine = new MemoryEngine(() => now);
  const warnings: string[] = [];
  const replica = (replicaId: string): SharedSessions => {
    const context: ClusterContext = { bus: engine.bus(PREFIX), replicaId, clusterName: 'test', now: () => now, log: (_level, message) => void warnings.push(message) };
    return createSharedSessions(context, { ttlMs });
  };
  const sets = () => engine.commands.get('set') ?? 0;
  return { engine, warnings, replica, sets, advance: (ms: number) => void (now += ms) };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('shared gateway session records', () => {
  it('expires a record unused for its TTL and keeps one in use, refreshing it at most once per interval', async () => {
    const { replica, sets, advance } = cluster(60_000);
    const a = replica('a');
    const b = replica('b');
    await a.created('s1', INIT);
    expect(sets()).toBe(1);
    expect(await b.find('s1')).toMatchObject({ replica: 'a' });
    // 1000 requests within one refresh interval: not one more command.
    for (let i = 0; i < 1000; i++) {
      a.touched('s1');
      b.touched('s1');
      advance(4);
    }
    expect(sets()).toBe(1);
    advance(SESSION_REFRESH_MS - 4_000);
    a.touched('s1');
    a.touched('s1');
    expect(sets()).toBe(2);
    // Used every 50 s (under the 60 s TTL) for 10 minutes: it lives.
    for (let i = 0; i < 12; i++) {
      advance(50_000);
      b.touched('s1');
      await flush();
    }
    expect(await b.find('s1')).toBeDefined();
    advance(60_000);
    expect(await b.find('s1')).toBeUndefined();
  });

  it('tells the replicas holding a session that it ended, and deletes its record', async () => {
    const { engine, replica } = cluster();
    const a = replica('a');
    const b = replica('b');
    const c = replica('c');
    const ended: string[] = [];
    a.onEnded((id) => ended.push(`a:${id}`));
    c.onEnded((id) => ended.push(`c:${id}`));
    await a.created('s1', INIT);
    await c.find('s1');
    await b.ended('s1');
    await flush();
    expect(ended.sort()).toEqual(['a:s1', 'c:s1']);
    expect(engine.dump()[PREFIX + sessionKey('s1')]).toBeUndefined();
    // The message names the hash, never the id.
    expect(JSON.stringify(engine.dump())).not.toContain('s1');
  });

  it('stores nothing while the engine is down and the records of sessions opened meanwhile when it returns', async () => {
    const { engine, replica, sets } = cluster();
    const a = replica('a');
    engine.setDown(true);
    await a.created('s1', INIT);
    a.touched('s1');
    expect(await replica('b').find('s1')).toBeUndefined();
    expect(sets()).toBe(0);
    engine.setDown(false);
    await flush();
    expect(await replica('b').find('s1')).toMatchObject({ replica: 'a', profile: null });
  });

  it('warns once per message that does not parse and ignores it', async () => {
    const { engine, replica, warnings } = cluster();
    const a = replica('a');
    await a.created('s1', INIT);
    await engine.bus(PREFIX).publish('gateway:session:ended', 'garbage');
    await flush();
    expect(warnings).toEqual(['gateway: ignored a session-ended message that does not parse']);
    expect(await replica('b').find('s1')).toBeDefined();
  });
});
