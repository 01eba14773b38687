import { Client, OAuthClientFlowError, OAuthError, ProtocolError, SdkError, SdkErrorCode, UnauthorizedError, type McpSubscription } from '@modelcontextprotocol/client';
import type { CatalogKind, ErrorInfo } from '../../../machines/types.js';
import type { Clock } from '../../core/clock.js';
import { SwitchboardError } from '../../core/errors.js';
import { abortRace } from '../abortRace.js';
import { MAX_PAGES } from '../catalog.js';
import { handover, silenceWindowMs } from '../negotiate.js';
import type { Channel } from '../transport.js';
import type {
  CallFailure,
  CallMethod,
  FailureContext,
  ListedKinds,
  OpenOptions,
  ProtocolSession,
  SessionEvents,
  SessionFacts,
  SessionRequestOptions,
} from '../session.js';
import type { LoggingLevel, Tool } from '../types.js';
import { classifyCallError, classifyConnectError } from './classify.js';
import { headerFault } from './headerRules.js';
import { completeByDefault, wireProgress } from './wire.js';
import { installServerRequests } from './serverRequests.js';

/**
 * The modern era (2026-07-28) on `@modelcontextprotocol/client` 2.x (checked against 2.4.0): a
 * `ProtocolSession` over one v2 Client, connected from a `server/discover` result the caller
 * already has (`connect(transport, { prior })`: no second round trip), on a channel the caller
 * opened (select.ts: the stdio child, an embedder's transport, or http.ts's transport). Change
 * notifications come on one `subscriptions/listen` stream, opened after connect and again after
 * it drops; resource subscriptions are part of its filter. Every v2 SDK import of the session
 * path is in this folder.
 */

/** Timers when the switchboard gives no clock: real ones that never keep the process alive. */
const REAL_TIMERS: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (id) => clearTimeout(id),
};

/** The SDK's own request timeout is disabled: our deadlines run on our clock (as in v1). */
const NO_SDK_TIMEOUT = 2_147_483_647;
/** How often in a row the listen stream may drop before the session is checked instead. */
const MAX_RELISTENS = 3;
/** The first wait before a dropped listen stream is opened again (doubling each time in a row). */
const RELISTEN_MS = 250;
/** A listen stream open this long counts as stable: its drop starts the count over. */
const STABLE_MS = 10_000;

const LISTS = {
  tools: { method: 'tools/list', key: 'tools', capability: 'tools' },
  resources: { method: 'resources/list', key: 'resources', capability: 'resources' },
  templates: { method: 'resources/templates/list', key: 'resourceTemplates', capability: 'resources' },
  prompts: { method: 'prompts/list', key: 'prompts', capability: 'prompts' },
} as const;

type AnyRequest = { method: 'tools/list'; params?: Record<string, unknown> };

