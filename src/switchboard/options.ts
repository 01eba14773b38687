import type { InspectionEvent, Observer } from 'xstate';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { AuthSchema, ServerInput, SwitchboardConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Progress } from '../protocol/index.js';
import type { TransportSource } from '../protocol/index.js';
import type { ServerRequestHandlers } from '../protocol/index.js';
import type { Authorize, TokenStore } from '../auth/index.js';
import type { ToolSearchOptions } from '../search/toolSearch.js';
import type { ClusterBus } from '../cluster/index.js';

/** Options of `createSwitchboard`. */
export interface SwitchboardOptions {
  /**
   * XState inspection observer (e.g. the Stately inspector's). It sees summaries (DESIGN §6): each
   * snapshot as plain JSON without its machine, contexts and events with catalogs as counts
   * (`tools: 5000`), long lists and strings as their sizes and secret-looking keys masked, so its
   * cost per event does not grow with any catalog. Defaults to none.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** The clock of every timer and deadline; tests pass XState's `SimulatedClock`. Defaults to real time. */
  clock?: Clock | undefined;
  /** Receives one line per public event (state changes, server logs, internal errors), secrets masked. Defaults to none. */
  logger?: Logger | undefined;
  /** Ready SDK transports (or factories of fresh ones) by server name; kept out of config and context. */
  transports?: Record<string, TransportSource> | undefined;
  /** Variables for `${VAR}` in the config. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Source of the backoff jitter seeds. Defaults to `Math.random`. */
  random?: (() => number) | undefined;
  /**
   * Answers to server → client requests (sampling, elicitation, roots). A capability is declared
   * to a server only when its handler is given (and the server's `capabilities` config does not
   * withhold it). Defaults to none.
   *
   * Bounded per server, all kinds together: at most `limits.maxServerRequests` (default 4) handlers
   * run at once and up to `limits.maxServerRequestQueue` (default 16) more wait in arrival order;
   * any further request is answered at once with JSON-RPC error -32603 "too many concurrent server
   * requests (N running, M queued)". `timeouts.callMs` counts from arrival, time queued included. A
   * queued request that is cancelled, times out or whose connection closes never reaches a
   * handler; a running one's `ctx.signal` aborts and its slot goes to the next.
   */
  handlers?: ServerRequestHandlers | undefined;
  /**
   * OAuth's one interactive step (DESIGN §11): show or open `authorizationUrl`; return `{ code }`
   * when the host got it, or nothing to let the switchboard wait for the redirect on its own
   * loopback listener. Without it, a server that needs consent ends in `error` with AuthRequired.
   */
  authorize?: Authorize | undefined;
  /** Where OAuth tokens live. Defaults to files under `~/.mcp-switchboard/oauth/` (mode 0600); `'memory'` keeps them in memory. */
  tokenStore?: TokenStore | 'memory' | undefined;
  /** Name and version sent in `initialize`. Defaults to `mcp-switchboard` 0.1.0. */
  clientInfo?: { name: string; version: string } | undefined;
  /**
   * Tool search (`searchTools`, DESIGN §17). `embed`: the host's embedding model (one vector per
   * text); with it the ranking is hybrid, lexical and cosine combined by reciprocal-rank fusion.
   * Defaults to lexical only.
   */
  search?: ToolSearchOptions | undefined;
  /**
   * The engine of the `cluster:` block (DESIGN §16) instead of Redis: tests pass a `MemoryBus`
   * (one `MemoryEngine` per simulated Redis). Ignored without `cluster:`. Defaults to Redis through
   * node-redis, loaded only when a cluster is configured.
   */
  clusterBus?: ClusterBus | undefined;
}

/** Per-call options of `callTool`. */
export interface CallToolOptions {
  /** Route to this server (the name may then be bare or qualified). */
  server?: string | undefined;
  /** Deadline for waiting, queueing and the call itself. Defaults to the server's `timeouts.callMs`. */
  timeoutMs?: number | undefined;
  /** Aborting it rejects the call with `Cancelled` and sends `notifications/cancelled`. */
  signal?: AbortSignal | undefined;
  /** Progress notifications; each one extends the deadline up to `timeouts.maxCallMs`. */
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Passed to the server as `_meta`. */
  meta?: Record<string, unknown> | undefined;
  /**
   * HTTP headers for this call's request only (http and sse servers; on another server the call
   * fails with `InvalidRequest` before anything is sent). Not on `initialize`, lists or other
   * calls. Names must be HTTP tokens, not ones the transport owns (`Content-Type`, `Host`,
   * `Mcp-Session-Id`, `Mcp-Protocol-Version`, hop-by-hop…) nor ones the server's config sets
   * (its `headers`, or `Authorization` under `auth`): configured credentials always win. Values
   * are secrets: masked in errors, events and logs. Defaults to none.
   */
  headers?: Record<string, string> | undefined;
  /**
   * A label for where this call comes from, carried in its `call.completed` event as `source` (the
   * admin API's live view sends `live-view`). Not sent to the server. Defaults to none (no `source` key).
   */
  source?: string | undefined;
}

export type SwitchboardInput = SwitchboardConfig | { configPath: string };

/**
 * One server as `addServer` takes it and as `servers.<name>` is written: `{ command, args?, env?,
 * cwd? }` (stdio) or `{ url, headers?, auth? }` (`transport: 'http'` inferred, or `'sse'`), with
 * any per-server setting (`timeouts`, `reconnect`, `breaker`, `tools`, …).
 */
export type { ServerInput };

/**
 * The `auth` block of an http or sse server as written: `{ type: 'oauth', … }`,
 * `{ type: 'client_credentials', clientId, clientSecret | privateKey, … }` or
 * `{ type: 'cross_app', clientId, idp: { … } }` (DESIGN §11). Every value in it is a secret.
 */
export type AuthInput = z.input<typeof AuthSchema>;
