import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { memoryTokenStore } from '../../src/auth/index.js';
import type { StoredAuth } from '../../src/auth/tokenStore.js';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { createSharedTokenStore, tokenRecordKey, type SharedTokenStore } from '../../src/cluster/sharedTokens.js';
import { createSharedSessions } from '../../src/gateway/sharedSessions.js';
import { busUp, startRedis, stopAllRedis } from '../helpers/redis.js';

/**
 * Review of issue 24: OAuth records and gateway sessions on a real redis-server. Values that do
 * not parse must be ignored with a warning and never stop sharing; nothing secret (tokens,
 * session ids, the token key) may pass through Redis in clear — checked with MONITOR, which sees
 * every command (keys, values and PUBLISH messages).
 */

const CLUSTER = 'rev24t';
const KEY = Buffer.alloc(32, 9);
const buses: RedisBus[] = [];
const stores: SharedTokenStore[] = [];
const raws: Array<{ destroy(): void }> = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await Promise.all(buses.splice(0).map((b) => b.close()));
  for (const c of raws.splice(0)) c.destroy();
});
afterAll(stopAllRedis);

async function ctxOf(url: string, id: string, logs: string[], cluster = CLUSTER, keyPrefix?: string): Promise<ClusterContext> {
  const bus = await createRedisBus({ url, clusterName: cluster, commandTimeoutMs: 250, ...(keyPrefix !== undefined ? { keyPrefix } : {}) });
  buses.push(bus);
  await busUp(bus);
  return { bus, replicaId: id, clusterName: cluster, now: () => Date.now(), log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) };
}

async function raw(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  raws.push(client);
  return client;
}

const ACCESS = 'at-SECRET-access-token-0001';
const REFRESH = 'rt-SECRET-refresh-token-0001';
const record = (n = 1): StoredAuth => ({
  version: 1,
  server: 'remote',
  resource: 'https://mcp.example.invalid/mcp',
  tokens: { access_token: `${ACCESS}-${n}`, token_type: 'Bearer', refresh_token: `${REFRESH}-${n}`, expires_in: 3600 },
  expiresAt: Date.now() + 3_600_000,
});
const STORE_KEY = 'remote|https://mcp.example.invalid/mcp';

describe('review 24: shared OAuth records with garbage in Redis', () => {
  for (const [label, seed] of [
    ['an unparseable envelope with a valid generation', async (c: Awaited<ReturnType<typeof raw>>, k: string) => void (await c.hSet(k, { g: '4', v: '{"v":1,"iv":"x"' }))],
    ['a non-numeric generation', async (c: Awaited<ReturnType<typeof raw>>, k: string) => void (await c.hSet(k, { g: 'zzz', v: 'garbage' }))],
    ['a value of the wrong Redis type', async (c: Awaited<ReturnType<typeof raw>>, k: string) => void (await c.set(k, 'a string, not a hash'))],
  ] as const) {
    it(`ignores ${label} with a warning and still shares the next record between replicas`, async () => {
      const redis = await startRedis();
      const c = await raw(redis.url);
      await seed(c, `switchboard:${CLUSTER}:${tokenRecordKey(STORE_KEY)}`);
      const logsA: string[] = [];
      const logsB: string[] = [];
      const a = createSharedTokenStore(await ctxOf(redis.url, 'a', logsA), KEY, memoryTokenStore(), { pollMs: 20, lockTtlMs: 1000 });
      const b = createSharedTokenStore(await ctxOf(redis.url, 'b', logsB), KEY, memoryTokenStore(), { pollMs: 20, lockTtlMs: 1000 });
      stores.push(a, b);
      // Reading the garbage must not throw.
      await expect(Promise.resolve(a.load(STORE_KEY))).resolves.toBeUndefined();
      await a.save(STORE_KEY, record(1));
      // Replica b has nothing locally: it must get a's record through Redis.
      const seen = await b.load(STORE_KEY);
      expect(seen?.tokens?.access_token).toBe(`${ACCESS}-1`);
      expect([...logsA, ...logsB].join('\n')).not.toContain(ACCESS);
    });
  }

  it('ignores an envelope copied from another cluster (AAD) with a warning', async () => {
    const redis = await startRedis();
    const logsX: string[] = [];
    const logsA: string[] = [];
    const other = createSharedTokenStore(await ctxOf(redis.url, 'x', logsX, 'other-cluster'), KEY, memoryTokenStore());
    const a = createSharedTokenStore(await ctxOf(redis.url, 'a', logsA), KEY, memoryTokenStore());
    stores.push(other, a);
    await other.save(STORE_KEY, record(2));
    const c = await raw(redis.url);
    const from = `switchboard:other-cluster:${tokenRecordKey(STORE_KEY)}`;
    const to = `switchboard:${CLUSTER}:${tokenRecordKey(STORE_KEY)}`;
    const stored = await c.hGetAll(from);
    await c.hSet(to, stored);
    expect(await a.load(STORE_KEY)).toBeUndefined();
    expect(logsA.some((l) => l.startsWith('warn') && /ignored the shared OAuth record/.test(l))).toBe(true);
  });
});

