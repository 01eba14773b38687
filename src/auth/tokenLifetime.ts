/**
 * Token lifetimes as a store keeps them. An authorization server's `expires_in` is whatever it
 * sent: `1e308` makes `expiresAt` Infinity, which JSON writes as `null`, and the record then fails
 * to read after a restart. A store clamps lifetimes when it writes and again when it reads (a
 * file written by an older version may hold `null`), so whatever it wrote, it reads back.
 */

/** The longest lifetime a token is trusted with: one year (in seconds). Longer ones are clamped. */
export const MAX_TOKEN_LIFETIME_S = 365 * 24 * 60 * 60;

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/**
 * A copy of a raw record (as saved, or as parsed from a file) with its lifetimes made storable:
 * `tokens.expires_in` within 0 … MAX_TOKEN_LIFETIME_S, `expiresAt` within 0 … `now` + one year
 * (ms since the epoch). A lifetime that is not a number at all (NaN, null) is dropped: the token's
 * expiry is then unknown, and a 401 renews it. Anything that is not an object is returned as is.
 */
export function clampLifetimes<T>(record: T, now: number = Date.now()): T {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return record;
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  const expiresAt = out.expiresAt;
  if (expiresAt === null || Number.isNaN(expiresAt)) delete out.expiresAt;
  else if (typeof expiresAt === 'number') out.expiresAt = clamp(expiresAt, 0, now + MAX_TOKEN_LIFETIME_S * 1000);
  const tokens = out.tokens;
  if (tokens !== null && typeof tokens === 'object' && !Array.isArray(tokens)) {
    const copy: Record<string, unknown> = { ...tokens };
    const expiresIn = copy.expires_in;
    if (expiresIn === null || Number.isNaN(expiresIn)) delete copy.expires_in;
    else if (typeof expiresIn === 'number') copy.expires_in = clamp(expiresIn, 0, MAX_TOKEN_LIFETIME_S);
    out.tokens = copy;
  }
  return out as T;
}
