import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { createJsonLogger } from '../../src/core/logger.js';
import { sessionKey } from '../../src/gateway/sharedSessions.js';
import { serve, type Service } from '../../src/server/serve.js';
import { closeDownstreams, connectDownstream } from '../gateway/eras.js';
import { setup, teardown, type Setup } from '../gateway/upstream.js';

/**
 * Legacy-era `/mcp` sessions behind a round-robin balancer (DESIGN §16, issue 24): three
 * in-process `serve` replicas, each with its own switchboard, gateway and in-memory upstream
 * `up`, share one engine (a `MemoryEngine` here; `gatewaySessionsRedis.test.ts` runs the same on a
 * real redis-server). A session opened on one replica is served by the others.
 */

const TOKEN = 'cluster-sessions-token-0123456789';
const PREFIX = 'switchboard:test:';
const auth = { authorization: `Bearer ${TOKEN}` };
const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const services: Service[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await closeDownstreams();
  for (const service of services.splice(0)) await service.close();
  await teardown();
});

interface Replica extends Setup {
  id: string;
  service: Service;
  warnings: string[];
}

/** Three replicas of cluster `test` on `engine` (a fresh one by default). */
async function replicas(engine = new MemoryEngine(Date.now), names = ['a', 'b', 'c']): Promise<{ engine: MemoryEngine; nodes: Replica[] }> {
  const nodes: Replica[] = [];
  for (const id of names) {
    const warnings: string[] = [];
    const context: ClusterContext = {
      bus: engine.bus(PREFIX),
      replicaId: id,
      clusterName: 'test',
      now: Date.now,
      log: (level, message) => void (level === 'warn' && warnings.push(message)),
    };
    const up = await setup();
    const service = await serve(up.sb, { port: 0, token: TOKEN, gateway: up.gateway, logger: createJsonLogger({ write: () => undefined }), logEvents: false, gatewayCluster: { context } });
    services.push(service);
    nodes.push({ ...up, id, service, warnings });
  }
  return { engine, nodes };
}

/** A fetch that sends each request to the next replica in turn (a round-robin balancer, no stickiness); `served` records which. */
function roundRobin(nodes: Replica[], served: string[] = []): typeof fetch {
  let next = 0;
  return (input, init) => {
    const node = nodes[next++ % nodes.length]!;
    const url = new URL(input instanceof Request ? input.url : String(input));
    served.push(`${init?.method ?? 'GET'} ${node.id}`);
    return fetch(`${node.service.url}${url.pathname}`, init);
  };
}

