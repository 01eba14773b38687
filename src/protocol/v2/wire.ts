import type { SessionRequestOptions } from '../session.js';
import { screenMessages, type McpTransport } from '../transport.js';

/**
 * What stands between the wire and the v2 Client (SDK 2.4.0) of a modern session, where the SDK
 * reads the 2026-07-28 wire more strictly than the spec, or reports more than the wire said.
 */

/** The methods whose 2026-07-28 results carry cache hints (`ttlMs`, `cacheScope`). */
const CACHEABLE = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/**
 * Reads what a server left out of a result as the spec's defaults: no `resultType` is `complete`
 * (SDK 2.4.0 rejects such a result: "servers implementing 2026-07-28 MUST include it", which
 * failed the whole call), and a cacheable result without `ttlMs`/`cacheScope` is "immediately
 * stale" and private (the SDK failed the connect on it with a schema dump). Only those fields of
 * those results are filled in; the request ids of cacheable requests are kept until answered.
 */
export function completeByDefault(outer: McpTransport, inner: McpTransport): McpTransport {
  const cacheable = new Set<unknown>();
  const send = outer.send;
  outer.send = (message: { id?: unknown; method?: unknown }, options?: unknown) => {
    if (message.id !== undefined && typeof message.method === 'string' && CACHEABLE.has(message.method)) {
      // Bounded: ids of requests never answered (cancelled) do not pile up.
      if (cacheable.size >= 10_000) cacheable.clear();
      cacheable.add(message.id);
    }
    return send(message, options);
  };
  screenMessages(outer, inner, (message) => {
    const { id, result } = (message ?? {}) as { id?: unknown; result?: unknown };
    const isCacheable = id !== undefined && cacheable.delete(id);
    if (result !== null && typeof result === 'object' && !Array.isArray(result)) {
      const fields = result as Record<string, unknown>;
      if (!('resultType' in fields)) fields.resultType = 'complete';
      if (isCacheable && fields.resultType === 'complete') {
        if (!('ttlMs' in fields)) fields.ttlMs = 0;
        if (!('cacheScope' in fields)) fields.cacheScope = 'private';
      }
    }
    return true;
  });
  return outer;
}

/**
 * SDK 2.4.0's `input_required` driver reports each round it fulfils through the request's
 * `onprogress` (`{ progress: round, message: "Fulfilling input required by '<method>' (round N)" }`),
 * as if the server had sent it: the caller would see progress the server never sent (and the
 * gateway forward it downstream). Only the server's own progress goes through.
 */
const SDK_ROUND = /^Fulfilling input required by '[^']*' \(round \d+\)$/;
export function wireProgress(onProgress: SessionRequestOptions['onProgress']): SessionRequestOptions['onProgress'] {
  if (onProgress === undefined) return undefined;
  return (progress) => {
    if (progress.total === undefined && typeof progress.message === 'string' && SDK_ROUND.test(progress.message)) return;
    onProgress(progress);
  };
}

