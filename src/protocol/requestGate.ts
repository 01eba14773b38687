/**
 * The bound on one server's server → client requests (sampling, elicitation, roots): a handler may
 * be a paid model call, so a server that floods requests must not run the embedder's handlers
 * without limit. At most `maxRunning` run at once, up to `maxQueued` wait in arrival order, and
 * one more is refused at once. The gate is synchronous and owns no timer, promise or listener:
 * the request decides when its turn ends (answered, cancelled, timed out, connection closed) and
 * says so with `leave`, so nothing the gate holds outlives a request.
 */

export interface RequestGateLimits {
  /** Requests whose handler runs at once (`limits.maxServerRequests`). */
  maxRunning: number;
  /** Requests waiting for a slot (`limits.maxServerRequestQueue`); 0 refuses every one that cannot run. */
  maxQueued: number;
}

interface Entry {
  start: () => void;
  state: 'waiting' | 'running' | 'done';
}

export class RequestGate {
  private runningCount = 0;
  /** Waiting entries; a Set keeps insertion (FIFO) order and drops a cancelled one in O(1). */
  private readonly waiting = new Set<Entry>();

  constructor(private readonly limits: RequestGateLimits) {}

  /** Requests whose handler runs now. */
  get running(): number {
    return this.runningCount;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Admits one request: `start` runs now (synchronously) when a slot is free and nobody waits,
   * else later, in arrival order, when a slot frees. Returns the request's `leave` (idempotent):
   * it frees the slot of a running request or takes a waiting one out of the queue, so its
   * `start` never runs. Returns `undefined` when the queue is full: the request is refused.
   */
  enter(start: () => void): (() => void) | undefined {
    const entry: Entry = { start, state: 'waiting' };
    if (this.runningCount < this.limits.maxRunning && this.waiting.size === 0) {
      this.begin(entry);
    } else if (this.waiting.size < this.limits.maxQueued) {
      this.waiting.add(entry);
    } else {
      return undefined;
    }
    return () => this.leave(entry);
  }

  private leave(entry: Entry): void {
    const was = entry.state;
    entry.state = 'done';
    if (was === 'waiting') this.waiting.delete(entry);
    if (was !== 'running') return;
    this.runningCount -= 1;
    this.drain();
  }

  /** Starts waiting requests, oldest first, while slots are free. */
  private drain(): void {
    while (this.runningCount < this.limits.maxRunning) {
      const next = this.waiting.values().next();
      if (next.done) return;
      this.waiting.delete(next.value);
      this.begin(next.value);
    }
  }

  private begin(entry: Entry): void {
    this.runningCount += 1;
    entry.state = 'running';
    entry.start();
  }
}
