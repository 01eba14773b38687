import { createHash } from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import { MANAGER_SYSTEM_ID } from '../../machines/circuitBreaker.js';
import { managerMachine } from '../../machines/manager.js';
import { resolveTokenStore, type TokenStore } from '../auth/index.js';
import { LocalBreakerStore } from '../breaker/index.js';
import { CallPath, PendingCalls } from '../calls/index.js';
import { Cluster, createSharedTokenStore, HealthLeader, SharedBreakers, type SharedTokenStore } from '../cluster/index.js';
import type { ResolvedConfig } from '../config/schema.js';
import { toRuntimeClock, type RuntimeClock } from '../core/clock.js';
import { stoppedError, unroutable } from '../core/errors.js';
import { EventHub } from '../events/index.js';
import { redactText } from '../secrets/index.js';
import { summarizingObserver } from '../inspection/index.js';
import type { SwitchboardOptions } from './options.js';
import type { TransportSource } from '../protocol/index.js';
import { CatalogIndex } from '../routing/index.js';
import { ClosingTracker, restartable, Roots, Servers, ServerSet, ServerStatusView, toManagedServer } from '../servers/index.js';
import { supervisedLogic } from '../session/ports.js';
import { ClientSurface, type RequestOptions, type RequestSpec } from './surface.js';

/** What identifies a `cluster:` block for a reload's comparison: its settings, the key and password as hashes only. */
function clusterKey(cluster: ResolvedConfig['cluster']): string {
  if (!cluster) return '';
  const { secrets, tokenKey, ...rest } = cluster;
  const digest = createHash('sha256').update(JSON.stringify([secrets, tokenKey?.toString('base64') ?? null])).digest('hex');
  return JSON.stringify({ ...rest, digest });
}

/** The root actor (the manager), as the facade exposes it for inspection. */
export type RootActor = Actor<typeof managerMachine>;

/**
 * The parts of one switchboard and how they are wired (the facade, `Switchboard`, only routes to
 * them): the server records, the pending calls and their path, the event hub, the status view,
 * the surface beyond tools, the set of servers and the manager actor that supervises them.
 */
export class Runtime {
  readonly actor: RootActor;
  readonly clock: RuntimeClock;
  readonly servers: Servers;
  readonly closing = new ClosingTracker();
  readonly hub: EventHub;
  readonly calls: PendingCalls;
  readonly path: CallPath;
  readonly status: ServerStatusView;
  readonly surface: ClientSurface;
  readonly serverSet: ServerSet;
  readonly roots: Roots;
  /**
   * This replica's membership of a cluster (DESIGN §16), when `cluster:` is configured; started by
   * the facade's `start()`, stopped by its `stop()`. Sharing parts plug in through
   * `this.cluster?.context()` (the bus, the replica id, the clock, a masking logger).
   */
  readonly cluster: Cluster | undefined;
  /** The breakers of http and sse servers shared with the other replicas (DESIGN §16); undefined without a cluster. */
  readonly breakers: SharedBreakers | undefined;
  /** The health leader's lease and results (DESIGN §16); undefined without a cluster. */
  readonly leader: HealthLeader | undefined;
  /** Where OAuth records live: the host's store, or shared through the cluster (encrypted) in front of it. */
  readonly tokens: TokenStore | SharedTokenStore;
  /** The gateway settings of the config in force (a reload replaces them). */
  gateway: ResolvedConfig['gateway'];
  /** Set by `stop()`: nothing new is admitted, and no actor is left to read. */
  stopped = false;
  private readonly clusterSecrets: readonly string[];
  private index: { catalogs: object; index: CatalogIndex } | null = null;
  private readonly templateWarnings = new Set<string>();

