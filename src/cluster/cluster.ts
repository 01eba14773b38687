import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterSettings } from '../config/clusterSchema.js';
import { realClock, type RuntimeClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterChanged } from '../events/types.js';
import { AttachedBus } from './attachedBus.js';
import type { ClusterBus, ClusterContext, ReplicaSeen } from './bus.js';

/**
 * One replica's membership of a cluster (DESIGN §16): who it is, its heartbeats, the replicas it
 * sees, whether Redis is up, and the `ClusterContext` every sharing part (breakers, tokens, the
 * health leader, reloads, gateway sessions) is given. Rule one: nothing here ever throws into a
 * caller or waits for Redis. `start()` only loads the `redis` module and returns; connecting,
 * reconnecting and heartbeats happen in the background, and while Redis is down the replica goes
 * on on local state: one warning log line and one `cluster.changed` event say so, and when it
 * comes back `onResync` listeners re-read what they share.
 */

/** A replica unseen for this long is gone (DESIGN §16: 3 s). */
export const REPLICA_TTL_MS = 3000;
/** The set of live replicas, by heartbeat. */
export const REPLICAS_KEY = 'replicas';

/** What `GET /mcp/cluster` answers. */
export interface ClusterStatus {
  name: string;
  redis: 'up' | 'down';
  /** This replica's id. */
  self: string;
  /** The health leader's replica id (the leader part sets it); null when none is known. */
  leader: string | null;
  /** Live replicas by heartbeat, most recently seen first (this one included once Redis answers). */
  replicas: ReplicaSeen[];
}

export interface ClusterOptions {
  settings: ClusterSettings;
  /** The engine: a test's `MemoryBus`. Defaults to Redis (node-redis, loaded by `start()`). */
  bus?: ClusterBus | undefined;
  /** Warnings (Redis down) and notes. Defaults to none. */
  logger?: Logger | undefined;
  /** Publishes `cluster.changed` (the switchboard's event hub). Defaults to none. */
  publish?: ((event: ClusterChanged) => void) | undefined;
  /** Heartbeat timers and `now()` (a SimulatedClock in tests). Defaults to real time. */
  clock?: RuntimeClock | undefined;
  /** Masks secrets beyond the cluster's own (the switchboard's redactor). */
  redact?: ((text: string) => string) | undefined;
}

