import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeServer } from '../../../config/schema.js';
import { guardTransport } from './fetchGuard.js';
import { parseRetryAfter } from '../../retryAfter.js';

/**
 * Streamable HTTP and legacy SSE transports for one connect attempt, each with its own guarded
 * fetch (per-call abort, size cap, envelope repair: fetchGuard.ts) that also remembers the last
 * Retry-After the server sent.
 */

export interface HttpTransport {
  transport: Transport;
  /** Ends the session on the server (DELETE for streamable HTTP), then the transport. */
  close(closeClient: () => Promise<void>): Promise<void>;
  retryAfterMs(): number | undefined;
}

/**
 * Builds the transport of an `http` or `sse` server. `wrapFetch` (the server's authorization,
 * src/auth) goes outside the guard, so its retries after a 401 are guarded like any request.
 */
export function buildHttpTransport(
  server: RuntimeServer & { transport: 'http' | 'sse' },
  withTimeout: <T>(p: Promise<T>, ms: number) => Promise<T | undefined>,
  wrapFetch?: (next: FetchLike) => FetchLike,
): HttpTransport {
  let retryAfter: number | undefined;
  const observe = (response: Response) => {
    if (response.status === 429 || response.status === 503) retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  };
  const headers = server.headers ?? {};
  const url = new URL(server.url);
  // The transport needs the fetch at construction and the fetch needs the transport (its send):
  // hand the constructor a forwarder and fill it in right after.
  let guarded: typeof fetch = fetch;
  const inner: FetchLike = (input, init) => guarded(input, init);
  const outer = wrapFetch ? wrapFetch(inner) : inner;
  const forward = ((input: string | URL, init?: RequestInit) => outer(input, init)) as typeof fetch;
  const guard = { maxMessageBytes: server.limits.maxMessageBytes, observe };
  const retryAfterMs = () => retryAfter;
  if (server.transport === 'http') {
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: forward });
    guarded = guardTransport(transport, guard);
    return {
      transport,
      retryAfterMs,
      close: async (closeClient) => {
        // End the session on the server (DELETE) so it can free it at once.
        if (transport.sessionId) await withTimeout(transport.terminateSession(), Math.min(server.timeouts.shutdownMs, 2_000));
        await closeClient();
      },
    };
  }
  const transport = new SSEClientTransport(url, { requestInit: { headers }, fetch: forward });
  guarded = guardTransport(transport, guard);
  return { transport, retryAfterMs, close: (closeClient) => closeClient() };
}
