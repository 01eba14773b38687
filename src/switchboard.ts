import { createActor, type Actor } from 'xstate';
import { MANAGER_SYSTEM_ID } from '../machines/circuitBreaker.js';
import { managerMachine } from '../machines/manager.js';
import type { ToolInfo } from '../machines/types.js';
import { PendingCalls } from './calls/index.js';
import { toRuntimeClock, type RuntimeClock } from './core/clock.js';
import { ClosingTracker } from './closing.js';
import type { CallToolOptions, SwitchboardInput, SwitchboardOptions } from './options.js';
import type { CallToolResult, Root } from './protocol/index.js';
import { CallPath } from './calls/index.js';
import { resolveInput } from './config/load.js';
import type { ResolvedConfig } from './config/schema.js';
import type { ReloadResult } from './reload.js';
import { ServerSet } from './serverSet.js';
import { stoppedError, SwitchboardError, unroutable } from './core/errors.js';
import { EventHub } from './eventHub.js';
import type { SwitchboardEventMap, SwitchboardEventType } from './events.js';
import { HealthProbes } from './health.js';
import { restartable, toManagedServer } from './managedServer.js';
import { ServerRegistry } from './registry.js';
import type { TransportSource } from './protocol/index.js';
import { CatalogIndex } from './routing/index.js';
import { ClientSurface, type RequestOptions, type RequestSpec } from './surface.js';
import { SurfaceMethods } from './surfaceMethods.js';
import { LiveClients } from './liveClients.js';
import { resolveTokenStore } from './auth/index.js';
import { summarizingObserver } from './inspection/index.js';
import { supervisedLogic, type PortSources } from './ports.js';
import { BreakerGates, LocalBreakerStore } from './breaker/index.js';
import { ServerStatusView } from './status.js';

export type { CallToolOptions, SwitchboardInput, SwitchboardOptions } from './options.js';

type RootActor = Actor<typeof managerMachine>;
/** The switchboard: many MCP servers behind one supervised, typed facade. Create it with `createSwitchboard`. */
export class Switchboard extends SurfaceMethods {
  /** The root XState actor (the manager), for inspection. */
  readonly actor: RootActor;
  /** Non-fatal notes about the config, e.g. unknown keys skipped in an `mcpServers` file. */
  readonly warnings: readonly string[];
  private readonly clock: RuntimeClock;
  private readonly registry = new ServerRegistry();
  private readonly closing = new ClosingTracker();
  private readonly hub: EventHub;
  private readonly templateWarnings = new Set<string>();
  private readonly calls: PendingCalls;
  private readonly probes: HealthProbes;
  private readonly servers: ServerSet;
  private readonly admin: ResolvedConfig['admin'];
  private gateway: ResolvedConfig['gateway'];
  private index: { catalogs: object; index: CatalogIndex } | null = null;
  private readonly clientSurface: ClientSurface;
  private readonly status: ServerStatusView;
  /** Live clients, roots and resource subscriptions of the servers' sessions. */
  private readonly live = new LiveClients();
  private startPromise: Promise<void> | null = null;
  private settleStart: () => void = () => undefined;
  private readonly path: CallPath;
  private readonly gates: BreakerGates;
  private stopPromise: Promise<void> | null = null;