  constructor(
    config: ResolvedConfig,
    private readonly options: SwitchboardOptions,
  ) {
    this.clock = toRuntimeClock(options.clock);
    this.gateway = config.gateway;
    this.clusterSecrets = config.cluster?.secrets ?? [];
    this.hub = new EventHub(options.logger, (text) => this.redactAll(text));
    for (const warning of config.warnings) options.logger?.log('warn', warning);
    this.cluster = config.cluster
      ? new Cluster({
          settings: config.cluster,
          bus: options.clusterBus,
          logger: options.logger,
          publish: (event) => this.hub.publish(event),
          clock: this.clock,
          redact: (text) => this.redactAll(text),
        })
      : undefined;
    // Where the sharing parts plug in (breakers, tokens, the health leader, reloads): each takes
    // `this.cluster?.context()`; with no cluster they are the local ones, as before.
    // Only remote servers are shared: a stdio (or in-code) server is one per replica, its breaker this replica's own.
    this.breakers = this.cluster ? new SharedBreakers(this.cluster.context(), (name) => ['http', 'sse'].includes(this.servers.get(name)?.config.transport ?? '')) : undefined;
    // One replica pings remote servers; the others take its results (started and stopped with the cluster).
    this.leader = this.cluster ? new HealthLeader(this.cluster.context(), { timers: this.clock }) : undefined;
    if (this.leader && this.cluster) {
      const cluster = this.cluster;
      this.leader.onChange((id) => cluster.setLeader(id));
    }
    const local = resolveTokenStore(options.tokenStore);
    this.tokens =
      this.cluster && config.cluster?.tokenKey ? createSharedTokenStore(this.cluster.context(), config.cluster.tokenKey, local, { clock: this.clock }) : local;
    // Breakers are the manager's children, looked up when used: a reconnect() may respawn one.
    this.servers = new Servers(new LocalBreakerStore((name) => this.actor.system.get(`breaker:${name}`)), this.clock);
    for (const server of Object.values(config.servers)) this.servers.create(server, this.transportOf(server.name));
    for (const [name, transport] of Object.entries(options.transports ?? {})) {
      if (!this.servers.has(name)) this.servers.createCustom(name, transport, config.defaults);
    }
    this.roots = new Roots(() => this.servers.all());
    this.calls = new PendingCalls(this.clock, (event) => this.hub.publish(event), () => this.hub.wants('call.completed'));
    this.path = new CallPath(this.servers, this.calls, (server, requestIds) => {
      if (!this.stopped) this.actor.send({ type: 'tool.call', requestIds, server });
    });
    this.status = new ServerStatusView(this.servers, { getSnapshot: () => this.actor.getSnapshot() }, this.clock, () => this.stopped);
    this.surface = new ClientSurface({
      index: () => this.catalogIndex(),
      isEnabled: (name) => this.servers.isEnabled(name),
      unconnected: () => this.status.unconnected(),
      facts: (name) => this.status.facts(name),
      connected: () => this.status.connected(),
      maxMessageBytes: (name) => this.servers.get(name)!.config.limits.maxMessageBytes,
      request: (server, spec, requestOptions) => this.request(server, spec, requestOptions),
      subscriptionsOf: (name) => this.servers.get(name),
    });
    this.serverSet = new ServerSet(
      {
        servers: this.servers,
        calls: this.calls,
        closing: this.closing,
        hub: this.hub,
        send: (event) => this.actor.send(event),
        failure: (name) => this.status.failure(name),
        transportOf: (name) => this.transportOf(name),
        env: options.env ? { env: options.env } : {},
        random: options.random ?? Math.random,
        applied: (next) => {
          this.gateway = next.gateway;
          // The cluster is joined at start (its Redis connection, replica id, shared parts): a
          // changed `cluster:` block takes effect at the next start, and says so (never a secret).
          if (clusterKey(next.cluster) !== clusterKey(config.cluster)) {
            options.logger?.log('warn', 'config reload: the cluster: block changed; it applies at the next start (this replica keeps its cluster until then)');
          }
        },
      },
      config.defaults,
    );
    this.actor = this.createManager();
    this.actor.start();
  }

  /** Masks every secret: each server's, and the cluster's (the Redis password, the token key). */
  redactAll(text: string): string {
    const out = this.servers.redactAll(text);
    return this.clusterSecrets.length > 0 ? redactText(out, this.clusterSecrets) : out;
  }