class V2Session implements ProtocolSession {
  /** The listed tools by name, without output schemas: their definitions drive a call's `Mcp-Param-*` headers. */
  private readonly tools = new Map<string, Tool>();
  private readonly subscribed = new Set<string>();
  private subscription: McpSubscription | undefined;
  private relistens = 0;
  private relistenTimer: unknown;
  private listening: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly channel: Channel,
    private readonly events: SessionEvents,
    readonly facts: SessionFacts,
    /** Over streamable HTTP (header rules apply). */
    private readonly http: boolean,
    private readonly clock: Clock,
    private readonly warn: (message: string) => void,
  ) {}

  /** The switchboard's time when its clock tells it (the runtime's does), else the wall clock's. */
  private now(): number {
    return (this.clock as { now?: () => number }).now?.() ?? Date.now();
  }

  request(method: CallMethod, params: Record<string, unknown>, options: SessionRequestOptions): Promise<unknown> {
    const merged = options.meta ? { ...params, _meta: { ...((params._meta as Record<string, unknown> | undefined) ?? {}), ...options.meta } } : params;
    const base = { signal: options.signal, timeout: NO_SDK_TIMEOUT, onprogress: wireProgress(options.onProgress) };
    // Per-call headers: the v2 SDK sends them on this request's POST only (and never over a reserved name).
    const sdk = options.headers === undefined ? base : { ...base, headers: options.headers };
    switch (method) {
      case 'tools/call': {
        const toolDefinition = this.tools.get(String(params.name));
        return this.client.callTool(merged as { name: string }, toolDefinition ? { ...sdk, toolDefinition: toolDefinition as never } : sdk);
      }
      case 'logging/setLevel':
        return Promise.reject(notSupported('logging/setLevel'));
      case 'resources/subscribe':
        return this.subscribe(String(params.uri), options.signal).then(() => ({}));
      case 'resources/unsubscribe':
        return this.unsubscribe(String(params.uri), options.signal).then(() => ({}));
      default:
        return this.client.request({ method, params: merged } as unknown as AnyRequest, sdk);
    }
  }

  failure(error: unknown, context: FailureContext): CallFailure {
    return classifyCallError(error, context.abortCause, context.server, context.subject, context.kind);
  }

  /** No sessions in 2026-07-28: nothing for a server to forget. */
  expired(): boolean {
    return false;
  }

  async list<K extends CatalogKind>(kind: K, signal: AbortSignal, warn: (message: string) => void): Promise<ListedKinds[K]> {
    const { method, key, capability } = LISTS[kind];
    const capabilities = (this.client.getServerCapabilities() ?? {}) as Record<string, unknown>;
    if (!capabilities[capability]) return [] as unknown as ListedKinds[K];
    const items: unknown[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    try {
      for (let page = 0; ; page++) {
        if (page === MAX_PAGES) {
          warn(`${method} returned more than ${MAX_PAGES} pages; keeping the first ${items.length} entries`);
          break;
        }
        const result = (await this.client.request({ method, params: cursor ? { cursor } : {} } as AnyRequest, { signal, timeout: NO_SDK_TIMEOUT })) as Record<string, unknown>;
        items.push(...((result[key] as unknown[] | undefined) ?? []));
        cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
        if (!cursor) break;
        if (seen.has(cursor)) {
          warn(`${method} repeated a cursor after ${page + 1} pages (a pagination loop); keeping the ${items.length} entries listed so far`);
          break;
        }
        seen.add(cursor);
      }
    } catch (error) {
      if (kind === 'tools' || !(error instanceof ProtocolError) || error.code !== -32601) throw error;
      warn(`${method} is not implemented by the server (-32601); its ${kind} stay empty`);
      return [] as unknown as ListedKinds[K];
    }
    if (kind === 'tools') {
      this.tools.clear();
      const kept: Tool[] = [];
      for (const tool of items as Tool[]) {
        // Over HTTP a tool whose header declarations are broken is left out (SEP-2243 MUST).
        const fault = this.http ? headerFault(tool.inputSchema) : undefined;
        if (fault) {
          warn(`tool ${JSON.stringify(tool.name)} left out: invalid x-mcp-header declaration (${fault})`);
          continue;
        }
        // The definition drives the `Mcp-Param-*` headers of a call. Kept without its output
        // schema: the SDK would check structuredContent against it and fail the call, which the
        // legacy era never does (results pass through unchanged in both eras).
        this.tools.set(tool.name, { ...tool, outputSchema: undefined } as Tool);
        kept.push(tool);
      }
      return kept as ListedKinds[K];
    }
    return items as ListedKinds[K];
  }

  /** `server/discover` is the modern liveness round trip: any answer, even an error, counts. */
  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.client.discover({ signal, timeout: NO_SDK_TIMEOUT });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  }

  async notifyRootsChanged(): Promise<void> {
    try {
      await this.client.sendRootsListChanged();
    } catch {
      // Not connected, closed meanwhile, or roots not declared.
    }
  }

  /** The uri is subscribed once the stream that carries it is open (a failed subscribe leaves none behind). */
  async subscribe(uri: string, signal: AbortSignal): Promise<void> {
    if (this.subscribed.has(uri)) return;
    await this.listen(signal, { add: uri });
  }

  async unsubscribe(uri: string, signal: AbortSignal): Promise<void> {
    if (!this.subscribed.has(uri)) return;
    await this.listen(signal, { remove: uri });
  }

  setLogLevel(_level: LoggingLevel): Promise<void> {
    return Promise.reject(notSupported('logging/setLevel'));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.relistenTimer !== undefined) this.clock.clearTimeout(this.relistenTimer);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close().catch(() => undefined);
    await this.channel.close(this.client);
  }

  retryAfterMs(): number | undefined {
    return this.channel.retryAfterMs();
  }

  /**
   * (Re)opens the one `subscriptions/listen` stream with what the server declares and the
   * subscribed uris (`change` applied once the new stream is open). The SDK does not re-listen: a
   * stream that ends without our asking is opened again after a backoff (`RELISTEN_MS`, doubling),
   * at most `MAX_RELISTENS` times in a row — a stream that stayed open `STABLE_MS` starts the count
   * over — and then the session is checked and goes on without live changes (logged).
   */
  listen(signal?: AbortSignal, change?: { add?: string; remove?: string }): Promise<void> {
    // One change of the stream at a time, each with the filter as it is when it runs: concurrent
    // subscribes (a re-subscription burst) would otherwise race and leave a stream open.
    const next = this.listening.then(() => this.relisten(signal, change));
    this.listening = next.catch(() => undefined);
    // A subscribe queued behind a slow change still settles by its own deadline (the call path's).
    return next;
  }

  private async relisten(signal?: AbortSignal, change?: { add?: string; remove?: string }): Promise<void> {
    if (this.closed) return;
    const wanted = new Set(this.subscribed);
    if (change?.add) wanted.add(change.add);
    if (change?.remove) wanted.delete(change.remove);
    const capabilities = (this.client.getServerCapabilities() ?? {}) as Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>;
    const filter: Record<string, unknown> = {};
    if (capabilities.tools?.listChanged) filter.toolsListChanged = true;
    if (capabilities.prompts?.listChanged) filter.promptsListChanged = true;
    if (capabilities.resources?.listChanged) filter.resourcesListChanged = true;
    if (capabilities.resources?.subscribe && wanted.size > 0) filter.resourceSubscriptions = [...wanted];
    const previous = this.subscription;
    // The new stream opens before the old one closes: no moment without one, so no change is lost.
    const subscription = Object.keys(filter).length === 0 ? undefined : await this.client.listen(filter, signal ? { signal } : {});
    this.subscription = subscription;
    if (change?.add) this.subscribed.add(change.add);
    if (change?.remove) this.subscribed.delete(change.remove);
    await previous?.close().catch(() => undefined);
    if (!subscription) return;
    if (this.closed) {
      this.subscription = undefined;
      await subscription.close().catch(() => undefined);
      return;
    }
    const openedAt = this.now();
    void subscription.closed.then((how) => {
      if (this.subscription !== subscription || this.closed || how === 'local') return;
      this.subscription = undefined;
      if (this.now() - openedAt >= STABLE_MS) this.relistens = 0;
      if (++this.relistens > MAX_RELISTENS) {
        this.warn(`the server ended its subscriptions/listen stream ${MAX_RELISTENS + 1} times in a row; going on without live list changes until the next connect`);
        this.events.suspect();
        return;
      }
      const delay = RELISTEN_MS * 2 ** (this.relistens - 1);
      this.relistenTimer = this.clock.setTimeout(() => {
        this.relistenTimer = undefined;
        this.listen().catch(() => this.events.suspect());
      }, delay);
    });
  }
}

