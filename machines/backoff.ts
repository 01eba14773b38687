/**
 * Pure reconnect arithmetic (research/reliability.md §2.5): full-jitter exponential backoff and a
 * tiny seeded PRNG, so the connection machine stays deterministic and the inspector shows every
 * number it uses.
 */

/** Reconnect policy; the defaults live in the config schema. */
export interface BackoffPolicy {
  baseMs: number;
  multiplier: number;
  minMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt` (0-based count of consecutive failures), full jitter between the
 * floor and the ceiling: `floor(minMs + random * (ceiling - minMs))` with
 * `ceiling = min(maxMs, baseMs * multiplier^attempt)`. Drawing above the floor (instead of
 * clamping `random * ceiling` up to it) keeps servers that fail together spread out: a clamp
 * would send a quarter of them back at exactly `minMs` with the default policy.
 * From attempt 30 the ceiling is `maxMs` (overflow guard, as in Akka). A server-suggested wait
 * (`retryAfterMs`, from HTTP Retry-After) raises the delay, still capped at `maxMs`.
 */
export function computeBackoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: number,
  retryAfterMs?: number,
): number {
  const ceiling = attempt >= 30 ? policy.maxMs : Math.min(policy.maxMs, policy.baseMs * policy.multiplier ** attempt);
  const top = Math.max(policy.minMs, Number.isFinite(ceiling) ? ceiling : policy.maxMs);
  const jittered = Math.floor(policy.minMs + random * (top - policy.minMs));
  const wanted = retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
  return Math.min(policy.maxMs, Math.max(policy.minMs, wanted));
}

/**
 * One step of mulberry32: returns a number in [0, 1) and the next seed. Seeds are plain
 * integers, so they sit in machine context and a replayed actor draws the same delays.
 */
export function nextRandom(seed: number): { value: number; seed: number } {
  const next = (seed + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: next };
}
