import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { memoryTokenStore, type StoredAuth, type TokenStore } from '../../src/auth/index.js';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine, type MemoryBus } from '../../src/cluster/memoryBus.js';
import { createSharedTokenStore, tokenRecordKey, type SharedTokenStore } from '../../src/cluster/sharedTokens.js';
import { envelopeAad, openEnvelope, sealEnvelope } from '../../src/cluster/tokenCrypto.js';

/**
 * The shared token store (DESIGN §16) on the in-memory engine and a SimulatedClock: records sealed
 * with the token key and bound to their cluster and key, anything that does not open ignored
 * with a warning, the refresh lock (one refresher of three, a stalled holder outwaited at its
 * TTL), and Redis down: the local store answers and the cluster gets the record back later.
 */

const KEY = Buffer.alloc(32, 7);
const PREFIX = 'switchboard:prod:';

interface Replica {
  id: string;
  store: SharedTokenStore;
  local: TokenStore;
  bus: MemoryBus;
  logs: string[];
}

let clock: SimulatedClock;
let engine: MemoryEngine;
const made: Replica[] = [];

function replica(id: string, options: { key?: Buffer; cluster?: string; lockTtlMs?: number } = {}): Replica {
  const cluster = options.cluster ?? 'prod';
  const bus = engine.bus(`switchboard:${cluster}:`);
  const logs: string[] = [];
  const ctx: ClusterContext = {
    bus,
    replicaId: id,
    clusterName: cluster,
    now: () => clock.now(),
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const local = memoryTokenStore();
  const store = createSharedTokenStore(ctx, options.key ?? KEY, local, { clock, lockTtlMs: options.lockTtlMs ?? 10_000, pollMs: 50 });
  const r = { id, store, local, bus, logs };
  made.push(r);
  return r;
}

function record(n: number): StoredAuth {
  return {
    version: 1,
    server: 'docs',
    resource: 'https://docs.example.test/mcp',
    clientInformation: { client_id: 'client-1' },
    tokens: { access_token: `secret-access-${n}`, token_type: 'Bearer', refresh_token: `secret-refresh-${n}`, expires_in: 3600 },
    expiresAt: clock.now() + 3_600_000,
  };
}

/** Lets promises and the engine's microtask deliveries run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function reset(): void {
  clock = new SimulatedClock();
  clock.set(1_700_000_000_000);
  engine = new MemoryEngine(() => clock.now());
}
reset();

afterEach(async () => {
  for (const r of made.splice(0)) {
    r.store.close();
    await r.bus.close();
  }
  reset();
});

/** Every stored value and every log line, to search for secrets in. */
const everything = () => JSON.stringify(engine.dump()) + made.flatMap((r) => r.logs).join('\n');

describe('sealed records', () => {
  it('shares a record between replicas and stores no token text in clear', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    expect(await b.store.load('docs-1')).toEqual(record(1));
    const dump = engine.dump();
    expect(Object.keys(dump)).toEqual([`${PREFIX}${tokenRecordKey('docs-1')}`]);
    expect(tokenRecordKey('docs-1')).toMatch(/^tokens:[0-9a-f]{64}$/);
    expect(everything()).not.toMatch(/secret-|client-1/);
    // The reader keeps a local copy (for an outage later).
    expect(await b.local.load('docs-1')).toEqual(record(1));
  });

  it('seals with a fresh IV each time: the same record twice is two different texts', () => {
    const aad = envelopeAad('prod', 'tokens:x');
    const [one, two] = [sealEnvelope(KEY, aad, 'same'), sealEnvelope(KEY, aad, 'same')];
    expect(one).not.toBe(two);
    expect(JSON.parse(one)).toMatchObject({ v: 1, iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
    expect(openEnvelope(KEY, aad, one)).toEqual({ ok: true, plaintext: 'same' });
  });

  it('ignores a changed record with a warning and answers from the local store', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    const full = `${PREFIX}${tokenRecordKey('docs-1')}`;
    const envelope = JSON.parse(engine.dump()[full]!) as { data: string };
    const data = Buffer.from(envelope.data, 'base64');
    data[0]! ^= 1;
    await b.bus.writeIfNewer(tokenRecordKey('docs-1'), 9, JSON.stringify({ ...envelope, data: data.toString('base64') }));
    expect(await b.store.load('docs-1')).toBeUndefined();
    expect(b.logs.join('\n')).toMatch(/warn cluster: ignored the shared OAuth record tokens:[0-9a-f]+: it does not decrypt/);
    // a's own copy still answers for a, and the bad value is never thrown at anyone.
    expect(await a.store.load('docs-1')).toEqual(record(1));
  });

  it('ignores a record sealed with another key', async () => {
    const [a, b] = [replica('a', { key: randomBytes(32) }), replica('b')];
    await a.store.save('docs-1', record(1));
    expect(await b.store.load('docs-1')).toBeUndefined();
    expect(b.logs.join('\n')).toMatch(/ignored .* does not decrypt with cluster.tokenKey/);
  });

  it('does not open a record copied to another key or into another cluster', async () => {
    const [a, b, other] = [replica('a'), replica('b'), replica('c', { cluster: 'staging' })];
    await a.store.save('docs-1', record(1));
    const sealed = engine.dump()[`${PREFIX}${tokenRecordKey('docs-1')}`]!;
    await a.bus.writeIfNewer(tokenRecordKey('docs-2'), 1, sealed);
    await other.bus.writeIfNewer(tokenRecordKey('docs-1'), 1, sealed);
    expect(await b.store.load('docs-2')).toBeUndefined();
    expect(await other.store.load('docs-1')).toBeUndefined();
    expect(b.logs.join('\n')).toMatch(/does not decrypt/);
    expect(other.logs.join('\n')).toMatch(/does not decrypt/);
  });

  it('ignores values that are not JSON, not an envelope or of another format, with a warning each', async () => {
    const b = replica('b');
    const bad = ['{nope', '[1]', JSON.stringify({ v: 2, iv: 'a', tag: 'b', data: 'c' }), JSON.stringify({ v: 1, iv: 'AAAA', tag: 'AAAA', data: '' })];
    for (const [i, value] of bad.entries()) {
      await b.bus.writeIfNewer(tokenRecordKey('docs-1'), i + 1, value);
      expect(await b.store.load('docs-1')).toBeUndefined();
    }
    const warnings = b.logs.filter((l) => l.startsWith('warn cluster: ignored'));
    expect(warnings.map((w) => /: (its? [^{]*) \{/.exec(w)?.[1])).toEqual([
      'it is not JSON',
      'it is not an envelope',
      'it has format 2, this replica reads format 1',
      'its iv or tag has the wrong length',
    ]);
  });

  it('ignores a sealed value that is not a token record', async () => {
    const b = replica('b');
    const recordKey = tokenRecordKey('docs-1');
    await b.bus.writeIfNewer(recordKey, 1, sealEnvelope(KEY, envelopeAad('prod', recordKey), JSON.stringify({ version: 9, tokens: 'x' })));
    expect(await b.store.load('docs-1')).toBeUndefined();
    expect(b.logs.join('\n')).toMatch(/it is not a token record/);
  });

  it('shares a record only the local store had (from before the cluster) on first read', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.local.save('docs-1', record(1));
    expect(await a.store.load('docs-1')).toEqual(record(1));
    expect(await b.store.load('docs-1')).toEqual(record(1));
  });

  it('deletes everywhere', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    await b.store.load('docs-1');
    await b.store.delete('docs-1');
    expect(engine.dump()).toEqual({});
    expect(await b.local.load('docs-1')).toBeUndefined();
    expect(await a.local.load('docs-1')).toEqual(record(1));
    // The cluster's answer (none) is the local copy's fate too: a's store no longer finds it shared,
    // and shares its own old copy back only as a record "from before the cluster".
  });
});

describe('the refresh lock', () => {
  /** One replica's refresh as src/auth does it: lock, re-read, refresh only when nobody did. */
  async function refresh(r: Replica, used: string, refreshes: string[]): Promise<string> {
    const release = await r.store.lockRefresh('docs-1');
    try {
      const current = (await r.store.load('docs-1'))!;
      if (current.tokens!.access_token !== used) return current.tokens!.access_token;
      refreshes.push(r.id);
      // The authorization server's answer arrives a while later.
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 200));
      await r.store.save('docs-1', record(2));
      return 'secret-access-2';
    } finally {
      await release();
    }
  }

  it('lets one of three replicas refresh; the others take its token', async () => {
    const rs = [replica('a'), replica('b'), replica('c')];
    await rs[0]!.store.save('docs-1', record(1));
    const refreshes: string[] = [];
    const all = Promise.all(rs.map((r) => refresh(r, 'secret-access-1', refreshes)));
    for (let t = 0; t < 20; t++) {
      await flush();
      clock.increment(50);
    }
    expect(await all).toEqual(['secret-access-2', 'secret-access-2', 'secret-access-2']);
    expect(refreshes).toHaveLength(1);
    expect(engine.commands.get('acquire')).toBeGreaterThanOrEqual(3);
    // Released by compare-and-delete: no lock is left behind.
    expect(Object.keys(engine.dump()).filter((k) => k.endsWith(':refresh'))).toEqual([]);
  });

  it('outwaits a stalled holder at most the lock TTL, then the waiter holds the lock', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.lockRefresh('docs-1'); // never released: a is stopped (SIGSTOP)
    const started = clock.now();
    let heldAt: number | undefined;
    const waiting = b.store.lockRefresh('docs-1').then((release) => {
      heldAt = clock.now();
      return release;
    });
    for (let t = 0; t < 400 && heldAt === undefined; t++) {
      await flush();
      clock.increment(50);
    }
    await waiting;
    expect(heldAt! - started).toBeGreaterThanOrEqual(10_000);
    expect(heldAt! - started).toBeLessThanOrEqual(10_050);
    // b holds it now (a's expired): a third replica waits for b.
    expect(Object.values(engine.dump())).toEqual([expect.stringMatching(/^b:/)]);
  });

  it('gives up waiting at its TTL when the lock is held longer, and refreshes without it', async () => {
    const b = replica('b', { lockTtlMs: 1000 });
    await b.bus.acquire(`${tokenRecordKey('docs-1')}:refresh`, 'someone', 60_000);
    let done = false;
    const waiting = b.store.lockRefresh('docs-1').then(() => (done = true));
    for (let t = 0; t < 40 && !done; t++) {
      await flush();
      clock.increment(50);
    }
    expect(done).toBe(true);
    await waiting;
    expect(clock.now() - 1_700_000_000_000).toBeLessThanOrEqual(1050);
    expect(b.logs.join('\n')).toMatch(/held the OAuth refresh lock for 1000 ms; refreshing without it/);
  });

  it('never frees a lock another replica took after its own expired', async () => {
    const [a, b] = [replica('a', { lockTtlMs: 1000 }), replica('b', { lockTtlMs: 1000 })];
    const releaseA = await a.store.lockRefresh('docs-1');
    clock.increment(1001);
    await b.store.lockRefresh('docs-1');
    await releaseA();
    expect(Object.values(engine.dump())).toEqual([expect.stringMatching(/^b:/)]);
  });

  it('stops waiting when the request is aborted', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.lockRefresh('docs-1');
    const controller = new AbortController();
    const waiting = b.store.lockRefresh('docs-1', controller.signal).catch((e: unknown) => e);
    await flush();
    controller.abort(new Error('caller gave up'));
    expect(await waiting).toMatchObject({ message: 'caller gave up' });
  });
});