function notSupported(method: string): SwitchboardError {
  return new SwitchboardError('NotSupported', `${method} does not exist in protocol 2026-07-28 (the server speaks the modern era)`);
}

/** Wires a fresh client's events before it connects. */
function wire(client: Client, options: OpenOptions, channel: Channel, events: SessionEvents): void {
  client.onclose = () => {
    const error = channel.fault();
    events.lost(error ? 'faulted' : 'closed', error);
  };
  client.onerror = (error: Error) => {
    events.transportError(error);
    if (options.server.transport === 'http' && !(error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)) events.suspect();
  };
  client.setNotificationHandler('notifications/tools/list_changed', () => events.listChanged('tools'));
  client.setNotificationHandler('notifications/prompts/list_changed', () => events.listChanged('prompts'));
  client.setNotificationHandler('notifications/resources/list_changed', () => {
    events.listChanged('resources');
    events.listChanged('templates');
  });
  client.setNotificationHandler('notifications/resources/updated', (notification) => events.resourceUpdated(notification.params.uri));
  client.setNotificationHandler('notifications/message', (notification) => {
    const { level, data, logger } = notification.params;
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    events.log(level, logger ? `${logger}: ${text}` : text);
  });
  if (options.serverRequests) installServerRequests(client, options.serverRequests);
}

