import { Server, type Transport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_GATEWAY_LIMITS, type GatewaySettings } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import { toolFilter } from '../routing/index.js';
import { packageVersion } from '../core/version.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { FirstLists, ownersOf } from './firstList.js';
import { ListenFollows, watchListens } from './follows.js';
import { installHandlers, type GatewaySession } from './handlers.js';
import { ParkedExchanges } from './inputRequired.js';
import { atLeast, mcpLevel, type GatewayAttachment, type GatewayOptions, type ListKind } from './options.js';
import { GatewayViews, type GatewayView } from './profiles.js';
import { GatewayRouter } from './router.js';

/**
 * The switchboard as one MCP server (DESIGN §12), in both protocol eras (§15): built on the v2
 * server package's low-level `Server`, which speaks 2025-11-25 to a client that initializes and
 * 2026-07-28 to one that sends the per-request `_meta` envelope. Not `McpServer`: an aggregating
 * proxy forwards other servers' JSON Schemas, results and errors as they are, and its tool set
 * changes at run time. `McpServer` wants schemas per registered tool, validates arguments and
 * structured output itself (the upstream server already does, and a schema it cannot express
 * would be rewritten), and turns every thrown error — an unknown tool too — into an `isError`
 * result; `Server` lets each request handler answer exactly what the switchboard decided.
 *
 * One `Server` serves one downstream session: a stdio (or in-memory) connection gets one, pinned
 * to the era of its first message by the SDK's `serveStdio` entry; HTTP gets one per legacy
 * `Mcp-Session-Id`, and one per modern request (that era has no sessions).
 *
 * A session sees every server, or one profile's subset (`profiles.ts`: `connect(t, { profile })`,
 * `/mcp/<profile>`); each subset is a `GatewayView` with its own catalog. A session's first list
 * waits for servers still on their first connect (`firstList.ts`).
 */

export type { GatewayAttachment, GatewayOptions } from './options.js';

/** A gateway: serves any number of downstream MCP sessions from one switchboard. */
export class Gateway {
  /** The router of server → client requests (its `handlers` go to `createSwitchboard`). */
  readonly router: GatewayRouter;
  private readonly sessions = new Set<GatewaySession>();
  /** The stdio/in-memory connections (the SDK's era entry over each transport). */
  private readonly connections = new Set<{ close(): Promise<void> }>();
  private readonly attachments = new Set<GatewayAttachment>();
  /** Modern calls parked between their `input_required` rounds. */
  private readonly parked: ParkedExchanges;
  private exposes: (name: string) => boolean;
  /** What sessions see: every server, or one profile's subset; made on first use. */
  private readonly views: GatewayViews;
  /** First lists waiting for servers still connecting. */
  private readonly first: FirstLists;
  private readonly pending = new Set<ListKind>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Counts catalog changes: a session that initialized after the last one lists fresh anyway. */
  private generation = 0;
  private readonly offs: (() => void)[];
  private closed: Promise<void> | null = null;

  constructor(private readonly sb: Switchboard, private readonly options: GatewayOptions = {}) {
    this.router = options.router ?? new GatewayRouter();
    this.router.attach(options.logger, (text) => sb.redact(text));
    this.exposes = toolFilter(options.tools);
    this.views = new GatewayViews(sb, (name) => this.exposes(name), (view) => this.newFollows(view));
    this.first = new FirstLists(sb, () => this.limits.initialWaitMs, options.logger);
    // A call waiting for its client's answer is held no longer than an idle session, and no more
    // of them than sessions: both are what a client that went away leaves behind.
    this.parked = new ParkedExchanges(() => ({ ttlMs: this.limits.sessionIdleMs, maxParked: this.limits.maxSessions }), options.logger);
    this.offs = [
      sb.on('tools.changed', () => this.changed('tools')),
      sb.on('prompts.changed', () => this.changed('prompts')),
      sb.on('resources.changed', () => this.changed('resources')),
      sb.on('resource.updated', (event) => {
        // A modern session's listen streams get it through the SDK's entry, which sends it on each stream that follows the uri.
        for (const session of this.sessions) {
          if (session.subscriptions.has(event.uri) || session.follows?.has(event.uri)) this.notify(session, (s) => s.sendResourceUpdated({ uri: event.uri }));
        }
        // The listen streams of each HTTP handler get it from the handler, which filters by their uris.
        for (const attachment of this.attachments) attachment.resourceUpdated?.(event.uri);
      }),
      sb.on('server.log', (event) => this.forwardLog(event.server, event.level, event.message)),
      sb.on('config.reloaded', () => this.profilesReloaded()),
    ];
  }