describe('review 24: nothing secret through Redis (MONITOR)', () => {
  it('never sends a token, a session id or the token key in clear in any command or message', async () => {
    const redis = await startRedis();
    const monitor = await raw(redis.url);
    const seen: string[] = [];
    await monitor.monitor((line) => seen.push(line));
    const logs: string[] = [];
    const ctxA = await ctxOf(redis.url, 'a', logs);
    const ctxB = await ctxOf(redis.url, 'b', logs);
    const a = createSharedTokenStore(ctxA, KEY, memoryTokenStore(), { pollMs: 20, lockTtlMs: 1000 });
    const b = createSharedTokenStore(ctxB, KEY, memoryTokenStore(), { pollMs: 20, lockTtlMs: 1000 });
    stores.push(a, b);
    await a.save(STORE_KEY, record(3));
    const release = await b.lockRefresh(STORE_KEY);
    // As src/auth does: re-read under the lock, then save the refreshed record.
    expect((await b.load(STORE_KEY))?.tokens?.access_token).toBe(`${ACCESS}-3`);
    await b.save(STORE_KEY, record(4));
    await release();
    expect((await a.load(STORE_KEY))?.tokens?.refresh_token).toBe(`${REFRESH}-4`);

    const sessionId = 'sess-SECRET-0123456789abcdef';
    const sa = createSharedSessions(ctxA, { ttlMs: 60_000 });
    const sb = createSharedSessions(ctxB, { ttlMs: 60_000 });
    const ended: string[] = [];
    sb.onEnded((id) => ended.push(id));
    await sa.created(sessionId, { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } });
    expect(await sb.find(sessionId)).toMatchObject({ replica: 'a', protocolVersion: '2025-11-25' });
    await sa.ended(sessionId);
    await new Promise((r) => setTimeout(r, 200));
    sa.close();
    sb.close();
    const all = seen.join('\n');
    expect(seen.length).toBeGreaterThan(5);
    for (const secret of [ACCESS, REFRESH, sessionId, KEY.toString('base64'), KEY.toString('hex'), 'mcp.example.invalid']) expect(all).not.toContain(secret);
    expect(logs.join('\n')).not.toContain(ACCESS);
    expect(logs.join('\n')).not.toContain(sessionId);
  });
});

describe('review 24: gateway session records with garbage in Redis', () => {
  it('a record that does not parse, of another cluster, an older format or the wrong Redis type is not served (warning, no throw)', async () => {
    const redis = await startRedis();
    const c = await raw(redis.url);
    const logs: string[] = [];
    const ctx = await ctxOf(redis.url, 'b', logs);
    const sessions = createSharedSessions(ctx, { ttlMs: 60_000, timeoutMs: 200 });
    const { sessionKey } = await import('../../src/gateway/sharedSessions.js');
    const good = { v: 1, cluster: CLUSTER, protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' }, profile: null, replica: 'a' };
    const cases: Array<[string, (k: string) => Promise<unknown>]> = [
      ['not json', (k) => c.set(k, '{{{')],
      ['another cluster', (k) => c.set(k, JSON.stringify({ ...good, cluster: 'other' }))],
      ['older format', (k) => c.set(k, JSON.stringify({ ...good, v: 0 }))],
      ['wrong type', (k) => c.hSet(k, { a: '1' })],
    ];
    try {
      for (const [label, seed] of cases) {
        const id = `sess-${label.replace(/ /g, '-')}`;
        await seed(`switchboard:${CLUSTER}:${sessionKey(id)}`);
        const t = performance.now();
        await expect(sessions.find(id), label).resolves.toBeUndefined();
        expect(performance.now() - t, label).toBeLessThan(600);
      }
      // Sanity: a good record is found.
      await c.set(`switchboard:${CLUSTER}:${sessionKey('sess-good')}`, JSON.stringify(good));
      expect(await sessions.find('sess-good')).toMatchObject({ replica: 'a' });
      expect(logs.filter((l) => l.startsWith('warn')).length).toBeGreaterThanOrEqual(3);
    } finally {
      sessions.close();
    }
  });
});
