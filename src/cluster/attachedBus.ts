import type { ClusterBus, LeaseState, ReplicaSeen } from './bus.js';

/**
 * The bus the sharing parts hold from the moment the runtime is built, before Redis's module is
 * even loaded (`Cluster.start()` loads it): it forwards to the real bus once one is attached, and
 * until then every command rejects at once (rule one: nothing waits, nothing queues).
 * Subscriptions and status listeners made before are carried over to the real bus. It also
 * counts the commands that failed (`errors`: the `switchboard_cluster_redis_errors_total` metric).
 */
export class AttachedBus implements ClusterBus {
  private inner: ClusterBus | undefined;
  private readonly listeners = new Set<(up: boolean, reason?: string) => void>();
  private readonly subscriptions = new Set<{ channel: string; handler: (message: string) => void; off: (() => void) | undefined }>();
  private offStatus: (() => void) | undefined;
  private closed = false;
  /** Commands that rejected (Redis down, a timeout, not attached yet). */
  errors = 0;

  /** Forwards to `bus` from now on; subscriptions and listeners made so far move to it. */
  attach(bus: ClusterBus): void {
    if (this.closed) {
      void bus.close();
      return;
    }
    this.inner = bus;
    this.offStatus = bus.onStatus((up, reason) => {
      for (const listener of [...this.listeners]) listener(up, reason);
    });
    for (const entry of this.subscriptions) entry.off = bus.subscribe(entry.channel, entry.handler);
  }

  get attached(): boolean {
    return this.inner !== undefined;
  }

  get up(): boolean {
    return !this.closed && this.inner?.up === true;
  }

  onStatus(listener: (up: boolean, reason?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private run<T>(command: (bus: ClusterBus) => Promise<T>): Promise<T> {
    const bus = this.inner;
    if (!bus || this.closed) {
      this.errors++;
      return Promise.reject(new Error(this.closed ? 'the cluster bus is closed' : 'the cluster bus is not connected yet'));
    }
    let sent: Promise<T>;
    try {
      sent = command(bus);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.catch((error: unknown) => {
      this.errors++;
      throw error;
    });
  }

  get(key: string): Promise<string | null> {
    return this.run((bus) => bus.get(key));
  }

  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    return this.run((bus) => bus.set(key, value, options));
  }

  del(key: string): Promise<void> {
    return this.run((bus) => bus.del(key));
  }

  writeIfNewer(key: string, generation: number, value: string, publish?: { channel: string; message: string }): Promise<boolean> {
    return this.run((bus) => bus.writeIfNewer(key, generation, value, publish));
  }

  readVersioned(key: string): Promise<{ generation: number; value: string } | null> {
    return this.run((bus) => bus.readVersioned(key));
  }

  increment(key: string): Promise<number> {
    return this.run((bus) => bus.increment(key));
  }

  publish(channel: string, message: string): Promise<void> {
    return this.run((bus) => bus.publish(channel, message));
  }

  subscribe(channel: string, handler: (message: string) => void): () => void {
    const entry = { channel, handler, off: this.inner && !this.closed ? this.inner.subscribe(channel, handler) : undefined };
    this.subscriptions.add(entry);
    return () => {
      entry.off?.();
      this.subscriptions.delete(entry);
    };
  }

  acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.run((bus) => bus.acquire(key, owner, ttlMs));
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.run((bus) => bus.release(key, owner));
  }

  lease(key: string, owner: string, ttlMs: number): Promise<LeaseState> {
    return this.run((bus) => bus.lease(key, owner, ttlMs));
  }

  heartbeat(key: string, member: string, ttlMs: number): Promise<void> {
    return this.run((bus) => bus.heartbeat(key, member, ttlMs));
  }

  members(key: string, ttlMs: number): Promise<ReplicaSeen[]> {
    return this.run((bus) => bus.members(key, ttlMs));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offStatus?.();
    for (const entry of this.subscriptions) entry.off?.();
    this.subscriptions.clear();
    this.listeners.clear();
    await this.inner?.close();
  }
}
