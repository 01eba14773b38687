import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryTokenStore, storeKey } from '../../src/auth/index.js';
import type { ClusterBus, ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine } from '../../src/cluster/memoryBus.js';
import { createRedisBus } from '../../src/cluster/redisBus.js';
import { createSharedTokenStore, openSharedTokens, tokenRecordKey, type SharedTokenStore } from '../../src/cluster/sharedTokens.js';
import { codeFromRedirect, harness, httpServer, textOf, type Harness } from '../auth/harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from '../auth/servers.js';
import { busUp, startRedis, stopAllRedis, type TestRedis } from '../helpers/redis.js';

/**
 * Three replicas' authorization (src/auth providers and flows, as each replica's runtime makes
 * them) sharing one token store (DESIGN §16), against a real authorization server that rotates
 * refresh tokens (each valid once: a second use is `invalid_grant`) and a real protected MCP
 * server. Once on the in-memory engine, once on a real redis-server on a free loopback port.
 * A token is renewed once per expiry across the three, never with a rotated refresh token.
 */

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

interface Engine {
  bus(): Promise<ClusterBus>;
  /** Every value stored now, to look for secrets in. */
  contents(): Promise<string>;
  /** An outage (Redis killed) and its end (Redis started again: a real one comes back empty). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Commands sent so far (the in-memory engine counts them). */
  commands?(): number;
}

