import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { LogLevel } from '../../src/core/logger.js';
import type { SwitchboardEvent } from '../../src/events/index.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { startRedis, stopAllRedis } from '../helpers/redis.js';
import { inMemoryServer, until } from '../helpers/switchboard.js';

/**
 * The cluster core on a real redis-server (DESIGN §16): replicas of one name see each other by
 * heartbeat, another name stays apart, Redis killed and restarted never fails or slows a call,
 * `/readyz` stays 200, the status, event and metric say what happened, and no secret shows.
 */

const TOKEN = 'cluster-core-admin-token-0123456789';
const TOKEN_KEY = Buffer.alloc(32, 7).toString('base64');
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };

interface Replica {
  sb: Switchboard;
  logs: Array<{ level: LogLevel; message: string; fields: unknown }>;
  events: SwitchboardEvent[];
  admin: ReturnType<typeof createAdminApp>;
  get(path: string): Promise<{ status: number; text: string }>;
}

const started: Replica[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) {
    r.admin.close();
    await r.sb.stop();
  }
  await stopAllRedis();
});

async function replica(url: string, options: { name?: string; id: string; tokenKey?: string }): Promise<Replica> {
  const logs: Replica['logs'] = [];
  const events: SwitchboardEvent[] = [];
  const sb = createSwitchboard(
    {
      servers: {},
      cluster: { redis: { url, commandTimeoutMs: 200 }, name: options.name ?? 'core', replicaId: options.id, heartbeatMs: 100, ...(options.tokenKey ? { tokenKey: options.tokenKey } : {}) },
    },
    { transports: { mem: inMemoryServer('mem') }, logger: { log: (level, message, fields) => logs.push({ level, message, fields }) } },
  );
  sb.on('cluster.changed', (e) => events.push(e));
  sb.on('error', (e) => events.push(e));
  await sb.start();
  const admin = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => sb.redact(t), lifecycle });
  const get = async (path: string) => {
    const answer = await admin.app.request(path, { headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` } });
    return { status: answer.status, text: await answer.text() };
  };
  const r = { sb, logs, events, admin, get };
  started.push(r);
  return r;
}

const ids = (r: Replica) => r.sb.cluster!.status().replicas.map((m) => m.id).sort();

describe('the cluster core on Redis', () => {
  it('shows replicas of one cluster to each other and keeps another cluster apart', async () => {
    const redis = await startRedis();
    const [a, b, c] = [await replica(redis.url, { id: 'a' }), await replica(redis.url, { id: 'b' }), await replica(redis.url, { id: 'c', name: 'other' })];
    await until(() => ids(a).length === 2 && ids(b).length === 2 && ids(c).length === 1, 5000, 'replicas to see each other');
    expect(ids(a)).toEqual(['a', 'b']);
    expect(ids(c)).toEqual(['c']);
    const answer = await a.get('/mcp/cluster');
    expect(answer.status).toBe(200);
    // One health leader per cluster, the same for every replica of it.
    await until(() => a.sb.cluster!.status().leader !== null && a.sb.cluster!.status().leader === b.sb.cluster!.status().leader && c.sb.cluster!.status().leader === 'c', 5000, 'one leader per cluster');
    const status = JSON.parse(answer.text) as { leader: string | null };
    expect(status).toMatchObject({ name: 'core', redis: 'up', self: 'a' });
    expect(['a', 'b', null]).toContain(status.leader);
    expect(['a', 'b']).toContain(a.sb.cluster!.status().leader);
    expect(JSON.parse(answer.text).replicas.map((m: { id: string }) => m.id).sort()).toEqual(['a', 'b']);
    expect(a.events).toEqual([{ type: 'cluster.changed', redis: 'up' }]);
  });

  it('keeps serving every call on local state while Redis is down, then comes back', async () => {
    const redis = await startRedis();
    const [a, b] = [await replica(redis.url, { id: 'a' }), await replica(redis.url, { id: 'b' })];
    await until(() => ids(a).length === 2, 5000, 'both replicas');
    const metrics = createMetrics(a.sb);
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await metrics.registry.metrics())?.[1]);
    expect(await metric('switchboard_cluster_up')).toBe(1);
    expect(await metric('switchboard_cluster_replicas')).toBe(2);
    // What the sharing parts did, by kind (nothing shared here: the servers are in-code, one per replica).
    const text = await metrics.registry.metrics();
    for (const kind of ['published', 'applied', 'ignored', 'failed']) expect(text).toContain(`switchboard_cluster_breaker_updates_total{kind="${kind}"} 0`);
    for (const source of ['leader', 'local', 'published']) expect(text).toMatch(new RegExp(`switchboard_cluster_health_checks_total\\{source="${source}"\\} \\d+`));

    // Calls run without pause on both replicas while Redis dies and returns.
    let failed = 0;
    let done = 0;
    let running = true;
    const durations: number[] = [];
    const load = [a, b].map(async (r) => {
      while (running) {
        const t = performance.now();
        await r.sb.callTool('echo', { text: 'hi' }).then(
          () => durations.push(performance.now() - t),
          () => failed++,
        );
        done++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    try {
      await until(() => done > 50, 5000, 'calls before the outage');
      await redis.kill();
      await until(() => !a.sb.cluster!.up && !b.sb.cluster!.up, 5000, 'both to see Redis down');
      const atDown = done;
      await until(() => done > atDown + 50, 5000, 'calls during the outage');
      expect(await metric('switchboard_cluster_up')).toBe(0);
      expect((await a.get('/readyz')).status).toBe(200);
      const status = JSON.parse((await a.get('/mcp/cluster')).text);
      expect(status).toMatchObject({ redis: 'down', self: 'a' });
      expect(a.events.filter((e) => e.type === 'cluster.changed')).toEqual([
        { type: 'cluster.changed', redis: 'up' },
        { type: 'cluster.changed', redis: 'down', reason: expect.any(String) },
      ]);
      expect(a.logs.filter((l) => l.level === 'warn' && /Redis is down/.test(l.message))).toHaveLength(1);

      await redis.restart();
      await until(() => a.sb.cluster!.up && b.sb.cluster!.up, 5000, 'both to see Redis back');
      const atUp = done;
      await until(() => done > atUp + 50, 5000, 'calls after the outage');
      await until(() => ids(a).length === 2, 5000, 'heartbeats again');
      expect(await metric('switchboard_cluster_up')).toBe(1);
      expect(a.events.filter((e) => e.type === 'cluster.changed').map((e) => (e as { redis: string }).redis)).toEqual(['up', 'down', 'up']);
    } finally {
      running = false;
      await Promise.all(load);
      metrics.close();
    }
    expect(failed).toBe(0);
    expect(Number.isFinite(await metric('switchboard_cluster_redis_errors_total'))).toBe(true);
    durations.sort((x, y) => x - y);
    const p50 = durations[Math.floor(durations.length * 0.5)]!;
    const p99 = durations[Math.floor(durations.length * 0.99)]!;
    console.info(`cluster core: ${durations.length} calls on 2 replicas across a Redis kill and restart, 0 failed, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    // Not a benchmark: only proof that no call waited for Redis (a wait would be its 200 ms timeout).
    expect(p99).toBeLessThan(150);
  });

  it('shows no password or token key in logs, events, status, metrics or errors', async () => {
    const password = 'pw-sEcReT-horse-battery-staple';
    const redis = await startRedis({ password });
    const good = await replica(redis.url, { id: 'good', tokenKey: TOKEN_KEY });
    const wrongPassword = 'pw-wRoNg-correct-horse';
    const badUrl = `redis://:${wrongPassword}@127.0.0.1:${redis.port}`;
    const bad = await replica(badUrl, { id: 'bad', tokenKey: TOKEN_KEY });
    await until(() => good.sb.cluster!.up, 5000, 'the good replica up');
    await until(() => bad.events.some((e) => e.type === 'cluster.changed'), 5000, 'the bad replica down');
    expect(bad.sb.cluster!.up).toBe(false);
    await redis.kill();
    await until(() => !good.sb.cluster!.up, 5000, 'Redis down');
    for (const r of [good, bad]) {
      const metrics = createMetrics(r.sb);
      const seen = [
        JSON.stringify(r.logs),
        JSON.stringify(r.events),
        JSON.stringify(r.sb.cluster!.status()),
        (await r.get('/mcp/cluster')).text,
        await metrics.registry.metrics(),
        // sb.redact masks each replica's own cluster secrets.
        r.sb.redact(`url ${r === good ? redis.url : badUrl} key ${TOKEN_KEY}`),
      ].join('\n');
      metrics.close();
      expect(seen).not.toContain(password);
      expect(seen).not.toContain(wrongPassword);
      expect(seen).not.toContain(TOKEN_KEY);
    }
    expect(bad.logs.some((l) => l.level === 'warn' && /Redis is down/.test(l.message))).toBe(true);
  });

  it('sees Redis down while it stalls and up again once it answers', async () => {
    const redis = await startRedis();
    const a = await replica(redis.url, { id: 'a' });
    await until(() => ids(a).length === 1, 5000, 'the first heartbeat');
    redis.pause();
    try {
      await until(() => !a.sb.cluster!.up, 5000, 'a heartbeat past its timeout');
      expect(await a.sb.callTool('echo', { text: 'still here' })).toMatchObject({ content: [{ type: 'text' }] });
    } finally {
      redis.resume();
    }
    await until(() => a.sb.cluster!.up, 5000, 'a heartbeat answered');
    expect(a.events.map((e) => (e as { redis?: string }).redis)).toEqual(['up', 'down', 'up']);
  });

  it('starts and serves on local state when Redis was never reachable, and joins once it is', async () => {
    const redis = await startRedis();
    const { url } = redis;
    await redis.stop();
    const t = performance.now();
    const a = await replica(url, { id: 'a' });
    const startMs = performance.now() - t;
    expect(await a.sb.callTool('echo', { text: 'alone' })).toMatchObject({ content: [{ type: 'text' }] });
    await until(() => a.events.some((e) => e.type === 'cluster.changed'), 5000, 'the down event');
    expect(a.sb.cluster!.status()).toMatchObject({ redis: 'down', replicas: [] });
    expect(a.events[0]).toMatchObject({ type: 'cluster.changed', redis: 'down' });
    expect((await a.get('/readyz')).status).toBe(200);
    await redis.restart();
    await until(() => ids(a).length === 1, 5000, 'heartbeats once Redis is there');
    expect(a.events.map((e) => (e as { redis?: string }).redis)).toEqual(['down', 'up']);
    console.info(`cluster core: start with Redis unreachable took ${startMs.toFixed(0)} ms`);
  });

  it('answers 404 at /mcp/cluster without a cluster block', async () => {
    const sb = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    await sb.start();
    const admin = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
    try {
      const answer = await admin.app.request('/mcp/cluster', { headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` } });
      expect(answer.status).toBe(404);
      expect((await answer.json()).error.code).toBe('NotFound');
      expect(sb.cluster).toBeUndefined();
    } finally {
      admin.close();
      await sb.stop();
    }
  });
});
