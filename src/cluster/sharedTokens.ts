import { createHash, randomUUID } from 'node:crypto';
import { StoredAuthSchema, type StoredAuth, type TokenStore } from '../auth/tokenStore.js';
import { clampLifetimes } from '../auth/tokenLifetime.js';
import { realClock, type Clock } from '../core/clock.js';
import type { ClusterSettings } from '../config/clusterSchema.js';
import type { ClusterBus, ClusterContext } from './bus.js';
import { envelopeAad, openEnvelope, sealEnvelope } from './tokenCrypto.js';

/**
 * OAuth tokens shared by the replicas of a cluster (DESIGN §16): a TokenStore whose records live
 * in Redis under `tokens:<sha256 of the store key>`, each sealed with `cluster.tokenKey`
 * (tokenCrypto.ts), plus the refresh lock `tokens:<hash>:refresh` that src/auth takes before a
 * refresh (`TokenStore.lockRefresh`): the holder re-reads the record and refreshes only when no
 * other replica did, so a token is renewed once per expiry across the cluster and never with a
 * refresh token another replica already rotated.
 *
 * Every record is also kept in the replica's own store (`local`, the store it has without a
 * cluster). With Redis down, or a value there that does not open, the local store answers, with
 * a warning: Redis never fails a connect or a call. Records are written by generation
 * (compare-and-set), so a stale writer never overwrites a newer record: a record saved while
 * Redis was down is written when it is up again unless another replica wrote one since (never by
 * comparing replicas' clocks), and a record only the local store has (from before the cluster)
 * is shared on first read only when Redis has none. Nothing secret is logged or stored in clear.
 */

export interface SharedTokenOptions {
  /** How long a refresh lock is held at most; a waiter gives up waiting after it. Defaults to 10 000 ms. */
  lockTtlMs?: number;
  /** How often a waiter tries the lock again. Defaults to 50 ms. */
  pollMs?: number;
  /** The timers of the wait (a SimulatedClock in unit tests). Defaults to the real clock. */
  clock?: Clock;
  /**
   * While the bus has never been up (Redis still connecting at start), a load or a lock waits
   * for it this long at most, counted from the store's creation: replicas starting together then
   * share the first token instead of each obtaining its own. Once up, nothing waits. Defaults to 1000 ms.
   */
  startWaitMs?: number;
}

export const DEFAULT_LOCK_TTL_MS = 10_000;
export const DEFAULT_LOCK_POLL_MS = 50;
export const DEFAULT_START_WAIT_MS = 1000;

/** The Redis key of a store key's record (relative to the bus's prefix). */
export function tokenRecordKey(storeKey: string): string {
  return `tokens:${createHash('sha256').update(storeKey).digest('hex')}`;
}

/** A TokenStore shared through the cluster, with the refresh lock src/auth takes. */
export interface SharedTokenStore extends TokenStore {
  lockRefresh(key: string, signal?: AbortSignal): Promise<() => Promise<void>>;
  /** Stops listening to the bus's status (the bus itself is the runtime's to close). */
  close(): void;
}

/**
 * The shared store of one replica: `ctx` is its cluster, `key` the 32-byte `cluster.tokenKey`,
 * `local` its own store (used with Redis down and kept in step otherwise).
 */
