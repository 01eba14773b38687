/** The breaker gate of the call path and the store seam it reads (DESIGN §2, §4, §16). */
export { BreakerGate, QUIET_WINDOW_MS, type Permission } from './gate.js';
export { LocalBreakerStore } from './localStore.js';
export type { BreakerStore, CachedBreaker } from './store.js';
