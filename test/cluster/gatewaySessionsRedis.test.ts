import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { createJsonLogger } from '../../src/core/logger.js';
import { sessionKey } from '../../src/gateway/sharedSessions.js';
import { serve, type Service } from '../../src/server/serve.js';
import { startRedis, stopAllRedis, type TestRedis } from '../helpers/redis.js';
import { setup, teardown, type Setup } from '../gateway/upstream.js';

/**
 * Legacy `/mcp` sessions over a real redis-server (free loopback port) shared by three in-process
 * `serve` replicas, each with its own switchboard and in-memory upstream: round-robin with no
 * stickiness, DELETE anywhere, Redis killed and restarted. Prints the measured latencies.
 */

const TOKEN = 'cluster-redis-sessions-token-0123';
const TIMEOUT_MS = 250;
const auth = { authorization: `Bearer ${TOKEN}` };
const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const services: Service[] = [];
const buses: RedisBus[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  for (const service of services.splice(0)) await service.close();
  await teardown();
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await stopAllRedis();
});
afterAll(() => {
  console.info(`gateway sessions on Redis, measured: ${JSON.stringify(measured)}`);
});
const measured: Record<string, string> = {};

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Replica extends Setup {
  id: string;
  service: Service;
  bus: RedisBus;
}

async function bus(redis: TestRedis): Promise<RedisBus> {
  const made = await createRedisBus({ url: redis.url, clusterName: 'test', commandTimeoutMs: TIMEOUT_MS });
  buses.push(made);
  await until(() => made.up);
  return made;
}

async function replicas(redis: TestRedis): Promise<Replica[]> {
  const nodes: Replica[] = [];
  for (const id of ['a', 'b', 'c']) {
    const own = await bus(redis);
    const context: ClusterContext = { bus: own, replicaId: id, clusterName: 'test', now: Date.now, log: () => undefined };
    const up = await setup();
    const service = await serve(up.sb, { port: 0, token: TOKEN, gateway: up.gateway, logger: createJsonLogger({ write: () => undefined }), logEvents: false, gatewayCluster: { context, timeoutMs: TIMEOUT_MS } });
    services.push(service);
    await own.whenSubscribed();
    nodes.push({ ...up, id, service, bus: own });
  }
  return nodes;
}

