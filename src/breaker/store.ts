import type { BreakerPolicy, BreakerState, RecordedCall } from '../../machines/breakerModel.js';

/** What admission reads of one server's breaker: a synchronous, cached view (never a round trip). */
export interface CachedBreaker {
  readonly state: BreakerState;
  /** Outcomes are recorded with the epoch their call was admitted in; older ones are late. */
  readonly epoch: number;
  /** While open: when it may half-open (actor clock, ms); null otherwise. */
  readonly openUntil: number | null;
  readonly policy: BreakerPolicy;
}

/**
 * The seam between the call path and wherever a server's breaker lives (DESIGN §2, §16): today
 * the local breaker actor (`LocalBreakerStore`); a shared store (Redis) would keep the same view
 * from its own cache and publish what it records. Every method is synchronous: no call ever waits
 * for a store.
 */
export interface BreakerStore {
  /** The server's breaker as admission sees it now; undefined when it has none (stopped, removed). */
  view(server: string): CachedBreaker | undefined;
  /** Counts a call refused while open. */
  refused(server: string): void;
  /** Asks for a half-open probe slot: the epoch when granted, undefined when refused. */
  acquire(server: string, requestId: string): number | undefined;
  /** Applies finished calls' outcomes, in order; the store may keep the array (the caller does not reuse it). */
  record(server: string, calls: RecordedCall[]): void;
}
