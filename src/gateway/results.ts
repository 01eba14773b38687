import { capResult } from '../calls/resultCap.js';

/**
 * An upstream's result as the gateway's own (DESIGN §12, §15). The gateway is the one server its
 * downstream clients see: what an upstream wrote about itself must not pass through. The
 * protocol's reserved `_meta` keys (`io.modelcontextprotocol/…`: the server's identity, a
 * subscription id, a related task) describe the upstream connection, not the gateway's; the
 * downstream `Server` stamps its own identity on a 2026-07-28 result when none is there. The
 * result kind (`resultType`) is the gateway's to decide too. A 2025-11-25 client gets no cache
 * hints (`ttlMs`, `cacheScope`: that era has none); a 2026-07-28 one keeps the upstream's hints
 * of its content.
 */

/** The prefix of the `_meta` keys the MCP specification reserves for itself. */
const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';

/** Fields of a 2026-07-28 result a 2025-11-25 client must not see. */
const MODERN_ONLY_FIELDS = ['ttlMs', 'cacheScope'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `result` without the upstream's identity (reserved `_meta` keys; a `_meta` left empty goes too),
 * without `resultType`, and for a `legacy` client without cache hints; its content capped at
 * `maxChars` (`gateway.maxResultChars`, DESIGN §17; 0 = off, the default here) on top of the
 * server's own cap. Returns a copy when anything was removed or cut, else the result itself.
 */
export function downstreamResult<T>(result: T, era: 'legacy' | 'modern', maxChars = 0): T {
  return capResult(ownResult(result, era), maxChars);
}

function ownResult<T>(result: T, era: 'legacy' | 'modern'): T {
  if (!isRecord(result)) return result;
  let copy: Record<string, unknown> | undefined;
  const own = () => (copy ??= { ...result });
  if ('resultType' in result) delete own().resultType;
  if (era === 'legacy') for (const field of MODERN_ONLY_FIELDS) if (field in result) delete own()[field];
  const meta = result._meta;
  if (isRecord(meta) && Object.keys(meta).some((key) => key.startsWith(RESERVED_META_PREFIX))) {
    const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith(RESERVED_META_PREFIX)));
    if (Object.keys(kept).length > 0) own()._meta = kept;
    else delete own()._meta;
  }
  return (copy ?? result) as T;
}