export function createSharedTokenStore(ctx: ClusterContext, key: Buffer, local: TokenStore, options: SharedTokenOptions = {}): SharedTokenStore {
  if (key.length !== 32) throw new RangeError('cluster.tokenKey must be 32 bytes');
  const { bus } = ctx;
  const lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const pollMs = Math.max(1, Math.min(options.pollMs ?? DEFAULT_LOCK_POLL_MS, lockTtlMs));
  const clock = options.clock ?? realClock;
  /**
   * Records saved (null: deleted) while Redis could not take them, with the generation this
   * replica knew then, to write when it is back.
   */
  const unsynced = new Map<string, { record: StoredAuth | null; base: number }>();
  /** The generation of each record in Redis when this replica last read or wrote it (0: none). */
  const known = new Map<string, number>();
  let warnedDown = false;

  const warnDown = (what: string, error: unknown) => {
    if (warnedDown) return;
    warnedDown = true;
    ctx.log('warn', `cluster: Redis is unreachable, OAuth tokens ${what} this replica's own store until it is back`, { reason: errorName(error) });
  };

  /** The record in a stored value, or undefined (with a warning) when it is not one this replica can use. */
  const open = (recordKey: string, stored: string): StoredAuth | undefined => {
    const opened = openEnvelope(key, envelopeAad(ctx.clusterName, recordKey), stored);
    if (!opened.ok) {
      ctx.log('warn', `cluster: ignored the shared OAuth record ${recordKey}: ${opened.reason}`, { key: recordKey });
      return undefined;
    }
    let value: unknown;
    try {
      value = clampLifetimes(JSON.parse(opened.plaintext), ctx.now());
    } catch {
      value = undefined;
    }
    const parsed = StoredAuthSchema.safeParse(value);
    if (!parsed.success) {
      ctx.log('warn', `cluster: ignored the shared OAuth record ${recordKey}: it is not a token record`, { key: recordKey });
      return undefined;
    }
    return parsed.data;
  };

  /**
   * Compare-and-set: writes `record` as `generation` only when Redis holds an older one (or none).
   * Resolves false when another replica wrote a newer one meanwhile (nothing written).
   */
  const write = async (storeKey: string, record: StoredAuth, generation: number): Promise<boolean> => {
    const recordKey = tokenRecordKey(storeKey);
    const written = await bus.writeIfNewer(recordKey, generation, sealEnvelope(key, envelopeAad(ctx.clusterName, recordKey), JSON.stringify(record)));
    if (written) known.set(storeKey, generation);
    return written;
  };

  /** The record in Redis (undefined: none, or none usable); rejects when Redis does not answer. */
  const read = async (storeKey: string): Promise<StoredAuth | undefined> => {
    const recordKey = tokenRecordKey(storeKey);
    const held = await bus.readVersioned(recordKey);
    known.set(storeKey, held?.generation ?? 0);
    return held ? open(recordKey, held.value) : undefined;
  };

  /**
   * Writes `record` to Redis as the next generation after the one this replica read last (a
   * refresh reads under the lock first, so that is the latest); `seed` writes it only when Redis
   * has none. Remembers it for the re-sync when Redis cannot take it.
   */
  const share = async (storeKey: string, record: StoredAuth, seed = false): Promise<boolean> => {
    const base = known.get(storeKey) ?? 0;
    try {
      const written = await write(storeKey, record, seed ? 1 : base + 1);
      unsynced.delete(storeKey);
      if (!written && !seed) ctx.log('warn', 'cluster: another replica saved a newer OAuth record meanwhile; this one stays in this replica\'s own store', { key: tokenRecordKey(storeKey) });
      return written;
    } catch (error) {
      unsynced.set(storeKey, { record, base });
      warnDown('are kept in', error);
      return false;
    }
  };

  const createdAt = ctx.now();
  const startWaitMs = options.startWaitMs ?? DEFAULT_START_WAIT_MS;
  let beenUp = bus.up;
  /** At start only (the bus never up yet): waits for its first connection, up to `startWaitMs` after creation. */
  const connected = async (): Promise<void> => {
    if (beenUp || bus.up) return;
    const left = startWaitMs - (ctx.now() - createdAt);
    if (left > 0) await whenUp(bus, left, clock);
  };

  const offStatus = bus.onStatus((up) => {
    if (!up) return;
    beenUp = true;
    warnedDown = false;
    void resync();
  });

  /** Back up: what was saved meanwhile goes to Redis, unless another replica changed the record since. */
  async function resync(): Promise<void> {
    for (const storeKey of [...unsynced.keys()]) {
      try {
        await resyncKey(storeKey);
      } catch {
        return; // Down again: the next `up`, or the next load, tries again.
      }
    }
  }

  /**
   * One record saved (or deleted) while Redis was down, written as the generation after the one
   * this replica knew then: it loses to any record another replica wrote since (no clock
   * readings are compared: replicas' clocks differ), and wins over a copy seeded from a local
   * store after Redis came back empty (generation 1).
   */
  async function resyncKey(storeKey: string): Promise<void> {
    const entry = unsynced.get(storeKey);
    if (entry === undefined) return;
    const recordKey = tokenRecordKey(storeKey);
    if (entry.record === null) {
      const held = await bus.readVersioned(recordKey);
      if (!held || held.generation <= entry.base) await bus.del(recordKey);
      known.set(storeKey, 0);
    } else if (await write(storeKey, entry.record, Math.max(entry.base, 1) + 1)) {
      ctx.log('info', 'cluster: OAuth record re-synced to Redis', { key: recordKey });
    } else {
      ctx.log('warn', 'cluster: another replica renewed the OAuth record while Redis was down; its record replaces this one', { key: recordKey });
    }
    unsynced.delete(storeKey);
  }

  const loadLocal = async (storeKey: string, shared: StoredAuth | undefined): Promise<StoredAuth | undefined> => {
    try {
      return await local.load(storeKey);
    } catch (error) {
      // A bad local file with a good shared record: the shared one is the answer.
      if (shared) {
        ctx.log('warn', `cluster: this replica's own OAuth record is unreadable, using the shared one (${errorName(error)})`, { key: tokenRecordKey(storeKey) });
        return undefined;
      }
      throw error;
    }
  };

  return {
    async load(storeKey) {
      const recordKey = tokenRecordKey(storeKey);
      let shared: StoredAuth | undefined;
      await connected();
      try {
        if (unsynced.has(storeKey)) await resyncKey(storeKey);
        shared = await read(storeKey);
      } catch (error) {
        warnDown('come from', error);
        return local.load(storeKey);
      }
      const own = await loadLocal(storeKey, shared);
      if (!shared) {
        // Obtained before the cluster existed (or Redis lost it): the cluster gets it.
        if (own) await share(storeKey, own, true);
        return own;
      }
      if (!sameTokens(shared, own)) {
        // The local copy follows the cluster's, so an outage later starts from the latest token.
        await Promise.resolve(local.save(storeKey, shared)).catch((error: unknown) => ctx.log('warn', `cluster: could not keep a local copy of the shared OAuth record (${errorName(error)})`, { key: recordKey }));
      }
      return shared;
    },

    async save(storeKey, data) {
      // The local store checks the record (and throws a TokenStoreError naming the problem) first.
      const checked = StoredAuthSchema.safeParse(clampLifetimes(data, ctx.now()));
      if (!checked.success) {
        await local.save(storeKey, data);
        return;
      }
      const shared = await share(storeKey, checked.data);
      try {
        await local.save(storeKey, checked.data);
      } catch (error) {
        if (!shared) throw error;
        ctx.log('warn', `cluster: the OAuth record is shared but this replica could not keep a local copy (${errorName(error)})`, { key: tokenRecordKey(storeKey) });
      }
    },

    async delete(storeKey) {
      try {
        await bus.del(tokenRecordKey(storeKey));
        unsynced.delete(storeKey);
        known.set(storeKey, 0);
      } catch (error) {
        unsynced.set(storeKey, { record: null, base: known.get(storeKey) ?? 0 });
        warnDown('are kept in', error);
      }
      await local.delete(storeKey);
    },

    async lockRefresh(storeKey, signal) {
      const lockKey = `${tokenRecordKey(storeKey)}:refresh`;
      // One owner per attempt: a release after the TTL never frees a lock another replica took since.
      const owner = `${ctx.replicaId}:${randomUUID()}`;
      await connected();
      const started = ctx.now();
      for (;;) {
        signal?.throwIfAborted();
        let taken: boolean;
        try {
          taken = await bus.acquire(lockKey, owner, lockTtlMs);
        } catch (error) {
          warnDown('are refreshed without the cluster lock, from', error);
          return noRelease;
        }
        if (taken) {
          return async () => {
            // Compare-and-delete; when Redis is gone the lock expires with its TTL.
            await bus.release(lockKey, owner).catch(() => undefined);
          };
        }
        const waited = ctx.now() - started;
        if (waited >= lockTtlMs) {
          ctx.log('warn', `cluster: another replica held the OAuth refresh lock for ${lockTtlMs} ms; refreshing without it`, { key: lockKey });
          return noRelease;
        }
        await sleep(clock, Math.min(pollMs, lockTtlMs - waited), signal);
      }
    },

    close() {
      offStatus();
    },
  };
}

