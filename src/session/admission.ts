import { SwitchboardError } from '../core/errors.js';

/**
 * Admission of one server's calls (DESIGN §4), as a small pure queue: it decides, the session
 * acts. Order: an open breaker refuses before the queue (a refused call never waits); with every
 * slot taken a call queues, or is refused with ServerBusy when the queue is full; a half-open
 * permit is taken only when the call can run at once. Calls that settled while waiting (deadline,
 * cancel) are pruned, never counted against the queue.
 */

/** The breaker as admission sees it: whether it is open, and a permit for a call about to run. */
export interface BreakerView {
  isOpen(): boolean;
  permit(requestId: string): { epoch: number } | { refused: SwitchboardError };
}

export interface AdmissionLimits {
  maxConcurrentCalls: number;
  maxQueue: number;
}

/** What to do with one call. */
export type Decision =
  | { kind: 'run'; requestId: string; epoch: number }
  | { kind: 'refuse'; requestId: string; error: SwitchboardError }
  | { kind: 'wait' };

export class Admission {
  private held: string[] = [];
  private queue: string[] = [];
  private readonly running = new Set<string>();

  /**
   * @param isLive whether a call is still pending (not settled meanwhile).
   */
  constructor(
    private readonly server: string,
    private readonly limits: () => AdmissionLimits,
    private readonly breaker: BreakerView,
    private readonly isLive: (requestId: string) => boolean,
  ) {}

  /** Calls running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Calls waiting: held for the session plus queued for a slot. */
  get waiting(): number {
    return this.held.length + this.queue.length;
  }

  /** A call for a session that is not ready yet: it waits for `takeHeld()`. */
  hold(requestId: string): void {
    this.held.push(requestId);
  }

  /** The held calls, in arrival order, to admit once the session is ready. */
  takeHeld(): string[] {
    return this.held.splice(0);
  }

  /** Every waiting call (held and queued), e.g. to refuse them when the session goes away. */
  takeWaiting(): string[] {
    return [...this.held.splice(0), ...this.queue.splice(0)];
  }

  /** Decides one call on a ready session. */
  admit(requestId: string): Decision {
    if (!this.isLive(requestId)) return { kind: 'wait' };
    if (this.breaker.isOpen()) return this.permitted(requestId);
    if (this.running.size >= this.limits().maxConcurrentCalls) {
      if (this.prune() >= this.limits().maxQueue) {
        const error = new SwitchboardError('ServerBusy', `server "${this.server}" has ${this.running.size} calls running and ${this.queue.length} queued`, { retryAfterMs: 1_000 });
        return { kind: 'refuse', requestId, error };
      }
      this.queue.push(requestId);
      return { kind: 'wait' };
    }
    return this.permitted(requestId);
  }

  /** A running call ended: frees its slot and decides the queued calls that can start now. */
  finish(requestId: string): Decision[] {
    this.running.delete(requestId);
    const decisions: Decision[] = [];
    while (this.queue.length > 0 && this.running.size < this.limits().maxConcurrentCalls) {
      const next = this.queue.shift()!;
      if (!this.isLive(next)) continue;
      decisions.push(this.permitted(next));
    }
    return decisions;
  }

  /** Forgets running calls whose session ended (they settle on their own). */
  clearRunning(): void {
    this.running.clear();
  }

  private permitted(requestId: string): Decision {
    const verdict = this.breaker.permit(requestId);
    if ('refused' in verdict) return { kind: 'refuse', requestId, error: verdict.refused };
    this.running.add(requestId);
    return { kind: 'run', requestId, epoch: verdict.epoch };
  }

  /** Drops settled calls from the queue; returns the live queue length. */
  private prune(): number {
    this.queue = this.queue.filter((id) => this.isLive(id));
    return this.queue.length;
  }
}
