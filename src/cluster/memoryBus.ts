import type { ClusterBus, LeaseState, ReplicaSeen } from './bus.js';

/**
 * An in-memory engine for the cluster's sharing logic (DESIGN §16), for unit tests: one
 * `MemoryEngine` is "Redis", each replica gets its own `MemoryBus` on it. Time is the engine's
 * `now()` (a SimulatedClock's in tests): TTLs are checked when read. `setDown(true)` is an
 * outage: every command of every bus rejects at once, messages published are lost, and status
 * listeners hear of it; `setDown(false)` brings it back. Messages are delivered asynchronously
 * (a microtask), as a real engine would.
 */
export class MemoryEngine {
  private readonly values = new Map<string, { value: string; expiresAt: number | null; generation?: number }>();
  private readonly channels = new Map<string, Set<(message: string) => void>>();
  private readonly sets = new Map<string, Map<string, number>>();
  private readonly buses = new Set<MemoryBus>();
  private down = false;
  /** Commands run, by name (to measure how much traffic the logic makes). */
  readonly commands = new Map<string, number>();

  constructor(readonly now: () => number) {}

  get isDown(): boolean {
    return this.down;
  }

  /** An outage (true) or the end of one (false); every bus's status listeners hear of it. */
  setDown(down: boolean): void {
    if (this.down === down) return;
    this.down = down;
    for (const bus of this.buses) bus.statusChanged(!down, down ? 'the engine is down' : undefined);
  }

  /** A bus for one replica; keys and channels are prefixed with `prefix` (the cluster's name). */
  bus(prefix = 'switchboard:test:'): MemoryBus {
    const bus = new MemoryBus(this, prefix);
    this.buses.add(bus);
    return bus;
  }

  /** @internal */
  detach(bus: MemoryBus): void {
    this.buses.delete(bus);
  }

  /** @internal Runs one command: rejects while down. */
  run<T>(name: string, fn: () => T): Promise<T> {
    this.commands.set(name, (this.commands.get(name) ?? 0) + 1);
    if (this.down) return Promise.reject(new Error('the engine is down'));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal */
  read(key: string): { value: string; expiresAt: number | null; generation?: number } | undefined {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  /** @internal */
  write(key: string, value: string, ttlMs?: number, generation?: number): void {
    const entry: { value: string; expiresAt: number | null; generation?: number } = { value, expiresAt: ttlMs === undefined ? null : this.now() + ttlMs };
    if (generation !== undefined) entry.generation = generation;
    this.values.set(key, entry);
  }

  /** @internal */
  remove(key: string): void {
    this.values.delete(key);
  }

  /** @internal */
  publish(channel: string, message: string): void {
    const handlers = this.channels.get(channel);
    if (!handlers) return;
    for (const handler of [...handlers]) queueMicrotask(() => handler(message));
  }

  /** @internal */
  subscribe(channel: string, handler: (message: string) => void): () => void {
    let handlers = this.channels.get(channel);
    if (!handlers) this.channels.set(channel, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.channels.delete(channel);
    };
  }

  /** @internal */
  setOf(key: string): Map<string, number> {
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, (set = new Map()));
    return set;
  }

  /** Every key stored now (for tests: nothing secret in clear). */
  dump(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of this.values.keys()) {
      const entry = this.read(key);
      if (entry) out[key] = entry.value;
    }
    return out;
  }
}