function factsOf(client: Client, discover: Record<string, unknown>): SessionFacts {
  const facts: SessionFacts = { era: 'modern', verdict: { era: 'modern', discover } };
  const version = client.getNegotiatedProtocolVersion();
  const serverInfo = client.getServerVersion();
  const capabilities = client.getServerCapabilities();
  const instructions = client.getInstructions();
  if (version) facts.protocolVersion = version;
  if (serverInfo) facts.serverInfo = serverInfo as SessionFacts['serverInfo'] & object;
  if (capabilities) facts.capabilities = capabilities as SessionFacts['capabilities'] & object;
  if (instructions) facts.instructions = instructions;
  return facts;
}

/**
 * Opens a modern session on `channel` (started, no Client attached) from the server's
 * `server/discover` result: the v2 Client adopts it (`prior`) without a round trip. On failure
 * the channel is closed (the stdio process group with it).
 */
export async function openModern(options: OpenOptions, events: SessionEvents, opened: Channel, discover: Record<string, unknown>): Promise<ProtocolSession> {
  // The v2 Client validates every message against the 2026-07-28 schemas itself.
  opened.trustClient?.();
  // Started already (the probe ran on it): the Client takes it over through a plain forwarder.
  const channel: Channel = { ...opened, transport: completeByDefault(handover(opened.transport), opened.transport) };
  const client = new Client(options.clientInfo, { capabilities: (options.capabilities ?? {}) as never, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  wire(client, options, channel, events);
  const { signal } = options;
  const { aborted, done } = abortRace(signal);
  let session: V2Session;
  try {
    await Promise.race([client.connect(channel.transport as never, { prior: { kind: 'modern', discover: discover as never }, timeout: NO_SDK_TIMEOUT }), aborted]);
    const warn = options.warn ?? (() => undefined);
    session = new V2Session(client, channel, events, factsOf(client, discover), options.server.transport === 'http' && !options.custom, options.clock ?? REAL_TIMERS, warn);
    // A server that refuses the listen stream, or is slow to acknowledge it, is still reachable:
    // the connect waits half its deadline (at most 5 s) for it; a late acknowledgement still opens the stream.
    const name = options.server.name;
    const first = session.listen(signal).then(
      () => 'listening' as const,
      (error: unknown) => {
        if (!signal.aborted) warn(`server "${name}" refused subscriptions/listen (${(error as Error)?.message ?? error}); going on without live list changes`);
        return 'refused' as const;
      },
    );
    const clock = options.clock ?? REAL_TIMERS;
    const waitMs = silenceWindowMs(options.server.timeouts.connectMs);
    let timer: unknown;
    const late = new Promise<'late'>((resolve) => {
      timer = clock.setTimeout(() => resolve('late'), waitMs);
    });
    const outcome = await Promise.race([first, late, aborted]).finally(() => clock.clearTimeout(timer));
    if (outcome === 'late') warn(`server "${name}" has not acknowledged subscriptions/listen within ${waitMs} ms; connected, live list changes follow once it does`);
  } catch (error) {
    await channel.close(client).catch(() => undefined);
    throw channel.fault() ?? error;
  } finally {
    done();
  }
  return session;
}

/** True for an error of the v2 SDK (its classes carry a brand): classified by `connectFailure` here. */
export function isModernError(error: unknown): boolean {
  return error instanceof ProtocolError || error instanceof SdkError || error instanceof UnauthorizedError || error instanceof OAuthError || error instanceof OAuthClientFlowError;
}

/** Classifies a failed modern connect (`ProtocolConnector.connectFailure`). */
export function modernConnectFailure(error: unknown, session: ProtocolSession | undefined): ErrorInfo {
  return classifyConnectError(error, session?.retryAfterMs());
}