describe('with Redis down', () => {
  it('saves and loads on the local store with one warning, and never throws', async () => {
    const a = replica('a');
    engine.setDown(true);
    await a.store.save('docs-1', record(1));
    expect(await a.store.load('docs-1')).toEqual(record(1));
    const release = await a.store.lockRefresh('docs-1');
    await release();
    expect(a.logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(a.logs[0]).toMatch(/Redis is unreachable, OAuth tokens are kept in this replica's own store/);
    expect(everything()).not.toMatch(/secret-/);
  });

  it('writes what was saved meanwhile to Redis when it is back', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    engine.setDown(true);
    await a.store.save('docs-1', record(2));
    engine.setDown(false);
    await flush();
    expect(await b.store.load('docs-1')).toEqual(record(2));
    expect(a.logs.join('\n')).toMatch(/re-synced/);
  });

  it('wins over a stale local copy another replica seeded after Redis came back empty', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    await b.store.load('docs-1'); // b's local copy: record 1
    engine.setDown(true);
    await a.store.save('docs-1', record(2)); // a refreshed during the outage
    engine.remove(`${PREFIX}${tokenRecordKey('docs-1')}`); // Redis restarted with nothing
    const writeIfNewer = a.bus.writeIfNewer.bind(a.bus);
    a.bus.writeIfNewer = () => Promise.reject(new Error('not yet')); // a's re-sync comes late
    engine.setDown(false);
    await flush();
    expect(await b.store.load('docs-1')).toEqual(record(1)); // b seeds its stale copy (generation 1)
    a.bus.writeIfNewer = writeIfNewer;
    expect(await a.store.load('docs-1')).toEqual(record(2)); // a's re-sync (generation 2) wins
    expect(await b.store.load('docs-1')).toEqual(record(2));
    expect(await b.local.load('docs-1')).toEqual(record(2));
  });

  it('never lets a writer that read an older generation overwrite a newer record', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    await b.store.load('docs-1');
    await a.store.save('docs-1', record(2)); // generation 2
    await b.store.save('docs-1', record(3)); // b last read generation 1: refused
    expect(await a.store.load('docs-1')).toEqual(record(2));
    expect(b.logs.join('\n')).toMatch(/another replica saved a newer OAuth record meanwhile/);
  });

  it('keeps another replica\'s newer record over its own from the outage', async () => {
    const [a, b] = [replica('a'), replica('b')];
    await a.store.save('docs-1', record(1));
    await b.store.load('docs-1');
    // a saves during an outage only it sees (a's bus was down), b renewed in Redis meanwhile.
    const up = a.bus.writeIfNewer.bind(a.bus);
    a.bus.writeIfNewer = () => Promise.reject(new Error('down'));
    await a.store.save('docs-1', record(2));
    await b.store.save('docs-1', record(3));
    a.bus.writeIfNewer = up;
    expect(await a.store.load('docs-1')).toEqual(record(3));
    expect(a.logs.join('\n')).toMatch(/another replica renewed the OAuth record while Redis was down/);
    expect(await a.local.load('docs-1')).toEqual(record(3));
  });
});
