/**
 * A transport an embedder or a test gives a server in code (`createSwitchboard(config, {
 * transports })`): any object of the MCP transport shape, e.g. the SDK's `InMemoryTransport` or a
 * `StdioClientTransport` of its own. Era-neutral: an implementation (`v1/`) takes it as its SDK's
 * transport.
 */
export interface McpTransport {
  start(): Promise<void>;
  send(message: any, options?: any): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  sessionId?: string | undefined;
}

/** A ready transport or a factory of fresh ones, given by an embedder or a test by server name. */
export type TransportSource = McpTransport | (() => McpTransport | Promise<McpTransport>);

/**
 * A transport opened (and started) before any SDK Client takes it, with how to end it completely:
 * what the era probe (negotiate.ts) runs on, and what the session of the era it finds keeps.
 */
export interface Channel {
  /** Started; no Client attached yet. Our own object or the era's own SDK transport. */
  transport: McpTransport;
  /** Ends the session completely (the stdio process group, the HTTP session), closing `client` first. */
  close(client: { close(): Promise<void> }): Promise<void>;
  /** The last Retry-After the server sent (HTTP 429/503), in ms. */
  retryAfterMs(): number | undefined;
  /** Why the channel ended itself (a stdio server's output lost its framing), if it did. */
  fault(): Error | undefined;
  /** Says the Client taking the channel validates every message itself (no second check of ours). */
  trustClient?(): void;
}

/**
 * Puts `screen` between `inner`'s messages and the handler a Client sets as `outer.onmessage`:
 * each message goes through `screen` first, which may change it and returns false to keep it from
 * the Client. `outer` forwards to `inner` (negotiate.ts `handover`).
 */
export function screenMessages(outer: McpTransport, inner: McpTransport, screen: (message: unknown) => boolean): void {
  let handler: McpTransport['onmessage'];
  Object.defineProperty(outer, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => handler,
    set: (next: McpTransport['onmessage']) => {
      handler = next;
      inner.onmessage = next
        ? (message: unknown, extra?: unknown) => {
            if (screen(message)) next(message, extra);
          }
        : undefined;
    },
  });
}