function suite(label: string, engine: () => Engine): void {
  describe(`three replicas sharing tokens on ${label}`, () => {
    let as: TestAuthServer;
    let rs: TestResourceServer;
    let e: Engine;
    beforeEach(() => {
      e = engine();
    });
    const replicas: { h: Harness; store: SharedTokenStore; bus: ClusterBus; logs: string[] }[] = [];

    async function replica(id: string, authorize = true, lockTtlMs = 5000) {
      const bus = await e.bus();
      await busUp(bus);
      const logs: string[] = [];
      const ctx: ClusterContext = { bus, replicaId: id, clusterName: 'prod', now: () => Date.now(), log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) };
      const store = createSharedTokenStore(ctx, KEY, memoryTokenStore(), { lockTtlMs, pollMs: 20 });
      const h = harness({ tokenStore: store, ...(authorize ? { authorize: codeFromRedirect } : {}) });
      const r = { h, store, bus, logs };
      replicas.push(r);
      return r;
    }

    afterEach(async () => {
      for (const r of replicas.splice(0)) {
        await r.h.close();
        r.store.close();
        await r.bus.close();
      }
      await rs?.close();
      await as?.close();
    });

    const grants = () => as.tokenRequests.map((r) => r.grant);

    async function threeConnected(options: { expiresIn?: number } = {}) {
      as = await startAuthServer({ rotateRefreshTokens: true, ...options });
      rs = await startResourceServer(as, { authServer: () => as.url });
      const server = httpServer(rs.url, { type: 'oauth' });
      // The first replica is authorized once (consent); the other two find its tokens shared.
      const first = await replica('a');
      const sessions = [await first.h.connect(server)];
      for (const id of ['b', 'c']) sessions.push(await (await replica(id, false)).h.connect(server));
      expect(grants()).toEqual(['authorization_code']);
      expect(as.registrations).toHaveLength(1);
      return sessions;
    }

    it('refreshes once when all three find the token expiring at once', async () => {
      const sessions = await threeConnected({ expiresIn: 600 });
      // 600 s token, 60 s margin: past it on every replica's clock.
      for (const r of replicas) r.h.clock.increment(590_000);
      const results = await Promise.all(sessions.map((s, i) => s.client.callTool({ name: 'echo', arguments: { text: `r${i}` } })));
      expect(results.map(textOf)).toEqual(['r0', 'r1', 'r2']);
      // Exactly one refresh at the authorization server: no replica used a rotated refresh token
      // (that would be a second refresh_token request, answered invalid_grant).
      expect(grants()).toEqual(['authorization_code', 'refresh_token']);
      const newest = [...as.tokens.keys()].at(-1)!;
      expect(rs.presented.slice(-3)).toEqual([newest, newest, newest]);
      expect(rs.statuses.filter((s) => s === 401)).toHaveLength(1); // the first initialize only
      const log = replicas.flatMap((r) => r.logs).join('\n');
      expect(log).not.toMatch(/invalid_grant|refreshing without it|unreachable/);
      // Nothing the authorization server issued is stored or logged in clear.
      const contents = await e.contents();
      for (const value of as.issued) expect(contents + log).not.toContain(value);
    });

    it('sends no command to Redis for calls between refreshes', async () => {
      const sessions = await threeConnected();
      const before = e.commands?.();
      for (let i = 0; i < 100; i++) await Promise.all(sessions.map((s) => s.client.callTool({ name: 'echo', arguments: { text: 'n' } })));
      if (before !== undefined) expect(e.commands!() - before).toBe(0);
      expect(grants()).toEqual(['authorization_code']);
    });

    it('refreshes once when the server refuses the token on all three at once (401)', async () => {
      const sessions = await threeConnected();
      as.revokeAccessTokens();
      const results = await Promise.all(sessions.map((s, i) => s.client.callTool({ name: 'echo', arguments: { text: `x${i}` } })));
      expect(results.map(textOf)).toEqual(['x0', 'x1', 'x2']);
      expect(grants()).toEqual(['authorization_code', 'refresh_token']);
      const newest = [...as.tokens.keys()];
      expect(newest).toHaveLength(1);
      expect(rs.presented.slice(-3)).toEqual([newest[0], newest[0], newest[0]]);
    });

    it('refreshes after the lock TTL when the holder stalled (stopped before its refresh)', async () => {
      as = await startAuthServer({ rotateRefreshTokens: true, expiresIn: 600 });
      rs = await startResourceServer(as, { authServer: () => as.url });
      const server = httpServer(rs.url, { type: 'oauth' });
      const a = await replica('a', true, 1000);
      await a.h.connect(server);
      const b = await replica('b', false, 1000);
      const session = await b.h.connect(server);
      // Replica "stalled" took the lock and was stopped (SIGSTOP) before it refreshed: it never releases.
      const lockKey = `${tokenRecordKey(storeKey('s', rs.url))}:refresh`;
      expect(await b.bus.acquire(lockKey, 'stalled:1', 1000)).toBe(true);
      b.h.clock.increment(590_000);
      const started = Date.now();
      expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'late' } }))).toBe('late');
      const delayMs = Date.now() - started;
      // Delayed by the lock's TTL at most (plus the refresh itself), not more.
      expect(delayMs).toBeGreaterThanOrEqual(900);
      expect(delayMs).toBeLessThan(1000 + 750);
      expect(grants()).toEqual(['authorization_code', 'refresh_token']);
      console.log(`[${label}] a stalled lock holder delayed the refresh by ${delayMs} ms (lock TTL 1000 ms)`);
    });

    it('refreshes on the local store while Redis is down, no slower, and shares the token when it is back', async () => {
      as = await startAuthServer({ rotateRefreshTokens: true, expiresIn: 600 });
      rs = await startResourceServer(as, { authServer: () => as.url });
      const server = httpServer(rs.url, { type: 'oauth' });
      const a = await replica('a');
      const sa = await a.h.connect(server);
      const b = await replica('b', false);
      const sb = await b.h.connect(server);
      await e.down();
      await Promise.all([whenDown(a.bus), whenDown(b.bus)]);
      a.h.clock.increment(590_000);
      const started = Date.now();
      expect(textOf(await sa.client.callTool({ name: 'echo', arguments: { text: 'down' } }))).toBe('down');
      const downMs = Date.now() - started;
      // No Redis command was waited for: an outage costs no more than a command's timeout, here far less.
      expect(downMs).toBeLessThan(250);
      expect(grants()).toEqual(['authorization_code', 'refresh_token']);
      expect(a.logs.join('\n')).toMatch(/warn cluster: Redis is unreachable/);
      await e.up();
      await Promise.all([busUp(a.bus), busUp(b.bus)]);
      // a's record reaches Redis again (re-sync); b then takes it instead of refreshing with the rotated token.
      const newest = [...as.tokens.keys()].at(-1)!;
      await until(async () => (await b.store.load(storeKey('s', rs.url)))?.tokens?.access_token === newest).catch((error: unknown) => {
        throw new Error(`${String(error)}; a: ${a.logs.join(' / ')}; b: ${b.logs.join(' / ')}`);
      });
      b.h.clock.increment(590_000);
      expect(textOf(await sb.client.callTool({ name: 'echo', arguments: { text: 'back' } }))).toBe('back');
      expect(grants()).toEqual(['authorization_code', 'refresh_token']);
      expect(rs.presented.at(-1)).toBe(newest);
      console.log(`[${label}] a refresh with Redis down took ${downMs} ms`);
    });

    it('asks the authorization server once when three replicas first connect together (client_credentials)', async () => {
      as = await startAuthServer({ rotateRefreshTokens: true });
      rs = await startResourceServer(as, { authServer: () => as.url });
      const server = httpServer(rs.url, { type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret-value' });
      const rs3 = await Promise.all(['a', 'b', 'c'].map((id) => replica(id, false)));
      const sessions = await Promise.all(rs3.map((r) => r.h.connect(server)));
      const results = await Promise.all(sessions.map((s) => s.client.callTool({ name: 'whoami', arguments: {} })));
      expect(results.map(textOf)).toEqual(['guarded', 'guarded', 'guarded']);
      expect(grants()).toEqual(['client_credentials']);
    });
  });
}