/** The replica id when the config gives none: `host-pid-random`. */
export function defaultReplicaId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 64)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export class Cluster {
  readonly name: string;
  readonly replicaId: string;
  private readonly bus = new AttachedBus();
  private readonly clock: RuntimeClock;
  private readonly resyncListeners = new Set<() => void>();
  /** unknown until the bus first says; `status()` shows it as down. */
  private redis: 'unknown' | 'up' | 'down' = 'unknown';
  private replicas: ReplicaSeen[] = [];
  private leader: string | null = null;
  private timer: unknown;
  private beating = false;
  private started = false;
  private stopped = false;

  constructor(private readonly options: ClusterOptions) {
    this.name = options.settings.name;
    this.replicaId = options.settings.replicaId || defaultReplicaId();
    this.clock = options.clock ?? realClock;
    this.bus.onStatus((up, reason) => this.statusChanged(up, reason));
  }

  /**
   * Loads Redis's client (or takes the given bus), starts connecting and heartbeating, and
   * returns without waiting for Redis. Never rejects: without the `redis` module the replica runs
   * alone (an error log line, status down with the reason).
   */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    let bus = this.options.bus;
    try {
      bus ??= await this.redisBus();
    } catch (error) {
      // `redis` not installed (or a URL node-redis refuses): this replica runs alone, and says so.
      this.log('error', `cluster "${this.name}" cannot use Redis: ${(error as Error)?.message ?? String(error)}`);
      this.statusChanged(false, (error as Error)?.message ?? String(error));
      return;
    }
    this.bus.attach(bus);
    if (this.stopped) return;
    if (bus.up) this.statusChanged(true);
    if (this.timer === undefined) this.beat();
  }

  private async redisBus(): Promise<ClusterBus> {
    const { createRedisBus } = await import('./redisBus.js');
    const { redis, secrets } = this.options.settings;
    return createRedisBus({ url: redis.url, keyPrefix: redis.keyPrefix, clusterName: this.name, commandTimeoutMs: redis.commandTimeoutMs, secrets });
  }

  /** What this replica knows now, without asking Redis. */
  status(): ClusterStatus {
    return { name: this.name, redis: this.redis === 'up' ? 'up' : 'down', self: this.replicaId, leader: this.leader, replicas: this.replicas.map((r) => ({ ...r })) };
  }

  /** How long one Redis command may take (`cluster.redis.commandTimeoutMs`). */
  get commandTimeoutMs(): number {
    return this.options.settings.redis.commandTimeoutMs;
  }

  get up(): boolean {
    return this.redis === 'up';
  }

  /** Commands to Redis that failed since start. */
  get redisErrors(): number {
    return this.bus.errors;
  }

  get isLeader(): boolean {
    return this.leader !== null && this.leader === this.replicaId;
  }

  /** The health leader's id, as the leader part learns it (null: none known). */
  setLeader(id: string | null): void {
    this.leader = id;
  }

  /** Called each time Redis comes back (and on the first connect): re-read what you share. */
  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** What a sharing part gets: the bus, this replica, the clock, a logger that masks secrets. */
  context(): ClusterContext {
    return {
      bus: this.bus,
      replicaId: this.replicaId,
      clusterName: this.name,
      now: () => this.clock.now(),
      log: (level, message, fields) => this.log(level, message, fields),
    };
  }

  /** Stops heartbeating and closes the connection (without waiting for Redis). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.resyncListeners.clear();
    await this.bus.close();
  }

  /** One heartbeat and a read of the live replicas, then the next one after `heartbeatMs`. */
  private beat(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.beat(), this.options.settings.heartbeatMs);
    // Also while down: a refused command costs nothing (no offline queue), and after a stall (Redis
    // slow, the connection still open) a heartbeat that succeeds is what says Redis is back.
    if (this.beating || !this.bus.attached) return;
    this.beating = true;
    this.bus
      .heartbeat(REPLICAS_KEY, this.replicaId, REPLICA_TTL_MS)
      .then(() => this.bus.members(REPLICAS_KEY, REPLICA_TTL_MS))
      .then(
        (replicas) => {
          this.replicas = replicas;
        },
        () => undefined,
      )
      .finally(() => {
        this.beating = false;
      });
  }

  private statusChanged(up: boolean, reason?: string): void {
    if (this.stopped) return;
    const next = up ? 'up' : 'down';
    if (next === this.redis) return;
    const before = this.redis;
    this.redis = next;
    if (!up) {
      const why = this.redact(reason ?? 'unknown');
      this.log('warn', `cluster "${this.name}": Redis is down (${why}); serving on local state`, { cluster: this.name, replica: this.replicaId });
      this.publish({ type: 'cluster.changed', redis: 'down', reason: why });
      return;
    }
    if (before === 'down') this.log('info', `cluster "${this.name}": Redis is back; re-reading shared state`, { cluster: this.name, replica: this.replicaId });
    this.publish({ type: 'cluster.changed', redis: 'up' });
    if (this.started) this.beatNow();
    for (const listener of [...this.resyncListeners]) {
      try {
        listener();
      } catch (error) {
        this.log('error', `a cluster re-sync listener threw: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }

  /** A heartbeat at once (Redis just came back), keeping the timer's rhythm. */
  private beatNow(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.beat();
  }

  private publish(event: ClusterChanged): void {
    try {
      this.options.publish?.(event);
    } catch {
      // The hub isolates its listeners; a publisher that throws must not break the cluster either.
    }
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.options.settings.secrets) if (secret.length > 0) out = out.split(secret).join('***');
    return this.options.redact ? this.options.redact(out) : out;
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    try {
      this.options.logger?.log(level, this.redact(message), fields);
    } catch {
      // A logger that throws is the host's bug; the cluster goes on.
    }
  }
}