const rpc = (node: Replica, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${node.service.url}/mcp`, { method: 'POST', headers: { ...ACCEPT, ...auth, ...headers }, body: JSON.stringify(body) });

async function answer(response: Response): Promise<{ result?: Record<string, unknown> }> {
  const text = await response.text();
  const data = text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6);
  return JSON.parse(data.at(-1)!.slice(6));
}

async function openOn(node: Replica): Promise<string> {
  const opened = await rpc(node, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const id = opened.headers.get('mcp-session-id')!;
  await opened.text();
  expect((await rpc(node, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id })).status).toBe(202);
  return id;
}

const callAdd = (node: Replica, id: string, a: number) => rpc(node, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'up__add', arguments: { a, b: 1 } } }, { 'mcp-session-id': id });

const ms = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return `p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (n=${sorted.length})`;
};

describe('gateway sessions shared on a real redis-server', () => {
  it('serves one session from three replicas behind round-robin, and a DELETE on one ends it on all', async () => {
    const redis = await startRedis();
    const nodes = await replicas(redis);
    const [a, b, c] = nodes as [Replica, Replica, Replica];

    let next = 0;
    const roundRobin: typeof fetch = (_input, init) => fetch(`${nodes[next++ % 3]!.service.url}/mcp`, init);
    const client = new Client({ name: 'rr-host', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL('http://balancer.invalid/mcp'), { fetch: roundRobin, requestInit: { headers: auth } }));
    for (let i = 0; i < 6; i++) expect(await client.callTool({ name: 'up__add', arguments: { a: i, b: 1 } })).toMatchObject({ structuredContent: { sum: i + 1 } });
    expect(nodes.map((n) => n.gateway.sessionCount)).toEqual([1, 1, 1]);

    // The first request on a replica that does not hold the session (look-up and rebuild) against one that does.
    const firsts: number[] = [];
    const later: number[] = [];
    for (let i = 0; i < 10; i++) {
      const id = await openOn(a);
      let started = performance.now();
      expect((await answer(await callAdd(b, id, i))).result).toMatchObject({ structuredContent: { sum: i + 1 } });
      firsts.push(performance.now() - started);
      started = performance.now();
      await answer(await callAdd(b, id, i));
      later.push(performance.now() - started);
    }
    measured['first call on another replica (look-up + rebuild)'] = ms(firsts);
    measured['later calls there'] = ms(later);

    const id = await openOn(a);
    await answer(await callAdd(c, id, 1));
    const record = JSON.parse((await a.bus.get(sessionKey(id)))!) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(['capabilities', 'clientInfo', 'cluster', 'profile', 'protocolVersion', 'replica', 'v']);
    expect(record.replica).toBe('a');

    expect((await fetch(`${b.service.url}/mcp`, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': id } })).status).toBe(200);
    expect(await a.bus.get(sessionKey(id))).toBeNull();
    const deleted = performance.now();
    await until(async () => (await callAdd(a, id, 1)).status === 404 && (await callAdd(c, id, 1)).status === 404);
    measured['DELETE on B until A and C answer 404'] = `${(performance.now() - deleted).toFixed(1)} ms`;
    expect((await callAdd(b, randomUUID(), 1)).status).toBe(404);
  });

  it('keeps serving its own sessions with Redis killed, answers 404 for the others within the timeout, and re-syncs when it returns', async () => {
    const redis = await startRedis();
    const nodes = await replicas(redis);
    const [a, b] = nodes as [Replica, Replica];
    const shared = await openOn(a);
    await answer(await callAdd(b, shared, 1));

    const timed = async () => {
      const took: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        expect((await answer(await callAdd(a, shared, i))).result).toMatchObject({ structuredContent: { sum: i + 1 } });
        expect((await answer(await callAdd(b, shared, i))).result).toMatchObject({ structuredContent: { sum: i + 1 } });
        took.push((performance.now() - started) / 2);
      }
      return took;
    };
    measured['calls on held sessions, Redis up'] = ms(await timed());
    await redis.kill();
    await until(() => nodes.every((n) => !n.bus.up));
    measured['calls on held sessions, Redis down'] = ms(await timed());
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect((await callAdd(b, randomUUID(), 1)).status).toBe(404);
      unknown.push(performance.now() - started);
    }
    measured['unknown id, Redis down'] = ms(unknown);
    expect(Math.max(...unknown)).toBeLessThan(TIMEOUT_MS);
    const offline = await openOn(a);
    expect((await callAdd(b, offline, 1)).status).toBe(404);

    await redis.restart();
    await until(() => nodes.every((n) => n.bus.up));
    // The session opened while Redis was down was stored when it came back: B serves it now.
    await until(async () => (await a.bus.get(sessionKey(offline))) !== null);
    expect((await answer(await callAdd(b, offline, 4))).result).toMatchObject({ structuredContent: { sum: 5 } });
  });

  it('answers an unknown id 404 within the command timeout while Redis stalls, and does not slow held sessions', async () => {
    const redis = await startRedis();
    const nodes = await replicas(redis);
    const [a, b] = nodes as [Replica, Replica];
    const id = await openOn(a);
    await answer(await callAdd(b, id, 1));
    redis.pause();
    try {
      let started = performance.now();
      expect((await callAdd(b, randomUUID(), 1)).status).toBe(404);
      const stalled = performance.now() - started;
      measured['unknown id, Redis stalled (SIGSTOP)'] = `${stalled.toFixed(1)} ms`;
      expect(stalled).toBeLessThan(TIMEOUT_MS + 150);
      started = performance.now();
      for (let i = 0; i < 10; i++) await answer(await callAdd(b, id, i));
      measured['calls on a held session, Redis stalled'] = `${((performance.now() - started) / 10).toFixed(1)} ms each`;
    } finally {
      redis.resume();
    }
  });
});