  constructor(config: ResolvedConfig, private readonly options: SwitchboardOptions = {}) {
    super();
    this.clock = toRuntimeClock(options.clock);
    this.warnings = config.warnings;
    this.admin = config.admin;
    this.gateway = config.gateway;
    this.hub = new EventHub(options.logger, (text) => this.redact(text));
    for (const warning of config.warnings) options.logger?.log('warn', warning);
    for (const server of Object.values(config.servers)) this.registry.add(server, this.transportOf(server.name));
    for (const [name, transport] of Object.entries(options.transports ?? {})) if (!this.registry.has(name)) this.registry.addCustom(name, transport, config.defaults);
    this.calls = new PendingCalls(this.clock, (event) => this.hub.publish(event), () => this.hub.wants('call.completed'));
    this.path = new CallPath(this.registry, this.calls, (server, requestIds) => {
      if (!this.stopPromise) this.actor.send({ type: 'tool.call', requestIds, server });
    });
    this.probes = new HealthProbes(this.clock);
    this.gates = new BreakerGates(new LocalBreakerStore((name) => this.actor.system.get(`breaker:${name}`)), this.clock);
    this.status = new ServerStatusView(this.registry, { getSnapshot: () => this.actor.getSnapshot() }, this.probes, this.clock, () => this.stopPromise !== null, (name) => this.gates.settle(name));
    this.clientSurface = new ClientSurface({
      index: () => this.catalogIndex(),
      isEnabled: (name) => this.registry.isEnabled(name),
      unconnected: () => this.status.unconnected(),
      facts: (name) => this.status.facts(name),
      connected: () => this.status.connected(),
      maxMessageBytes: (name) => this.registry.get(name)!.config.limits.maxMessageBytes,
      request: (server, spec, options) => this.request(server, spec, options),
      subscriptions: this.live.subscriptions,
    });
    const sources: PortSources = {
      registry: this.registry,
      calls: this.calls,
      clock: this.clock,
      hub: this.hub,
      probes: this.probes,
      closing: this.closing,
      clientInfo: options.clientInfo ?? { name: 'mcp-switchboard', version: '0.1.0' },
      handlers: options.handlers,
      gates: this.gates,
      tools: (name) => {
        const catalogs = this.actor.getSnapshot().context.catalogs;
        return Object.hasOwn(catalogs, name) ? catalogs[name]!.tools : [];
      },
      roots: () => this.live.roots(),
      subscriptions: this.live.subscriptions,
      clients: this.live.clients,
      tokenStore: resolveTokenStore(options.tokenStore),
      authorize: options.authorize,
    };
    this.servers = new ServerSet(
      {
        registry: this.registry,
        calls: this.calls,
        closing: this.closing,
        hub: this.hub,
        gates: this.gates,
        send: (event) => this.actor.send(event),
        failure: (name) => this.status.failure(name),
        transportOf: (name) => this.transportOf(name),
        env: options.env ? { env: options.env } : {},
        random: options.random ?? Math.random,
        applied: (next) => {
          this.gateway = next.gateway;
        },
      },
      config.defaults,
    );
    const logic = supervisedLogic(sources);
    const enabled = this.registry.all().filter((s) => s.config.enabled);
    const actorOptions: Parameters<typeof createActor<typeof logic>>[1] = {
      input: { servers: enabled.map((s) => toManagedServer(s.config, this.servers.seed(), restartable(s.config, s.transport))) },
      clock: this.clock,
      systemId: MANAGER_SYSTEM_ID,
    };
    // Inspectors see summaries: catalogs as counts, never a whole catalog per call (DESIGN §6).
    if (options.inspect) actorOptions.inspect = summarizingObserver(options.inspect, (text) => this.redact(text));
    this.actor = createActor(logic, actorOptions);
    // An unobserved actor error would crash the host process; report it instead.
    this.actor.subscribe({ error: (error) => this.hub.publish({ type: 'error', error: { code: 'InternalError', message: this.redact(String((error as Error)?.message ?? error)) } }) });
    this.actor.on('*', (event) => {
      if (event.type !== 'call.unroutable') this.hub.publish(event);
      else for (const id of event.requestIds) this.calls.reject(id, unroutable(event.server, event.reason));
    });
    this.actor.start();
  }