/** One replica's bus on a `MemoryEngine`. */
export class MemoryBus implements ClusterBus {
  private readonly listeners = new Set<(up: boolean, reason?: string) => void>();
  private readonly unsubscribes = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly engine: MemoryEngine,
    private readonly prefix: string,
  ) {}

  get up(): boolean {
    return !this.engine.isDown && !this.closed;
  }

  onStatus(listener: (up: boolean, reason?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  statusChanged(up: boolean, reason?: string): void {
    if (this.closed) return;
    for (const listener of [...this.listeners]) listener(up, reason);
  }

  get(key: string): Promise<string | null> {
    return this.engine.run('get', () => this.engine.read(this.prefix + key)?.value ?? null);
  }

  set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    return this.engine.run('set', () => this.engine.write(this.prefix + key, value, options.ttlMs));
  }

  del(key: string): Promise<void> {
    return this.engine.run('del', () => this.engine.remove(this.prefix + key));
  }

  writeIfNewer(key: string, generation: number, value: string, publish?: { channel: string; message: string }): Promise<boolean> {
    return this.engine.run('writeIfNewer', () => {
      const held = this.engine.read(this.prefix + key);
      if (held?.generation !== undefined && held.generation >= generation) return false;
      this.engine.write(this.prefix + key, value, undefined, generation);
      if (publish) this.engine.publish(this.prefix + publish.channel, publish.message);
      return true;
    });
  }

  readVersioned(key: string): Promise<{ generation: number; value: string } | null> {
    return this.engine.run('readVersioned', () => {
      const held = this.engine.read(this.prefix + key);
      return held?.generation === undefined ? null : { generation: held.generation, value: held.value };
    });
  }

  increment(key: string): Promise<number> {
    return this.engine.run('increment', () => {
      const next = Number(this.engine.read(this.prefix + key)?.value ?? '0') + 1;
      this.engine.write(this.prefix + key, String(next));
      return next;
    });
  }

  publish(channel: string, message: string): Promise<void> {
    return this.engine.run('publish', () => this.engine.publish(this.prefix + channel, message));
  }

  subscribe(channel: string, handler: (message: string) => void): () => void {
    // A subscription outlives an outage (as node-redis resubscribes); messages meanwhile are lost.
    const off = this.engine.subscribe(this.prefix + channel, (message) => {
      if (!this.closed) handler(message);
    });
    this.unsubscribes.add(off);
    return () => {
      off();
      this.unsubscribes.delete(off);
    };
  }

  acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.engine.run('acquire', () => {
      if (this.engine.read(this.prefix + key)) return false;
      this.engine.write(this.prefix + key, owner, ttlMs);
      return true;
    });
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.engine.run('release', () => {
      if (this.engine.read(this.prefix + key)?.value !== owner) return false;
      this.engine.remove(this.prefix + key);
      return true;
    });
  }

  lease(key: string, owner: string, ttlMs: number): Promise<LeaseState> {
    return this.engine.run('lease', () => {
      const full = this.prefix + key;
      const fenceKey = `${full}:fence`;
      const holder = this.engine.read(full)?.value ?? null;
      let fence = Number(this.engine.read(fenceKey)?.value ?? '0');
      if (holder === null) {
        fence += 1;
        this.engine.write(fenceKey, String(fence));
        this.engine.write(full, owner, ttlMs);
        return { held: true, holder: owner, fence };
      }
      if (holder === owner) {
        this.engine.write(full, owner, ttlMs);
        return { held: true, holder, fence };
      }
      return { held: false, holder, fence };
    });
  }

  heartbeat(key: string, member: string, ttlMs: number): Promise<void> {
    return this.engine.run('heartbeat', () => {
      const set = this.engine.setOf(this.prefix + key);
      const now = this.engine.now();
      set.set(member, now);
      for (const [id, seen] of set) if (now - seen > ttlMs) set.delete(id);
    });
  }

  members(key: string, ttlMs: number): Promise<ReplicaSeen[]> {
    return this.engine.run('members', () => {
      const now = this.engine.now();
      return [...this.engine.setOf(this.prefix + key)]
        .map(([id, seen]) => ({ id, lastSeenMs: now - seen }))
        .filter((m) => m.lastSeenMs <= ttlMs)
        .sort((a, b) => a.lastSeenMs - b.lastSeenMs);
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const off of this.unsubscribes) off();
      this.unsubscribes.clear();
      this.listeners.clear();
      this.engine.detach(this);
    }
    return Promise.resolve();
  }
}
