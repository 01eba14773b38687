import { createMcpHandler } from '@modelcontextprotocol/server';
import { listenedUris } from './follows.js';
import type { Gateway } from './gateway.js';

/**
 * The 2026-07-28 leg of the gateway's `/mcp` (DESIGN §15): the v2 server package's
 * `createMcpHandler` in its modern-only mode (`http.ts` keeps the legacy sessions), one gateway
 * `Server` per request, and `subscriptions/listen` streams told of every catalog change the
 * gateway debounces and of every update of the resources they follow (`resourceSubscriptions`:
 * the gateway subscribes upstream for each such stream while it is open). Its bounds are the
 * gateway's: request bodies up to `maxMessageBytes` (413 past it), at most `maxSessions` listen
 * streams at once (a listen stream is a modern client's standing connection, as a session is a
 * legacy one's).
 */

/** The modern leg of one `/mcp` handler. */
export interface ModernLeg {
  /**
   * Answers one modern request; `parsedBody` when a framework already read the body; `onClosed`
   * registers what runs once the answer's HTTP response has ended (a listen stream's end).
   */
  fetch(request: Request, parsedBody: unknown, onClosed: (listener: () => void) => void): Promise<Response>;
  /** Ends the listen streams and the requests in flight, and stops following the gateway. */
  close(): Promise<void>;
}

/** Creates the modern leg of `gateway`'s `/mcp` (or `/mcp/<profile>`: its requests see that profile). */
export function modernLeg(gateway: Gateway, limits: { maxMessageBytes: number; maxSessions: number }, profile?: string): ModernLeg {
  const logger = gateway.logger;
  const handler = createMcpHandler(() => gateway.requestServer(profile), {
    legacy: 'reject',
    maxRequestBodySize: limits.maxMessageBytes,
    maxSubscriptions: limits.maxSessions,
    // Redacted like the gateway's own lines: an SDK error may quote a request or an upstream's answer.
    onerror: (error) => logger?.log('debug', `gateway: /mcp modern request: ${gateway.redact(error.message)}`),
  });
  const detach = gateway.attach({
    profile,
    changed: (kinds) => {
      for (const kind of kinds) {
        if (kind === 'tools') handler.notify.toolsChanged();
        else if (kind === 'prompts') handler.notify.promptsChanged();
        else handler.notify.resourcesChanged();
      }
    },
    // Every listen stream that follows the uri gets it (the SDK filters by each stream's uris).
    resourceUpdated: (uri) => handler.notify.resourceUpdated(uri),
    close: () => handler.close(),
  });
  return {
    fetch: async (request, parsedBody, onClosed) => {
      const uris = await listenRequestUris(request, parsedBody, limits.maxMessageBytes);
      const response = await handler.fetch(request, parsedBody === undefined ? undefined : { parsedBody });
      // Followed only once the SDK opened the stream (a refused listen is a JSON error), until it ends.
      if (uris.length > 0 && response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) onClosed(gateway.follow(uris, profile));
      return response;
    },
    close: async () => {
      detach();
      await handler.close();
    },
  };
}

/**
 * The `resourceSubscriptions` of a `subscriptions/listen` POST, else none. The `Mcp-Method`
 * header (required in 2026-07-28) spares reading any other request's body a second time; the
 * body decides. A body past `maxBytes` or not JSON is none: the SDK answers it with its error.
 */
async function listenRequestUris(request: Request, parsedBody: unknown, maxBytes: number): Promise<string[]> {
  if (request.method !== 'POST' || request.headers.get('mcp-method')?.trim() !== 'subscriptions/listen') return [];
  const body = parsedBody ?? (await readJson(request.clone(), maxBytes));
  const message = body as { method?: unknown; params?: { notifications?: unknown } } | undefined;
  return message?.method === 'subscriptions/listen' ? listenedUris(message.params?.notifications) : [];
}

/** A request body as JSON, read up to `maxBytes`; undefined when longer, unreadable or not JSON. */
async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
