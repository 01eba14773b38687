import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ToolInfo } from '../../machines/types.js';
import { resolveInput } from '../config/load.js';
import type { ResolvedConfig } from '../config/schema.js';
import { capResult } from '../calls/resultCap.js';
import { stoppedError, SwitchboardError } from '../core/errors.js';
import type { SwitchboardEventMap, SwitchboardEventType } from '../events/index.js';
import type { CallToolOptions, ServerInput, SwitchboardInput, SwitchboardOptions } from './options.js';
import type { CallToolResult, CompleteRequest, CompleteResult, GetPromptResult, LoggingLevel, ReadResourceResult, Root } from '../protocol/index.js';
import { Runtime, type RootActor } from './runtime.js';
import type { HealthReport, ReloadResult, ServerStatus } from '../servers/index.js';
import type { RequestOptions } from './surface.js';
import { ToolSearch, type SearchToolsOptions } from '../search/toolSearch.js';
import type { Cluster, SharedBreakerStats } from '../cluster/index.js';

export type { CallToolOptions, SwitchboardInput, SwitchboardOptions } from './options.js';

/** What the facade shows of this replica's cluster (DESIGN §16); reads only, never Redis. */
export type ClusterView = Pick<Cluster, 'name' | 'replicaId' | 'status' | 'up' | 'redisErrors' | 'isLeader' | 'context' | 'commandTimeoutMs'>;

/**
 * The switchboard: many MCP servers behind one supervised, typed facade. Create it with
 * `createSwitchboard`. The facade checks and routes; the parts it routes to are wired in
 * `Runtime`: server records (`Servers`), status, the surface beyond tools, and every call's path.
 */
export class Switchboard {
  /** The root XState actor (the manager), for inspection. */
  readonly actor: RootActor;
  /** Non-fatal notes about the config, e.g. unknown keys skipped in an `mcpServers` file. */
  readonly warnings: readonly string[];
  private readonly admin: ResolvedConfig['admin'];
  private readonly rt: Runtime;
  private startPromise: Promise<void> | null = null;
  private settleStart: () => void = () => undefined;
  private stopPromise: Promise<void> | null = null;
  private toolSearch: ToolSearch | null = null;

  constructor(config: ResolvedConfig, private readonly options: SwitchboardOptions = {}) {
    this.warnings = config.warnings;
    this.admin = config.admin;
    this.rt = new Runtime(config, options);
    this.actor = this.rt.actor;
  }