const rpc = (url: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${url}/mcp`, { method: 'POST', headers: { ...ACCEPT, ...auth, ...headers }, body: JSON.stringify(body) });

/** The JSON-RPC message of an SSE (or JSON) answer. */
async function answer(response: Response): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const text = await response.text();
  if (text.trimStart().startsWith('{')) return JSON.parse(text);
  const data = text.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6);
  return JSON.parse(data.at(-1)!.slice(6));
}

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'raw-host', version: '3.1' } } };

/** Opens a session on `node` with a raw initialize; answers its id. */
async function openOn(node: Replica): Promise<string> {
  const opened = await rpc(node.service.url, INITIALIZE);
  expect(opened.status).toBe(200);
  const id = opened.headers.get('mcp-session-id')!;
  await answer(opened);
  expect((await rpc(node.service.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id })).status).toBe(202);
  return id;
}

const callAdd = (node: Replica, id: string, a: number) => rpc(node.service.url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'up__add', arguments: { a, b: 1 } } }, { 'mcp-session-id': id });

describe('gateway sessions shared by the replicas of a cluster', () => {
  it('serves a session opened on one replica from every other, behind round-robin with no stickiness', async () => {
    const { nodes } = await replicas();
    const served: string[] = [];
    const client = new Client({ name: 'rr-host', version: '1.0.0' }, { capabilities: {} });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL('http://balancer.invalid/mcp'), { fetch: roundRobin(nodes, served), requestInit: { headers: auth } }));
    for (let i = 0; i < 3; i++) {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('up__add');
      expect(await client.callTool({ name: 'up__add', arguments: { a: i, b: 2 } })).toMatchObject({ structuredContent: { sum: i + 2 } });
    }
    // Every replica served requests of the one session, and holds a copy of it now.
    expect(new Set(served.map((s) => s.split(' ')[1]))).toEqual(new Set(['a', 'b', 'c']));
    expect(nodes.map((n) => n.gateway.sessionCount)).toEqual([1, 1, 1]);
  });

  it('answers tools/list and tools/call on B and C for a session initialized on A', async () => {
    const { nodes } = await replicas();
    const [a, b, c] = nodes as [Replica, Replica, Replica];
    const id = await openOn(a);
    const listed = await answer(await rpc(b.service.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': id }));
    expect((listed.result!.tools as { name: string }[]).map((t) => t.name)).toContain('up__add');
    expect((await answer(await callAdd(c, id, 41))).result).toMatchObject({ structuredContent: { sum: 42 } });
    expect((await answer(await callAdd(b, id, 1))).result).toMatchObject({ structuredContent: { sum: 2 } });
    // A second initialize on an adopted session is refused as on the replica that created it.
    expect((await rpc(c.service.url, INITIALIZE, { 'mcp-session-id': id })).status).toBe(400);
  });

  it("keeps the client's capabilities on another replica: a roots request reaches the client through it", async () => {
    const { nodes } = await replicas();
    const [a, b] = nodes as [Replica, Replica];
    const id = await openOn(a);
    const call = await rpc(b.service.url, { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'up__roots', arguments: {} } }, { 'mcp-session-id': id });
    const reader = call.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const message = async (match: (m: { id?: unknown; method?: string }) => boolean) => {
      for (;;) {
        const found = text.split('\n').filter((l) => l.startsWith('data: ') && l.length > 6).map((l) => JSON.parse(l.slice(6)) as { id?: unknown; method?: string; result?: unknown }).find(match);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += value;
      }
    };
    // The upstream asks for roots: the replica that serves the call asks this client (it declared roots on A).
    const asked = await message((m) => m.method === 'roots/list');
    const answered = await rpc(b.service.url, { jsonrpc: '2.0', id: asked.id, result: { roots: [{ uri: 'file:///from/b', name: 'b' }] } }, { 'mcp-session-id': id });
    expect(answered.status).toBe(202);
    expect(await message((m) => m.id === 8)).toMatchObject({ result: { content: [{ type: 'text', text: 'file:///from/b' }] } });
    await reader.cancel();
  });

  it('sends Redis no command for 100 calls of a session that every replica already holds', async () => {
    const { engine, nodes } = await replicas();
    const id = await openOn(nodes[0]!);
    for (const node of nodes) await answer(await callAdd(node, id, 0));
    const before = [...engine.commands.values()].reduce((x, y) => x + y, 0);
    for (let i = 0; i < 100; i++) expect((await answer(await callAdd(nodes[i % 3]!, id, i))).result).toMatchObject({ structuredContent: { sum: i + 1 } });
    expect([...engine.commands.values()].reduce((x, y) => x + y, 0) - before).toBeLessThanOrEqual(1);
  });

  it('ends the session on every replica when a DELETE reaches any one of them', async () => {
    const { engine, nodes } = await replicas();
    const [a, b, c] = nodes as [Replica, Replica, Replica];
    const id = await openOn(a);
    expect((await answer(await callAdd(c, id, 1))).result).toBeDefined();
    const gone = await fetch(`${b.service.url}/mcp`, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': id } });
    expect(gone.status).toBe(200);
    expect(engine.dump()[PREFIX + sessionKey(id)]).toBeUndefined();
    // A and C dropped their copies on the ended message; every replica answers 404 from now on.
    await expectEventually(() => a.gateway.sessionCount === 0 && c.gateway.sessionCount === 0);
    for (const node of nodes) {
      const refused = await callAdd(node, id, 1);
      expect(refused.status).toBe(404);
      expect((await refused.json()).error).toEqual({ code: -32001, message: 'Session not found' });
    }
  });

  it('ends a session held here when its DELETE comes to the replica that holds it', async () => {
    const { engine, nodes } = await replicas();
    const [a, b] = nodes as [Replica, Replica];
    const id = await openOn(a);
    expect((await answer(await callAdd(b, id, 1))).result).toBeDefined();
    expect((await fetch(`${a.service.url}/mcp`, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': id } })).status).toBe(200);
    expect(engine.dump()[PREFIX + sessionKey(id)]).toBeUndefined();
    await expectEventually(() => b.gateway.sessionCount === 0);
    expect((await callAdd(b, id, 1)).status).toBe(404);
  });

  it('answers an unknown session id with a 404 JSON error on every replica', async () => {
    const { nodes } = await replicas();
    for (const node of nodes) {
      const unknown = await callAdd(node, randomUUID(), 1);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toContain('application/json');
      expect(await unknown.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    }
  });

  it('stores only the listed fields, under a hash of the id, with nothing secret', async () => {
    const { engine, nodes } = await replicas();
    const id = await openOn(nodes[0]!);
    const dump = engine.dump();
    const keys = Object.keys(dump).filter((k) => k.includes('gateway:session:'));
    expect(keys).toEqual([PREFIX + sessionKey(id)]);
    const record = JSON.parse(dump[keys[0]!]!) as Record<string, unknown>;
    expect(record).toEqual({ v: 1, cluster: 'test', protocolVersion: '2025-11-25', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'raw-host', version: '3.1' }, profile: null, replica: 'a' });
    const everything = JSON.stringify(dump);
    expect(everything).not.toContain(id);
    expect(everything).not.toContain(TOKEN);
    expect(everything.toLowerCase()).not.toContain('authorization');
  });

  it('stores nothing for a modern-era client, which has no session', async () => {
    const { engine, nodes } = await replicas();
    const modern = await connectDownstream('modern', { kind: 'http', url: new URL(`${nodes[0]!.service.url}/mcp`), headers: auth });
    expect((await modern.callTool({ name: 'up__add', arguments: { a: 1, b: 1 } })).structuredContent).toEqual({ sum: 2 });
    expect(Object.keys(engine.dump()).filter((k) => k.includes('gateway:session:'))).toEqual([]);
  });

  it('with the engine down serves its own sessions and answers 404 for the others at once', async () => {
    const { engine, nodes } = await replicas();
    const [a, b] = nodes as [Replica, Replica];
    const id = await openOn(a);
    engine.setDown(true);
    expect((await answer(await callAdd(a, id, 2))).result).toMatchObject({ structuredContent: { sum: 3 } });
    const started = performance.now();
    expect((await callAdd(b, id, 2)).status).toBe(404);
    expect(performance.now() - started).toBeLessThan(250);
    // A session opened while down is stored when the engine returns.
    const offline = await openOn(a);
    expect(engine.dump()[PREFIX + sessionKey(offline)]).toBeUndefined();
    engine.setDown(false);
    await expectEventually(() => engine.dump()[PREFIX + sessionKey(offline)] !== undefined);
    expect((await answer(await callAdd(b, offline, 5))).result).toMatchObject({ structuredContent: { sum: 6 } });
  });

  it('ignores a record that does not parse, is of another cluster or of an older format, with a warning', async () => {
    const { engine, nodes } = await replicas(undefined, ['a', 'b']);
    const b = nodes[1]!;
    const good = { v: 1, cluster: 'test', protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' }, profile: null, replica: 'a' };
    const bad: [string, string][] = [
      ['{not json', 'not JSON'],
      [JSON.stringify({ ...good, cluster: 'other' }), 'another cluster'],
      [JSON.stringify({ ...good, v: 0 }), 'format'],
      [JSON.stringify({ ...good, capabilities: 'all' }), 'wrong type'],
    ];
    const writer = engine.bus(PREFIX);
    for (const [value, reason] of bad) {
      const id = randomUUID();
      await writer.set(sessionKey(id), value);
      expect((await callAdd(b, id, 1)).status).toBe(404);
      expect(b.warnings.at(-1)).toContain(reason);
    }
    // The same record, well formed, is served.
    const id = randomUUID();
    await writer.set(sessionKey(id), JSON.stringify(good));
    expect((await answer(await callAdd(b, id, 1))).result).toMatchObject({ structuredContent: { sum: 2 } });
    await writer.close();
  });
});

/** Waits for `predicate` (a message delivered, a copy closed), failing after 5 s. */
async function expectEventually(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
