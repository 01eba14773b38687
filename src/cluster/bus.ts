/**
 * The seam between the sharing logic of a cluster (DESIGN §16: breakers, tokens, the health
 * leader, reloads, gateway sessions, heartbeats) and the engine under it: Redis in production
 * (`redisBus.ts`, node-redis), an in-memory hub in unit tests (`memoryBus.ts`, on an injected
 * clock). Keys and channels are relative: the bus puts `keyPrefix + clusterName + ':'` before
 * each, so replicas of another cluster never meet.
 *
 * Rule one: no call ever waits for the bus. Every method may fail (Redis down, a command past its
 * timeout): it then rejects fast, never queues, and the caller goes on on local state. After the
 * bus comes back up (`onStatus(true)`), what was published meanwhile is lost: callers re-read.
 */

/** One live replica, as the heartbeats show it. */
export interface ReplicaSeen {
  id: string;
  /** How long ago its last heartbeat was (the engine's clock, never a replica's). */
  lastSeenMs: number;
}

/** A lease (the health leader): who holds it and its fencing counter. */
export interface LeaseState {
  /** True when `owner` holds it now. */
  held: boolean;
  /** The holder now; null when nobody does. */
  holder: string | null;
  /** Grows by one each time the lease changes hands: a result stamped with an older one is stale. */
  fence: number;
}

export interface ClusterBus {
  /** True while the engine answers. */
  readonly up: boolean;
  /** Called with the new state when the engine goes down or comes back (and why, when down). */
  onStatus(listener: (up: boolean, reason?: string) => void): () => void;

  get(key: string): Promise<string | null>;
  /** Sets `key`; with `ttlMs` it expires after that long. */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  del(key: string): Promise<void>;
  /**
   * Compare-and-set by generation, atomically: stores `value` with `generation` only when the
   * stored generation is lower (or none), and then publishes `message` on `channel` when given.
   * Resolves false for a stale generation (nothing written, nothing published).
   */
  writeIfNewer(key: string, generation: number, value: string, publish?: { channel: string; message: string }): Promise<boolean>;
  /** The value and generation `writeIfNewer` stored; null when none. */
  readVersioned(key: string): Promise<{ generation: number; value: string } | null>;
  /** Adds one and answers the new value (counters, incarnations). */
  increment(key: string): Promise<number>;

  publish(channel: string, message: string): Promise<void>;
  /** Calls `handler` with each message published on `channel` from now on (by any replica, this one too). */
  subscribe(channel: string, handler: (message: string) => void): () => void;

  /** A lock: set `key` to `owner` for `ttlMs` when nobody holds it. Resolves true when taken. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only when `owner` still holds it (compare-and-delete). */
  release(key: string, owner: string): Promise<boolean>;

  /**
   * A lease with a fencing counter: takes it when free, renews it when `owner` holds it (for
   * another `ttlMs`), else leaves it. The counter grows each time it changes hands.
   */
  lease(key: string, owner: string, ttlMs: number): Promise<LeaseState>;

  /** Records `member`'s heartbeat in set `key`; members unseen for `ttlMs` are dropped. */
  heartbeat(key: string, member: string, ttlMs: number): Promise<void>;
  /** The members of `key` seen within `ttlMs`, most recent first. */
  members(key: string, ttlMs: number): Promise<ReplicaSeen[]>;

  /** Ends the connection (and every subscription). Idempotent. */
  close(): Promise<void>;
}

/**
 * What each sharing part (breakers, tokens, leader, reload, gateway sessions) gets of the cluster:
 * the bus, who this replica is, the clock durations are measured on, and a logger. Parts never
 * read `Date.now()` for what they share: they send durations (DESIGN §16).
 */
export interface ClusterContext {
  readonly bus: ClusterBus;
  readonly replicaId: string;
  readonly clusterName: string;
  /** The runtime's clock (a SimulatedClock's in unit tests). */
  now(): number;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}
