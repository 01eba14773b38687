import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { RuntimeServer } from '../../config/schema.js';
import type { OpenOptions } from '../session.js';
import type { Channel, McpTransport } from '../transport.js';
import { parseRetryAfter } from '../retryAfter.js';

/**
 * The streamable HTTP channel of a modern session: the v2 SDK's own transport (2.4.0 writes the
 * `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers from each message),
 * over a fetch that carries the server's headers and authorization (`OpenOptions.auth`), remembers
 * the last Retry-After, and caps what one answer may hold (`limits.maxMessageBytes`: a JSON body
 * whole, an SSE stream per event). There is no session to end: 2026-07-28 has none.
 */

/** A server answer larger than `limits.maxMessageBytes`. */
export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the server sent a message of more than ${limit} bytes (limits.maxMessageBytes)`);
    this.name = 'MessageTooLargeError';
  }
}

/** A body that errors once more than `limit` bytes arrive (for SSE: within one event). */
function capped(response: Response, limit: number): Response {
  if (!response.body) return response;
  const sse = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  let count = 0;
  // The last bytes of the previous chunk: a blank line may be split across two chunks.
  let tail = Buffer.alloc(0);
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (!sse) {
        count += chunk.byteLength;
      } else {
        // Bytes since the last blank line: one event's size (read in place, no copy of the chunk).
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        const end = Math.max(bytes.lastIndexOf('\n\n'), bytes.lastIndexOf('\r\n\r\n'));
        if (end !== -1) count = bytes.length - end;
        else {
          const seam = Buffer.concat([tail, bytes.subarray(0, 3)]);
          count = seam.includes('\n\n') || seam.includes('\r\n\r\n') ? bytes.length : count + bytes.length;
        }
        tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 3)));
      }
      if (count > limit) controller.error(new MessageTooLargeError(limit));
      else controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Opens (starts) the HTTP channel of `options.server` (an `http` server). */
export async function httpChannel(options: OpenOptions): Promise<Channel> {
  const server = options.server as RuntimeServer & { transport: 'http'; url: string; headers?: Record<string, string> };
  let retryAfter: number | undefined;
  const limit = server.limits.maxMessageBytes;
  let first = true;
  const guarded = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    // The first POST is the era probe: its socket is not kept for reuse. A legacy verdict hands
    // the server to a transport of the other era, and a pooled socket more is one call more
    // failing on a dead socket after the server restarts.
    const probing = first && init?.method === 'POST';
    if (probing) first = false;
    const headers = probing ? (() => { const h = new Headers(init?.headers); h.set('connection', 'close'); return h; })() : undefined;
    const response = await fetch(input, headers ? { ...init, headers } : init);
    if (response.status === 429 || response.status === 503) retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    const length = Number(response.headers.get('content-length'));
    if (Number.isFinite(length) && length > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw new MessageTooLargeError(limit);
    }
    return capped(response, limit);
  };
  const outer = options.auth ? options.auth.wrapFetch(guarded) : guarded;
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: server.headers ?? {} },
    fetch: (input, init) => outer(input as string | URL, init),
  });
  await transport.start();
  let closing: Promise<void> | undefined;
  return {
    transport: transport as unknown as McpTransport,
    retryAfterMs: () => retryAfter,
    fault: () => undefined,
    close: (client) =>
      (closing ??= (async () => {
        await Promise.race([client.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, server.timeouts.shutdownMs).unref())]);
        await transport.close().catch(() => undefined);
      })()),
  };
}
