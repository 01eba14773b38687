/**
 * Pure sliding-window arithmetic for the circuit breaker (research/reliability.md §1.6):
 * a count-based window of the last N recorded outcomes, rates as percentages, -1 below the minimum.
 */

/** One recorded call outcome: `f` failed, `s` slow. Short keys keep inspected context small. */
export interface Outcome {
  f: boolean;
  s: boolean;
}

/** Appends an outcome, keeping at most `size` entries (oldest evicted first). */
export function pushOutcome(window: readonly Outcome[], outcome: Outcome, size: number): Outcome[] {
  const next = window.length >= size ? window.slice(window.length - size + 1) : window.slice();
  next.push(outcome);
  return next;
}

/** Failure rate in percent, or -1 while fewer than `minimum` outcomes are recorded. */
export function failureRate(window: readonly Outcome[], minimum: number): number {
  if (window.length === 0 || window.length < minimum) return -1;
  return (window.filter((o) => o.f).length / window.length) * 100;
}

/** Slow-call rate in percent, or -1 while fewer than `minimum` outcomes are recorded. */
export function slowCallRate(window: readonly Outcome[], minimum: number): number {
  if (window.length === 0 || window.length < minimum) return -1;
  return (window.filter((o) => o.s).length / window.length) * 100;
}

/** Open duration for the k-th consecutive open (k ≥ 1): `min(max, wait * multiplier^(k-1))`. */
export function openDuration(k: number, waitMs: number, multiplier: number, maxMs: number): number {
  const exponent = Math.max(0, k - 1);
  const value = exponent >= 60 ? maxMs : waitMs * multiplier ** exponent;
  return Math.min(maxMs, Number.isFinite(value) ? value : maxMs);
}