  /** The catalog index of the manager's catalogs, rebuilt only when they changed. */
  catalogIndex(): CatalogIndex {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    if (this.index?.catalogs !== catalogs) {
      // Per-server tools.rename and tools.describe (DESIGN §18) apply wherever a tool is shown or routed.
      this.index = { catalogs, index: new CatalogIndex(catalogs, { tools: (name) => this.servers.get(name)?.config.tools }) };
      // Templates a server lists past the routing caps: said once per text, not on every rebuild.
      for (const warning of this.index.index.warnings) {
        if (this.templateWarnings.has(warning)) continue;
        this.templateWarnings.add(warning);
        this.options.logger?.log('warn', this.servers.redactAll(warning));
      }
    }
    return this.index.index;
  }

  /** Whether `server` has listed its catalog since it was added (its names route by the catalog). */
  listed(server: string): boolean {
    return Object.hasOwn(this.actor.getSnapshot().context.catalogs, server);
  }

  /**
   * Routes a tool name on `server` by its catalog: the tool as the server knows it and whether it
   * runs as a task; undefined while the server has listed nothing. Throws ToolNotFound.
   */
  routeTool(server: string, name: string): { tool: string; task: boolean } | undefined {
    if (!this.listed(server)) return undefined;
    const index = this.catalogIndex().tools;
    const route = index.resolve(name, server, (s) => this.servers.isEnabled(s));
    return { tool: route.tool, task: index.find(route)?.execution?.taskSupport === 'required' };
  }

  /** Admits one request of the surface beyond tools, through the same path as a tool call. */
  private request<T>(server: string, spec: RequestSpec, options: RequestOptions): Promise<T> {
    if (this.stopped) return Promise.reject(stoppedError());
    const { kind, name, method, params, readOnly } = spec;
    return this.path.open<T>(server, { kind, tool: name, args: undefined, meta: undefined, method, params, readOnly }, options);
  }

  /** The embedder's transport for a server; own properties only (a server may be named `toString`). */
  private transportOf(name: string): TransportSource | undefined {
    const transports = this.options.transports;
    return transports && Object.hasOwn(transports, name) ? transports[name] : undefined;
  }

  /** The manager actor over every enabled server (not started yet); its events reach the hub. */
  private createManager(): RootActor {
    const { options } = this;
    const logic = supervisedLogic({
      ...(this.breakers ? { breakers: this.breakers } : {}),
      ...(this.leader ? { health: this.leader } : {}),
      servers: this.servers,
      calls: this.calls,
      clock: this.clock,
      hub: this.hub,
      closing: this.closing,
      clientInfo: options.clientInfo ?? { name: 'mcp-switchboard', version: '0.1.0' },
      handlers: options.handlers,
      tools: (name) => {
        const catalogs = this.actor.getSnapshot().context.catalogs;
        return Object.hasOwn(catalogs, name) ? catalogs[name]!.tools : [];
      },
      route: (server, name) => this.routeTool(server, name),
      roots: () => this.roots.roots(),
      tokenStore: this.tokens,
      authorize: options.authorize,
    });
    const enabled = this.servers.all().filter((s) => s.config.enabled);
    const actorOptions: Parameters<typeof createActor<typeof logic>>[1] = {
      input: { servers: enabled.map((s) => toManagedServer(s.config, this.serverSet.seed(), restartable(s.config, s.transport))) },
      clock: this.clock,
      systemId: MANAGER_SYSTEM_ID,
    };
    // Inspectors see summaries: catalogs as counts, never a whole catalog per call (DESIGN §6).
    if (options.inspect) actorOptions.inspect = summarizingObserver(options.inspect, (text) => this.servers.redactAll(text));
    const actor = createActor(logic, actorOptions);
    // An unobserved actor error would crash the host process; report it instead.
    actor.subscribe({
      error: (error) => {
        const message = this.servers.redactAll(String((error as Error)?.message ?? error));
        this.hub.publish({ type: 'error', error: { code: 'InternalError', message } });
      },
    });
    actor.on('*', (event) => {
      if (event.type !== 'call.unroutable') this.hub.publish(event);
      else for (const id of event.requestIds) this.calls.reject(id, unroutable(event.server, event.reason));
    });
    return actor;
  }
}