  /** Connects every enabled server; resolves when each is connected, in `error` or backing off. */
  start(): Promise<void> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    this.startPromise ??= new Promise<void>((resolve) => {
      const check = () => {
        if (!this.stopPromise && !this.status.allSettled()) return;
        off();
        resolve();
      };
      const off = this.on('server.stateChanged', check);
      // stop() during start() ends the wait too: a stopped actor sends no more events.
      this.settleStart = check;
      this.actor.send({ type: 'manager.start' });
      check();
    });
    return this.startPromise;
  }

  /** Every tool of every enabled server (or of one), from the last known catalogs, with `available`. */
  listTools(server?: string): ToolInfo[] {
    const tools = this.catalogIndex().tools;
    return this.status.withAvailability(server === undefined ? tools.tools() : tools.toolsOf(server));
  }

  /** Replaces the roots given to servers and tells every connected server (`notifications/roots/list_changed`). */
  setRoots(roots: Root[]): void {
    this.live.setRoots(roots);
  }

  protected surface(): ClientSurface {
    return this.clientSurface;
  }

  protected statusView(): ServerStatusView {
    return this.status;
  }

  /** Calls a tool by bare, qualified or `server__tool` name; resolves with the server's result unchanged. */
  callTool(name: string, args?: Record<string, unknown>, options: CallToolOptions = {}): Promise<CallToolResult> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    let route;
    let task = false;
    try {
      const index = this.catalogIndex().tools;
      route = index.resolve(name, options.server, (s) => this.registry.isEnabled(s), () => this.status.unconnected());
      task = index.find(route)?.execution?.taskSupport === 'required';
    } catch (error) {
      return Promise.reject(error);
    }
    return this.path.open<CallToolResult>(route.server, { tool: route.tool, args, meta: options.meta, task }, options);
  }

  /** Admits one request of the surface beyond tools, through the same path as a tool call. */
  private request<T>(server: string, spec: RequestSpec, options: RequestOptions): Promise<T> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    return this.path.open<T>(server, { kind: spec.kind, tool: spec.name, args: undefined, meta: undefined, method: spec.method, params: spec.params, readOnly: spec.readOnly }, options);
  }

  /** Adds and (once started) connects a server; a bad config throws ConfigError. */
  addServer(name: string, config: unknown): void {
    if (this.stopPromise) throw stoppedError();
    this.servers.add(name, config);
  }

  /** Stops and forgets a server; its tools disappear and its process is ended before this resolves. */
  removeServer(name: string): Promise<void> {
    return this.servers.remove(name);
  }

  /**
   * Applies a new config without a restart (DESIGN §13): validated first (a bad one throws
   * ConfigError, emits `config.rejected` and changes nothing), then added servers start, removed
   * ones stop, changed ones restart — their calls in flight get `timeouts.shutdownMs` to finish,
   * then `Stopped` — and unchanged ones are not touched (same process, session and breaker).
   */
  async reload(input: SwitchboardInput): Promise<ReloadResult> {
    if (this.stopPromise) throw stoppedError();
    return this.servers.reload(resolveInput, input);
  }

  /** Forces a fresh connection now, from any state, forgetting earlier failures. */
  reconnect(name: string): void {
    this.requireEnabled(name);
    this.servers.reconnect(name);
  }

  /** Closes a server's circuit breaker and clears its window. */
  resetBreaker(name: string): void {
    this.requireEnabled(name);
    this.gates.settle(name);
    this.actor.send({ type: 'breaker.reset', name, at: this.clock.now() });
  }

  /** Masks every configured secret (every `${VAR}` value, header and env values, URL query values of every server) in `text`. */
  redact(text: string): string {
    return this.registry.redactAll(text);
  }

  /** The gateway settings of the config in force (`gateway:` block; a reload updates them). */
  get gatewayConfig(): ResolvedConfig['gateway'] {
    return this.gateway;
  }

  /** Tells every connected server that the roots changed (`notifications/roots/list_changed`), keeping them. */
  notifyRootsChanged(): void {
    this.live.announceRoots();
  }

  /** The admin settings of the config (`admin:` block). */
  get adminConfig(): ResolvedConfig['admin'] {
    return this.admin;
  }

  /** Subscribes to one event type; returns the unsubscribe function. A listener that throws is reported as an `error` event. */
  on<T extends SwitchboardEventType>(type: T, listener: SwitchboardEventMap[T]): () => void {
    return this.hub.on(type, listener);
  }

  /** Stops every server and rejects every pending call with Stopped; resolves once every process is gone. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.gates.settle();
      this.actor.send({ type: 'manager.stop' });
      this.calls.rejectAll('stopped', stoppedError);
      this.actor.stop();
      this.settleStart();
      await this.closing.drain();
    })();
    return this.stopPromise;
  }

  /** The embedder's transport for a server; own properties only (a server may be named `toString`). */
  private transportOf(name: string): TransportSource | undefined {
    const transports = this.options.transports;
    return transports && Object.hasOwn(transports, name) ? transports[name] : undefined;
  }

  private catalogIndex(): CatalogIndex {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    if (this.index?.catalogs !== catalogs) {
      this.index = { catalogs, index: new CatalogIndex(catalogs) };
      // Templates a server lists past the routing caps: said once per text, not on every rebuild.
      for (const warning of this.index.index.warnings) {
        if (this.templateWarnings.has(warning)) continue;
        this.templateWarnings.add(warning);
        this.options.logger?.log('warn', this.redact(warning));
      }
    }
    return this.index.index;
  }

  private requireEnabled(name: string): void {
    if (!this.registry.isEnabled(name)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${name}"`);
  }
}

/**
 * Creates a switchboard from a config object or `{ configPath }`. The config is validated here:
 * a bad config throws ConfigError synchronously. Nothing connects until `start()`.
 */
export function createSwitchboard(input: SwitchboardInput, options: SwitchboardOptions = {}): Switchboard {
  return new Switchboard(resolveInput(input, options.env ? { env: options.env } : {}), options);
}
