import { afterEach, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/core/logger.js';
import type { SwitchboardEvent } from '../../src/events/index.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { startStreamableHttpServer, type TestHttpServer } from '../helpers/httpServers.js';
import { activeResources } from '../helpers/processes.js';
import { freePort, startRedis, stopAllRedis } from '../helpers/redis.js';
import { inMemoryServer, until } from '../helpers/switchboard.js';

/**
 * Review of issue 24, the hard way: Redis stalled (SIGSTOP) while a shared breaker cycles, never
 * reachable, wrong password; stop() must not hang nor leak; a reload that changes the cluster
 * block itself; two clusters whose prefix + name collide.
 */

interface R {
  sb: Switchboard;
  logs: Array<{ level: LogLevel; message: string; fields: unknown }>;
  events: SwitchboardEvent[];
}
const started: R[] = [];
const servers: TestHttpServer[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.sb.stop();
  for (const s of servers.splice(0)) await s.close();
  await stopAllRedis();
});

async function replica(cluster: Record<string, unknown>, serversConfig: Record<string, unknown> = {}, transports = true): Promise<R> {
  const logs: R['logs'] = [];
  const events: SwitchboardEvent[] = [];
  const sb = createSwitchboard({ servers: serversConfig, cluster: { heartbeatMs: 100, ...cluster } } as never, {
    ...(transports ? { transports: { mem: inMemoryServer('mem') } } : {}),
    logger: { log: (level, message, fields) => logs.push({ level, message, fields }) },
  });
  sb.on('cluster.changed', (e) => events.push(e));
  await sb.start();
  const r = { sb, logs, events };
  started.push(r);
  return r;
}

describe('review 24: Redis down, stalled, unreachable', () => {
  it('a Redis stalled by SIGSTOP while a shared http breaker opens: no call waits for Redis, and stop() does not hang', async () => {
    const redis = await startRedis();
    const remote = await startStreamableHttpServer('remote');
    servers.push(remote);
    const breaker = { minimumNumberOfCalls: 2, slidingWindowSize: 2, failureRateThreshold: 50, waitDurationInOpenMs: 300, maxWaitDurationInHalfOpenMs: 300 };
    const a = await replica({ redis: { url: redis.url, commandTimeoutMs: 200 }, name: 'stall', replicaId: 'a' }, { remote: { transport: 'http', url: remote.url, breaker } }, false);
    await until(() => a.sb.cluster!.up, 5000, 'Redis up');
    await a.sb.callTool('echo', { text: 'warm' });
    redis.pause();
    const durations: number[] = [];
    const codes = new Map<string, number>();
    try {
      const until2 = performance.now() + 1500;
      let flip = 0;
      while (performance.now() < until2) {
        remote.faults.fail500 = Math.floor(flip++ / 10) % 2 === 0;
        const t = performance.now();
        await a.sb.callTool('echo', { text: 'x' }).then(
          () => codes.set('ok', (codes.get('ok') ?? 0) + 1),
          (error: { code?: string }) => codes.set(error.code ?? 'unknown', (codes.get(error.code ?? 'unknown') ?? 0) + 1),
        );
        durations.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
      }
      remote.faults.fail500 = false;
      const stopAt = performance.now();
      const r = started.pop()!;
      await r.sb.stop();
      const stopMs = performance.now() - stopAt;
      console.info(`review24 stall: ${durations.length} calls, codes ${JSON.stringify([...codes])}, max ${Math.max(...durations).toFixed(1)} ms, stop ${stopMs.toFixed(0)} ms`);
      expect(stopMs).toBeLessThan(1500);
    } finally {
      redis.resume();
    }
    durations.sort((x, y) => x - y);
    expect(durations[Math.floor(durations.length * 0.99)]!).toBeLessThan(150);
    expect(codes.get('CircuitOpen') ?? 0).toBeGreaterThan(0);
  });

  it('never reachable: calls are fast, stop() is fast and leaves no socket or timer behind', async () => {
    const port = await freePort();
    const before = activeResources();
    const a = await replica({ redis: { url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 100 }, name: 'never', replicaId: 'a' });
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await a.sb.callTool('echo', { text: 'alone' });
      expect(performance.now() - t).toBeLessThan(100);
    }
    await new Promise((r) => setTimeout(r, 1500)); // several reconnect attempts
    expect(a.logs.filter((l) => l.level === 'warn' && /Redis is down/.test(l.message))).toHaveLength(1);
    const t = performance.now();
    await started.pop()!.sb.stop();
    expect(performance.now() - t).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    const after = activeResources();
    for (const kind of ['TCPSocketWrap', 'TCPWRAP', 'Timeout']) expect(after[kind] ?? 0, `${kind}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`).toBeLessThanOrEqual(before[kind] ?? 0);
  });

  it('a wrong password: one warning, calls unaffected, stop() fast and clean', async () => {
    const redis = await startRedis({ password: 'right-SECRET-pw' });
    const before = activeResources();
    const a = await replica({ redis: { url: `redis://:wrong-SECRET-pw@127.0.0.1:${redis.port}`, commandTimeoutMs: 100 }, name: 'pw', replicaId: 'a' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.sb.cluster!.up).toBe(false);
    expect(await a.sb.callTool('echo', { text: 'x' })).toMatchObject({ content: [{ type: 'text' }] });
    expect(a.logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(JSON.stringify(a.logs) + JSON.stringify(a.events)).not.toContain('SECRET');
    const t = performance.now();
    await started.pop()!.sb.stop();
    expect(performance.now() - t).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    const after = activeResources();
    for (const kind of ['TCPSocketWrap', 'TCPWRAP', 'Timeout']) expect(after[kind] ?? 0, `${kind}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`).toBeLessThanOrEqual(before[kind] ?? 0);
  });
});

describe('review 24: clusters apart', () => {
  it('two clusters whose keyPrefix + name would concatenate to the same string cannot be configured', async () => {
    // `s` + `b1` and `sb` + `1` would be one cluster: a prefix must end with a character a name cannot hold.
    for (const keyPrefix of ['s', 'sb', 'app-']) {
      expect(() => createSwitchboard({ servers: {}, cluster: { redis: { url: 'redis://127.0.0.1:1', keyPrefix }, name: 'b1' } })).toThrow(/cluster\.redis\.keyPrefix/);
    }
    for (const keyPrefix of ['', 'switchboard:', 'app/']) {
      const sb = createSwitchboard({ servers: {}, cluster: { redis: { url: 'redis://127.0.0.1:1', keyPrefix }, name: 'b1' } });
      await sb.stop();
    }
  });

  it('keyPrefix is respected: every key a replica writes starts with keyPrefix + name + ":"', async () => {
    const redis = await startRedis();
    const { createClient } = await import('redis');
    const x = await replica({ redis: { url: redis.url, keyPrefix: 'myapp/' }, name: 'kp', replicaId: 'x' });
    await until(() => x.sb.cluster!.status().replicas.length === 1, 5000, 'heartbeat');
    await new Promise((r) => setTimeout(r, 300));
    const c = createClient({ url: redis.url });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const keys = await c.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k.startsWith('myapp/kp:')).toBe(true);
    } finally {
      c.destroy();
    }
  });
});