/**
 * The shared store of a one-shot process, `switchboard login` with `cluster:` configured: its own
 * connection to Redis (no heartbeats: it is no replica), waited for at most `waitMs` (a login is
 * no call; without Redis it stores locally, with a warning, as a replica would). Without
 * `tokenKey`, or without the `redis` module, `local` as it is. `close()` ends the connection.
 */
export async function openSharedTokens(
  settings: ClusterSettings,
  local: TokenStore,
  log: ClusterContext['log'],
  waitMs = 2000,
): Promise<{ store: TokenStore; close(): Promise<void> }> {
  const alone = { store: local, close: async () => undefined };
  if (!settings.tokenKey) return alone;
  let bus: ClusterBus;
  try {
    const { createRedisBus } = await import('./redisBus.js');
    const { redis, name, secrets } = settings;
    bus = await createRedisBus({ url: redis.url, keyPrefix: redis.keyPrefix, clusterName: name, commandTimeoutMs: redis.commandTimeoutMs, secrets });
  } catch (error) {
    log('warn', `cluster: cannot use Redis (${errorName(error)}); tokens stay in this machine's store`);
    return alone;
  }
  await whenUp(bus, waitMs);
  const ctx: ClusterContext = { bus, replicaId: settings.replicaId || `login-${process.pid}`, clusterName: settings.name, now: () => Date.now(), log };
  const store = createSharedTokenStore(ctx, settings.tokenKey, local);
  return {
    store,
    close: async () => {
      store.close();
      await bus.close();
    },
  };
}

/** Resolves when `bus` is up or `ms` passed (on `timers`), whichever is first. */
function whenUp(bus: ClusterBus, ms: number, timers: Clock = realClock): Promise<void> {
  if (bus.up) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(timer);
      off();
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    const off = bus.onStatus((up) => {
      if (up) done();
    });
  });
}

const noRelease = async (): Promise<void> => undefined;

function sameTokens(a: StoredAuth | undefined, b: StoredAuth | undefined): boolean {
  return a?.tokens?.access_token === b?.tokens?.access_token && a?.tokens?.refresh_token === b?.tokens?.refresh_token && a?.clientInformation?.client_id === b?.clientInformation?.client_id;
}

/** An error's name and code only: a message could quote a value. */
function errorName(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.code === 'string' ? `${name} ${e.code}` : name;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