  /** The bounds of downstream streams: the switchboard's `gateway:` settings (a reload updates them). */
  get limits(): Pick<GatewaySettings, 'initialWaitMs' | 'maxSessions' | 'sessionIdleMs' | 'maxBufferedBytes' | 'maxMessageBytes'> {
    const settings: Partial<GatewaySettings> = this.sb.gatewayConfig ?? {};
    return {
      initialWaitMs: settings.initialWaitMs ?? DEFAULT_GATEWAY_LIMITS.initialWaitMs,
      maxSessions: settings.maxSessions ?? DEFAULT_GATEWAY_LIMITS.maxSessions,
      sessionIdleMs: settings.sessionIdleMs ?? DEFAULT_GATEWAY_LIMITS.sessionIdleMs,
      maxBufferedBytes: settings.maxBufferedBytes ?? DEFAULT_GATEWAY_LIMITS.maxBufferedBytes,
      maxMessageBytes: settings.maxMessageBytes ?? DEFAULT_GATEWAY_LIMITS.maxMessageBytes,
    };
  }

  /** The gateway's logger (`options.logger`), for its transports' warnings. */
  get logger(): Logger | undefined {
    return this.options.logger;
  }

  /** `text` without the secrets of any server (the switchboard's redaction), for log lines. */
  redact(text: string): string {
    return this.sb.redact(text);
  }

  /** Downstream sessions connected now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Serves one downstream connection over `transport` (stdio, in memory): its first message picks
   * the era (an `initialize` is 2025-11-25, a request with the 2026-07-28 `_meta` envelope or a
   * `server/discover` is modern) and one `Server` serves it from then on. The session ends when the
   * transport closes; its requests in flight are cancelled upstream. An `onclose` set on the
   * transport before still runs. `profile`: the session sees that profile's subset (one the
   * config has: anything else throws); defaults to every server.
   */
  async connect(transport: Transport, options: { profile?: string | undefined } = {}): Promise<void> {
    if (this.closed) throw new Error('the gateway is closed');
    const view = this.views.get(options.profile);
    const before = transport.onclose;
    // The uris this connection's listen streams follow (modern): the SDK's entry serves the
    // streams, the gateway subscribes upstream for them and sends the updates to its session.
    const follows = this.newFollows(view);
    const handle = serveStdio(({ era }) => this.createServer(era, true, view, follows), {
      transport,
      onerror: (error) => this.options.logger?.log('warn', `gateway: ${this.sb.redact(error.message)}`),
    });
    watchListens(transport, follows);
    this.connections.add(handle);
    // serveStdio takes the transport's onclose for its own: chain the caller's and our bookkeeping.
    const entry = transport.onclose;
    transport.onclose = () => {
      this.connections.delete(handle);
      follows.clear();
      try {
        before?.();
      } finally {
        entry?.();
      }
    };
  }

  /**
   * Serves one legacy (2025-11-25) session whose transport already knows its era (a streamable
   * HTTP session: `initialize` opens it); resolves once the transport is started. `profile` as
   * for `connect`.
   */
  async connectLegacy(transport: Transport, profile?: string): Promise<void> {
    if (this.closed) throw new Error('the gateway is closed');
    const server = this.createServer('legacy', true, this.views.get(profile));
    try {
      await server.connect(transport);
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    }
  }

  /** A `Server` for one modern (2026-07-28) HTTP request: not a session, it ends with its exchange. `profile` as for `connect`. */
  requestServer(profile?: string): Server {
    if (this.closed) throw new Error('the gateway is closed');
    return this.createServer('modern', false, this.views.get(profile));
  }

  /**
   * Follows `uris` for a modern `/mcp` (or `/mcp/<profile>`) listen stream: subscribes upstream to
   * each uri the view offers (the updates go to the attachments' `resourceUpdated`); returns the
   * function that ends it (the stream closed).
   */
  follow(uris: readonly string[], profile?: string): () => void {
    if (this.closed) return () => undefined;
    const { follows } = this.views.get(profile);
    const key = {};
    follows.open(key, uris);
    return () => follows.close(key);
  }

  /** The names of the profiles in the config in force. */
  get profiles(): string[] {
    return this.views.names();
  }

