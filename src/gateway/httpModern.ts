import { createMcpHandler } from '@modelcontextprotocol/server';
import type { Gateway } from './gateway.js';

/**
 * The 2026-07-28 leg of the gateway's `/mcp` (DESIGN §15): the v2 server package's
 * `createMcpHandler` in its modern-only mode (`http.ts` keeps the legacy sessions), one gateway
 * `Server` per request, and `subscriptions/listen` streams told of every catalog change the
 * gateway debounces. Its bounds are the gateway's: request bodies up to `maxMessageBytes` (413
 * past it), at most `maxSessions` listen streams at once (a listen stream is a modern client's
 * standing connection, as a session is a legacy one's).
 */

/** The modern leg of one `/mcp` handler. */
export interface ModernLeg {
  /** Answers one modern request; `parsedBody` when a framework already read the body. */
  fetch(request: Request, parsedBody: unknown): Promise<Response>;
  /** Ends the listen streams and the requests in flight, and stops following the gateway. */
  close(): Promise<void>;
}

/** Creates the modern leg of `gateway`'s `/mcp`. */
export function modernLeg(gateway: Gateway, limits: { maxMessageBytes: number; maxSessions: number }): ModernLeg {
  const logger = gateway.logger;
  const handler = createMcpHandler(() => gateway.requestServer(), {
    legacy: 'reject',
    maxRequestBodySize: limits.maxMessageBytes,
    maxSubscriptions: limits.maxSessions,
    onerror: (error) => logger?.log('debug', `gateway: /mcp modern request: ${error.message}`),
  });
  const detach = gateway.attach({
    changed: (kinds) => {
      for (const kind of kinds) {
        if (kind === 'tools') handler.notify.toolsChanged();
        else if (kind === 'prompts') handler.notify.promptsChanged();
        else handler.notify.resourcesChanged();
      }
    },
    close: () => handler.close(),
  });
  return {
    fetch: (request, parsedBody) => handler.fetch(request, parsedBody === undefined ? undefined : { parsedBody }),
    close: async () => {
      detach();
      await handler.close();
    },
  };
}