describe('review 24: a reload that changes the cluster block itself', () => {
  it('is refused, or at least says it is not applied (never silently ignored)', async () => {
    const redis = await startRedis();
    const a = await replica({ redis: { url: redis.url }, name: 'first', replicaId: 'a' });
    await until(() => a.sb.cluster!.up, 5000, 'up');
    let refused: unknown;
    try {
      await a.sb.reload({ servers: {}, cluster: { redis: { url: redis.url }, name: 'second', replicaId: 'a', heartbeatMs: 100 } } as never);
    } catch (error) {
      refused = error;
    }
    const said = a.logs.some((l) => (l.level === 'warn' || l.level === 'error') && /cluster/i.test(l.message));
    console.info(`review24 reload of the cluster block: refused=${String(refused)} warned=${said} name now=${a.sb.cluster!.name}`, JSON.stringify(a.logs.filter((l) => l.level !== "info" && l.level !== "debug")));
    expect(refused !== undefined || said).toBe(true);
  });

  it('a reload with a bad cluster block is refused naming the key, and the running config stays', async () => {
    const redis = await startRedis();
    const a = await replica({ redis: { url: redis.url }, name: 'first', replicaId: 'a' });
    let error: unknown;
    try {
      await a.sb.reload({ servers: {}, cluster: { redis: { url: redis.url }, tokenKey: 'short' } } as never);
    } catch (e) {
      error = e;
    }
    expect((error as { issues?: Array<{ path: string }> })?.issues?.map((i) => i.path)).toEqual(['cluster.tokenKey']);
    expect(await a.sb.callTool('echo', { text: 'still' })).toMatchObject({ content: [{ type: 'text' }] });
  });
});