  /** Connects every enabled server; resolves when each is connected, in `error` or backing off. */
  start(): Promise<void> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    this.startPromise ??= new Promise<void>((resolve) => {
      const check = () => {
        if (!this.stopPromise && !this.rt.status.allSettled()) return;
        off();
        resolve();
      };
      const off = this.on('server.stateChanged', check);
      // stop() during start() ends the wait too: a stopped actor sends no more events.
      this.settleStart = check;
      // In the background: start never waits for Redis, and the cluster never throws.
      void this.rt.cluster?.start();
      this.rt.leader?.start();
      this.actor.send({ type: 'manager.start' });
      check();
    });
    return this.startPromise;
  }

  /** Every tool of every enabled server (or of one), from the last known catalogs, with `available`. */
  listTools(server?: string): ToolInfo[] {
    const tools = this.rt.catalogIndex().tools;
    return this.rt.status.withAvailability(server === undefined ? tools.tools() : tools.toolsOf(server));
  }

  /**
   * The tools that best match `query` (name, title, description, parameter names; typo-tolerant),
   * best first, with `available`; hybrid with `search.embed` when given. The index is built on the
   * first search and then follows the catalogs per server (a server whose tools changed is
   * re-indexed on the next search); calls never wait on it.
   */
  async searchTools(query: string, options: SearchToolsOptions = {}): Promise<ToolInfo[]> {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    const index = this.rt.catalogIndex().tools;
    this.toolSearch ??= new ToolSearch(this.options.search);
    this.toolSearch.sync(
      Object.keys(catalogs).map((server) => ({ server, keys: [catalogs[server], this.rt.servers.get(server)?.config.tools], tools: () => index.toolsOf(server) })),
    );
    return this.rt.status.withAvailability(await this.toolSearch.search(query, options));
  }

  /** Every prompt of every enabled server (or of one), with routing names and `available`. */
  listPrompts(server?: string): PromptInfo[] {
    return this.rt.status.withAvailability(this.rt.surface.listPrompts(server));
  }

  /** Every resource of every enabled server (or of one), from the last known catalogs. */
  listResources(server?: string): ResourceInfo[] {
    return this.rt.surface.listResources(server);
  }

  /** Every resource template of every enabled server (or of one). */
  listResourceTemplates(server?: string): ResourceTemplateInfo[] {
    return this.rt.surface.listResourceTemplates(server);
  }

  /** One server's status, or undefined when no such server is configured. */
  getServer(name: string): ServerStatus | undefined {
    return this.rt.status.getServer(name);
  }

  /** Every configured server's status. */
  listServers(): ServerStatus[] {
    return this.rt.status.listServers();
  }

  /** Live ping round trip of every enabled server (or one); error messages are masked. */
  health(server?: string): Promise<Record<string, HealthReport>> {
    return this.rt.status.health(server);
  }

  /** Replaces the roots given to servers and tells every connected server (`notifications/roots/list_changed`). */
  setRoots(roots: Root[]): void {
    this.rt.roots.setRoots(roots);
  }

  /**
   * Calls a tool by bare, qualified or `server__tool` name; resolves with the server's result
   * unchanged (but for the server's `limits.maxResultChars`, DESIGN §17). A qualified name or `{ server }` on a server that has not listed its catalog yet
   * (connecting, or backing off within `admission.waitForReconnectMs`) waits for it within the
   * call's deadline and is routed by it then: ToolNotFound only when the listed catalog lacks it.
   */
  callTool(name: string, args?: Record<string, unknown>, options: CallToolOptions = {}): Promise<CallToolResult> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    let route;
    let task = false;
    let unrouted: string | undefined;
    try {
      const index = this.rt.catalogIndex().tools;
      route = index.resolve(name, options.server, (s) => this.rt.servers.isEnabled(s), () => this.rt.status.unconnected());
      if (this.rt.listed(route.server)) task = index.find(route)?.execution?.taskSupport === 'required';
      else unrouted = name;
    } catch (error) {
      return Promise.reject(error);
    }
    const sent = this.rt.path.open<CallToolResult>(route.server, { tool: route.tool, unrouted, args, meta: options.meta, task }, options);
    const limit = this.maxResultChars(route.server);
    return limit > 0 ? sent.then((result) => capResult(result, limit)) : sent;
  }

  /** Reads a resource, routed by the catalog uri or a matching template (or `{ server }`); the result is unchanged but for `limits.maxResultChars`. */
  readResource(uri: string, options: RequestOptions = {}): Promise<ReadResourceResult> {
    return this.rt.surface.readResource(uri, options, this.maxResultChars);
  }

  /** Subscribes to a resource (`resource.updated` events, re-sent after reconnects); resolves with the unsubscribe function. */
  subscribeResource(uri: string, options: RequestOptions = {}): Promise<() => Promise<void>> {
    return this.rt.surface.subscribeResource(uri, options);
  }

  /** Gets a prompt by bare, qualified or `server__prompt` name; the result is unchanged but for `limits.maxResultChars`. */
  getPrompt(name: string, args?: Record<string, string>, options: RequestOptions = {}): Promise<GetPromptResult> {
    return this.rt.surface.getPrompt(name, args, options, this.maxResultChars);
  }

  /** Completes an argument of a prompt or resource template (`completion/complete`). */
  complete(params: CompleteRequest['params'], options: RequestOptions = {}): Promise<CompleteResult> {
    return this.rt.surface.complete(params, options);
  }

  /** Sets the log level of one server, or of every connected server that declares logging. */
  setLogLevel(level: LoggingLevel, options: RequestOptions = {}): Promise<void> {
    return this.rt.surface.setLogLevel(level, options);
  }

  /** Adds and (once started) connects a server; a bad config throws ConfigError. */
  addServer(name: string, config: ServerInput): void {
    if (this.stopPromise) throw stoppedError();
    this.rt.serverSet.add(name, config);
  }

  /** Stops and forgets a server; its tools disappear and its process is ended before this resolves. */
  removeServer(name: string): Promise<void> {
    return this.rt.serverSet.remove(name);
  }

  /**
   * Applies a new config without a restart (DESIGN §13): validated first (a bad one throws
   * ConfigError, emits `config.rejected` and changes nothing), then added servers start, removed
   * ones stop, changed ones restart — their calls in flight get `timeouts.shutdownMs` to finish,
   * then `Stopped` — and unchanged ones are not touched (same process, session and breaker).
   */
  async reload(input: SwitchboardInput): Promise<ReloadResult> {
    if (this.stopPromise) throw stoppedError();
    return this.rt.serverSet.reload(() => resolveInput(input, resolveOptions(this.options)));
  }

  /** Forces a fresh connection now, from any state, forgetting earlier failures. */
  reconnect(name: string): void {
    this.requireEnabled(name);
    this.rt.serverSet.reconnect(name);
  }

  /** Closes a server's circuit breaker and clears its window. */
  resetBreaker(name: string): void {
    this.requireEnabled(name);
    this.rt.servers.get(name)!.gate.settle();
    this.actor.send({ type: 'breaker.reset', name, at: this.rt.clock.now() });
  }

  /** Masks every configured secret (every `${VAR}` value, header and env values, URL query values of every server, the cluster's Redis password and token key) in `text`. */
  redact(text: string): string {
    return this.rt.redactAll(text);
  }

  /** The gateway settings of the config in force (`gateway:` block; a reload updates them). */
  get gatewayConfig(): ResolvedConfig['gateway'] {
    return this.rt.gateway;
  }

  /** Tells every connected server that the roots changed (`notifications/roots/list_changed`), keeping them. */
  notifyRootsChanged(): void {
    this.rt.roots.announceRoots();
  }

  /**
   * What this replica's sharing parts did (DESIGN §16), for metrics: breaker transitions published,
   * applied, ignored as stale or unreadable, failed writes; health checks taken from the leader,
   * pinged here, and results published. Undefined without a cluster.
   */
  get clusterActivity(): { breakers: SharedBreakerStats; health: { taken: number; probed: number; published: number } } | undefined {
    const { breakers, leader } = this.rt;
    return breakers && leader ? { breakers: breakers.stats, health: leader.counts } : undefined;
  }

  /** This replica's cluster (`cluster:` block, DESIGN §16): status, replica id, Redis up; undefined without one. */
  get cluster(): ClusterView | undefined {
    return this.rt.cluster;
  }

  /** The admin settings of the config (`admin:` block). */
  get adminConfig(): ResolvedConfig['admin'] {
    return this.admin;
  }

  /** Subscribes to one event type; returns the unsubscribe function. A listener that throws is reported as an `error` event. */
  on<T extends SwitchboardEventType>(type: T, listener: SwitchboardEventMap[T]): () => void {
    return this.rt.hub.on(type, listener);
  }

  /** Stops every server and rejects every pending call with Stopped; resolves once every process is gone. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.rt.stopped = true;
      this.rt.servers.settleBreakers();
      this.actor.send({ type: 'manager.stop' });
      this.rt.calls.rejectAll('stopped', stoppedError);
      this.actor.stop();
      this.settleStart();
      if ('close' in this.rt.tokens) this.rt.tokens.close();
      // The lease is released first (another replica takes over at once), then the bus closes.
      await this.rt.leader?.stop();
      await Promise.all([this.rt.closing.drain(), this.rt.cluster?.stop()]);
    })();
    return this.stopPromise;
  }

  /** A server's `limits.maxResultChars` (0 = off), read when a call starts. */
  private readonly maxResultChars = (server: string): number => this.rt.servers.get(server)?.config.limits.maxResultChars ?? 0;

  private requireEnabled(name: string): void {
    if (!this.rt.servers.isEnabled(name)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${name}"`);
  }
}

/**
 * Creates a switchboard from a config object or `{ configPath }`. The config is validated here:
 * a bad config throws ConfigError synchronously. Nothing connects until `start()`.
 */
export function createSwitchboard(input: SwitchboardInput, options: SwitchboardOptions = {}): Switchboard {
  return new Switchboard(resolveInput(input, resolveOptions(options)), options);
}

/** How the facade's options shape config resolution: the variables, and the servers given in code. */
function resolveOptions(options: SwitchboardOptions): { env?: NodeJS.ProcessEnv; codeServers: string[] } {
  const codeServers = Object.keys(options.transports ?? {});
  return options.env ? { env: options.env, codeServers } : { codeServers };
}
