import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterContext } from '../cluster/bus.js';

/** The options and the handler of the gateway's streamable HTTP endpoint (`http.ts`). */

/** Options of `createGatewayHttpHandler`; the bounds default to the switchboard's `gateway:` settings. */
export interface GatewayHttpOptions {
  /** Session ids; must be unguessable. Defaults to `crypto.randomUUID`. */
  sessionIdGenerator?: () => string;
  /** Live sessions at once; one more gets 503 with Retry-After. Defaults to `gateway.maxSessions` (100). */
  maxSessions?: number;
  /**
   * A session with no request open (no SSE stream either) for this long is closed, swept by a
   * timer. Defaults to `gateway.sessionIdleMs` (300 000 ms).
   */
  idleMs?: number;
  /**
   * A POST or DELETE whose body has not fully arrived this long after its headers is cut off (its
   * socket destroyed): a client trickling a body must not hold a session slot, or the cap, for
   * ever. Defaults to 30 000 ms (`BODY_TIMEOUT_MS`).
   */
  bodyTimeoutMs?: number;
  /** Bytes queued on one SSE stream of a client that does not read before notifications are dropped. Defaults to `gateway.maxBufferedBytes` (1 MiB). */
  maxBufferedBytes?: number;
  /** Largest POST body; a larger one gets 413. Defaults to `gateway.maxMessageBytes` (10 MiB). */
  maxMessageBytes?: number;
  /** The time source of `idleMs`. Defaults to `Date.now`. */
  now?: () => number;
  /**
   * The gateway profile its sessions see (`/mcp/<profile>`: that profile's servers and tools); one
   * the config has, checked when each session opens. Defaults to every server.
   */
  profile?: string;
  /**
   * The cluster this replica is part of: its legacy sessions are served by every replica (see
   * `sharedSessions.ts`). Defaults to none: sessions live on this process only.
   */
  cluster?: ClusterContext;
  /** Longest wait for Redis on a request with an unknown session id (and at `initialize`). Defaults to 250 ms (`cluster.redis.commandTimeoutMs`). */
  clusterTimeoutMs?: number;
}

/** The handler: `(req, res, parsedBody?)`; pass `parsedBody` when a framework already read the body. */
export interface GatewayHttpHandler {
  (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Sessions open now. */
  readonly sessionCount: number;
  /** Ends every HTTP session (also done by `gateway.close()`) and stops the idle sweep. */
  close(): Promise<void>;
}