suite('the in-memory engine', () => {
  const memory = new MemoryEngine(() => Date.now());
  return {
    bus: async () => memory.bus('switchboard:prod:'),
    contents: async () => JSON.stringify(memory.dump()),
    commands: () => [...memory.commands.values()].reduce((a, b) => a + b, 0),
    down: async () => memory.setDown(true),
    up: async () => memory.setDown(false),
  };
});

let redis: TestRedis | undefined;
let run = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await stopAllRedis();
});

suite('a real redis-server', () => {
  const url = redis!.url;
  const prefix = `tok${++run}:`;
  return {
    bus: () => createRedisBus({ url, clusterName: 'prod', keyPrefix: prefix, commandTimeoutMs: 250 }),
    contents: () => dumpRedis(url),
    down: () => redis!.kill(),
    up: () => redis!.restart(),
  };
});

/** Resolves once `bus` is down. */
function whenDown(bus: ClusterBus): Promise<void> {
  if (!bus.up) return Promise.resolve();
  return new Promise((resolve) => {
    const off = bus.onStatus((up) => {
      if (up) return;
      off();
      resolve();
    });
  });
}

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a one-shot process (switchboard login) with a cluster', () => {
  const settings = (url: string, tokenKey: Buffer | undefined = KEY) => ({
    redis: { url, keyPrefix: 'login:', commandTimeoutMs: 250 },
    name: 'prod',
    replicaId: '',
    tokenKey,
    heartbeatMs: 1000,
    secrets: [],
  });
  const record = { version: 1 as const, server: 's', resource: 'https://s.example.test/mcp', tokens: { access_token: 'login-secret-access', token_type: 'Bearer' } };

  it('stores the tokens it obtains in the shared store, sealed', async () => {
    const logs: string[] = [];
    const login = await openSharedTokens(settings(redis!.url), memoryTokenStore(), (level, message) => logs.push(`${level} ${message}`));
    await login.store.save('s-1', record);
    await login.close();
    const replica = await openSharedTokens(settings(redis!.url), memoryTokenStore(), (level, message) => logs.push(`${level} ${message}`));
    expect(await replica.store.load('s-1')).toEqual(record);
    await replica.close();
    expect(logs).toEqual([]);
    expect(await dumpRedis(redis!.url)).toContain(`login:prod:${tokenRecordKey('s-1')}`);
    expect(await dumpRedis(redis!.url)).not.toContain('login-secret');
  });

  it('stores locally with a warning when Redis refuses its password, within the wait', async () => {
    const guarded = await startRedis({ password: 'right-password' });
    const wrong = guarded.url.replace('right-password', 'wrong-password');
    const logs: string[] = [];
    const local = memoryTokenStore();
    const started = Date.now();
    const login = await openSharedTokens(settings(wrong), local, (level, message) => logs.push(`${level} ${message}`), 500);
    await login.store.save('s-1', record);
    await login.close();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await local.load('s-1')).toEqual(record);
    expect(logs.join('\n')).toMatch(/warn cluster: Redis is unreachable/);
    expect(logs.join('\n')).not.toMatch(/password|login-secret/);
    await guarded.stop();
  });

  it('is the local store itself without a token key', async () => {
    const local = memoryTokenStore();
    const login = await openSharedTokens({ ...settings(redis!.url), tokenKey: undefined }, local, () => undefined);
    expect(login.store).toBe(local);
    await login.close();
  });
});

/** Every key and value in the test's redis-server (strings and hashes), as one text. */
async function dumpRedis(url: string): Promise<string> {
  const { createClient } = await import('redis');
  const client = createClient({ url });
  await client.connect();
  try {
    const out: string[] = [];
    for (const key of await client.keys('*')) {
      const type = await client.type(key);
      if (type === 'string') out.push(`${key}=${await client.get(key)}`);
      else if (type === 'hash') out.push(`${key}=${JSON.stringify(await client.hGetAll(key))}`);
      else out.push(`${key}:${type}`);
    }
    return out.join('\n');
  } finally {
    await client.close();
  }
}