  /** Tells `attachment` of catalog changes from now on, and closes it with the gateway; returns the detach function. */
  attach(attachment: GatewayAttachment): () => void {
    this.attachments.add(attachment);
    return () => this.attachments.delete(attachment);
  }

  /**
   * A new downstream `Server` of `era` with every handler; `register`: it is a session (counted,
   * asked for roots, its parked calls end with it); `follows`: its connection's listen streams.
   */
  private createServer(era: 'legacy' | 'modern', register: boolean, view: GatewayView, follows?: ListenFollows): Server {
    const server = new Server(
      { name: this.options.name ?? 'mcp-switchboard', version: this.options.version ?? packageVersion() },
      {
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          completions: {},
          logging: {},
        },
        ...(this.options.instructions === undefined ? {} : { instructions: this.options.instructions }),
      },
    );
    // A modern client is "initialized" by its first request: it has no handshake.
    const session: GatewaySession = { server, era, lasting: register, view, subscriptions: new Map(), follows, logLevel: undefined, initialized: era === 'modern', generation: this.generation };
    installHandlers(session, {
      sb: this.sb,
      router: this.router,
      parked: this.parked,
      redact: (text) => this.sb.redact(text),
      firstList: (signal) => this.firstList(session, signal),
      starting: (kind, name, signal) => this.nameStarting(session.view, kind, name, signal),
    });
    server.oninitialized = () => {
      session.initialized = true;
      session.generation = this.generation;
      const client = server.getClientVersion();
      this.options.logger?.log('info', `gateway: client ${client?.name ?? 'unknown'} ${client?.version ?? ''} connected`.trim());
    };
    // A client's roots changed: tell every upstream, which asks for them again (answered by the router).
    server.setNotificationHandler('notifications/roots/list_changed', () => this.sb.notifyRootsChanged());
    server.onerror = (error) => this.options.logger?.log('warn', `gateway: ${this.sb.redact(error.message)}`);
    if (!register) return server;
    server.onclose = () => this.forget(session);
    this.sessions.add(session);
    this.router.addSession(session);
    return server;
  }

  /** Replaces the allow/deny filter (e.g. after a config reload) and tells every session its tools changed. */
  setToolFilter(tools: GatewayOptions['tools']): void {
    this.exposes = toolFilter(tools);
    this.changed('tools');
  }

  /** Ends every session (their calls in flight are cancelled upstream). Does not stop the switchboard. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const off of this.offs) off();
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.first.close();
      this.pending.clear();
      this.parked.clear();
      for (const view of this.views.all()) view.follows.clear();
      await Promise.allSettled([
        ...[...this.sessions].map((session) => session.server.close()),
        ...[...this.connections].map((connection) => connection.close()),
        ...[...this.attachments].map((attachment) => attachment.close()),
      ]);
      this.attachments.clear();
      for (const session of [...this.sessions]) this.forget(session);
    })();
    return this.closed;
  }

  private forget(session: GatewaySession): void {
    if (!this.sessions.delete(session)) return;
    this.router.removeSession(session);
    // Its client is gone: a call parked for its answer can never be retried.
    this.parked.abandon(session);
    const subscriptions = [...session.subscriptions.values()];
    session.subscriptions.clear();
    for (const unsubscribe of subscriptions) void unsubscribe().catch(() => undefined);
    this.options.logger?.log('info', 'gateway: session closed');
  }

  /** The first list of a session waits for its servers' first connects (`firstList.ts`); later ones do not. */
  private firstList(session: GatewaySession, signal: AbortSignal): Promise<unknown> {
    // Servers that connected meanwhile: the list is built from their catalogs, whatever the order of the events.
    const { view } = session;
    session.firstList ??= this.starting(view, (server) => view.hasServer(server), signal);
    return session.firstList;
  }

  /**
   * A tool or prompt `name` the view does not know: waits for the server it belongs to (its
   * `server__` prefix, among the view's servers) while that server is starting. No wait for a
   * name no server of the view could have, nor for a tool name the view's globs hide.
   */
  private nameStarting(view: GatewayView, kind: 'tool' | 'prompt', name: string, signal: AbortSignal): Promise<boolean> {
    if (kind === 'tool' && !view.showsTool(name)) return Promise.resolve(false);
    const owners = new Set(ownersOf(name, this.sb.listServers().map((s) => s.name)).filter((server) => view.hasServer(server)));
    if (owners.size === 0) return Promise.resolve(false);
    return this.starting(view, (server) => owners.has(server), signal, `a call of a ${kind} not listed yet`);
  }

  /** Waits for the servers `which` admits while they start (not remembered, unlike a first list); rebuilds the view's catalog after. */
  private async starting(view: GatewayView, which: (server: string) => boolean, signal: AbortSignal, what?: string): Promise<boolean> {
    const waited = await this.first.wait(which, signal, what);
    if (waited) for (const part of ['tools', 'prompts', 'resources'] as const) view.catalog.invalidate(part);
    return waited;
  }

  /**
   * After a reload: every view whose profile changed (or went) lists afresh, and its sessions and
   * listen streams are told that every list changed. Others are left alone.
   */
  private profilesReloaded(): void {
    for (const view of this.views.reloaded()) {
      const sessions = [...this.sessions].filter((s) => s.view === view && s.initialized);
      if (view.gone && sessions.length > 0) this.options.logger?.log('warn', `gateway: profile "${view.profile}" is no longer in the config; its ${sessions.length} session(s) see no tools`);
      for (const session of sessions) {
        this.notify(session, (s) => s.sendToolListChanged());
        this.notify(session, (s) => s.sendPromptListChanged());
        this.notify(session, (s) => s.sendResourceListChanged());
      }
      for (const attachment of this.attachments) if (attachment.profile === view.profile) attachment.changed(['tools', 'prompts', 'resources']);
    }
  }

  /** Coalesces a burst of catalog changes (a reload, a reconnect) into one notification per kind. */
  private changed(kind: ListKind): void {
    // Before anything else: the next request must not be answered from the old catalog.
    this.views.invalidate(kind);
    if (this.closed) return;
    this.pending.add(kind);
    this.generation++;
    this.timer ??= setTimeout(() => this.flush(), this.options.listChangedDebounceMs ?? 50);
  }

  private flush(): void {
    this.timer = undefined;
    const kinds = [...this.pending];
    this.pending.clear();
    for (const attachment of this.attachments) attachment.changed(kinds);
    for (const session of this.sessions) {
      if (!session.initialized || session.generation === this.generation) continue;
      session.generation = this.generation;
      for (const kind of kinds) {
        if (kind === 'tools') this.notify(session, (s) => s.sendToolListChanged());
        else if (kind === 'prompts') this.notify(session, (s) => s.sendPromptListChanged());
        else this.notify(session, (s) => s.sendResourceListChanged());
      }
    }
  }

  /** Upstream log lines to each session that asked for logs (`logging/setLevel`) at that level or above. */
  private forwardLog(server: string, level: string, message: string): void {
    const at = mcpLevel(level);
    for (const session of this.sessions) {
      if (!session.initialized || session.logLevel === undefined || !atLeast(at, session.logLevel)) continue;
      this.notify(session, (s) => s.sendLoggingMessage({ level: at, logger: server, data: this.sb.redact(message) }));
    }
  }

  /** A notification to a session that may be closing: a failure to send is not an error of the gateway. */
  private notify(session: GatewaySession, send: (server: Server) => Promise<void>): void {
    send(session.server).catch((error: unknown) => this.options.logger?.log('debug', `gateway: notification not sent: ${this.sb.redact(error instanceof Error ? error.message : String(error))}`));
  }

  /** Follows of listen streams, subscribing upstream to what `view` offers; failures are logged (the stream gets no updates for those uris). */
  private newFollows(view: GatewayView): ListenFollows {
    return new ListenFollows(
      (uri) => view.subscribe(uri),
      (failed, total, first) => {
        const reason = this.sb.redact(first instanceof Error ? first.message : String(first));
        this.options.logger?.log('warn', `gateway: ${failed} of ${total} resource subscription(s) of a listen stream failed; the first: ${reason}`);
      },
    );
  }
}

/**
 * Creates the gateway of a switchboard. For upstream sampling, elicitation and roots, create the
 * router first and give its handlers to the switchboard:
 * `const router = createGatewayRouter(); const sb = createSwitchboard(config, { handlers: router.handlers }); const gateway = createGateway(sb, { router });`.
 * The switchboard's lifecycle stays the caller's: `gateway.close()` does not stop it.
 */
export function createGateway(sb: Switchboard, options: GatewayOptions = {}): Gateway {
  return new Gateway(sb, options);
}
