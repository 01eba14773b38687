import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { MANAGER_SYSTEM_ID } from '../machines/circuitBreaker.js';
import { managerMachine } from '../machines/manager.js';
import { serverConnectionMachine } from '../machines/serverConnection.js';
import type { ToolInfo } from '../machines/types.js';
import { argumentsProblem } from './callInput.js';
import { PendingCalls } from './calls.js';
import { toRuntimeClock, type RuntimeClock } from './clock.js';
import { ClosingTracker } from './closing.js';
import type { CallToolOptions, SwitchboardInput, SwitchboardOptions } from './options.js';
import { CallOutbox } from './outbox.js';
import { loadConfigFileSync } from './config/load.js';
import { mergePolicy, resolveConfig, serverNameProblem } from './config/resolve.js';
import { DEFAULT_POLICY, type PolicyOverrides, type ResolvedConfig, type RuntimeServer } from './config/schema.js';
import { ConfigError, stoppedError, SwitchboardError, unroutable } from './errors.js';
import { EventHub } from './eventHub.js';
import type { SwitchboardEventMap, SwitchboardEventType } from './events.js';
import { HealthProbes, type HealthReport } from './health.js';
import { toManagedServer } from './managedServer.js';
import { ServerRegistry } from './registry.js';
import { describeServer, type ServerStatus } from './serverView.js';
import { BreakerGate } from './session/breakerGate.js';
import type { TransportSource } from './session/connect.js';
import { createSessionLogic, type SessionPorts } from './session/session.js';
import { ToolIndex } from './routing.js';

export type { CallToolOptions, SwitchboardInput, SwitchboardOptions } from './options.js';

type RootActor = Actor<typeof managerMachine>;

/** The switchboard: many MCP servers behind one supervised, typed facade. Create it with `createSwitchboard`. */
export class Switchboard {
  /** The root XState actor (the manager), for inspection. */
  readonly actor: RootActor;
  /** Non-fatal notes about the config, e.g. unknown keys skipped in an `mcpServers` file. */
  readonly warnings: readonly string[];
  private readonly clock: RuntimeClock;
  private readonly registry = new ServerRegistry();
  private readonly closing = new ClosingTracker();
  private readonly hub: EventHub;
  private readonly calls: PendingCalls;
  private readonly probes: HealthProbes;
  private readonly random: () => number;
  private readonly defaults: PolicyOverrides | undefined;
  private readonly admin: ResolvedConfig['admin'];
  private index: { catalogs: object; index: ToolIndex } | null = null;
  private startPromise: Promise<void> | null = null;
  private settleStart: () => void = () => undefined;
  private readonly outbox = new CallOutbox((server, requestIds) => {
    if (!this.stopPromise) this.actor.send({ type: 'tool.call', requestIds, server });
  });
  private stopPromise: Promise<void> | null = null;

  constructor(config: ResolvedConfig, private readonly options: SwitchboardOptions = {}) {
    this.clock = toRuntimeClock(options.clock);
    this.random = options.random ?? Math.random;
    this.defaults = config.defaults;
    this.warnings = config.warnings;
    this.admin = config.admin;
    this.hub = new EventHub(options.logger, (text) => this.redact(text));
    for (const warning of config.warnings) options.logger?.log('warn', warning);
    for (const server of Object.values(config.servers)) this.registry.add(server, this.transportOf(server.name));
    for (const [name, transport] of Object.entries(options.transports ?? {})) {
      // A server given only as a transport still gets the config's `defaults`.
      if (!this.registry.has(name)) this.registry.add({ ...mergePolicy(DEFAULT_POLICY, config.defaults), name, transport: 'custom', enabled: true, secrets: [] }, transport);
    }
    this.calls = new PendingCalls(this.clock, (event) => this.hub.publish(event), () => this.hub.wants('call.completed'));
    this.probes = new HealthProbes(this.clock);
    const logic = managerMachine.provide({
      actors: { connection: serverConnectionMachine.provide({ actors: { session: createSessionLogic((name) => this.portsOf(name)) } }) },
    });
    const enabled = this.registry.all().filter((s) => s.config.enabled);
    const actorOptions: Parameters<typeof createActor<typeof logic>>[1] = {
      input: { servers: enabled.map((s) => toManagedServer(s.config, this.seed(), restartable(s.config, s.transport))) },
      clock: this.clock,
      systemId: MANAGER_SYSTEM_ID,
    };
    if (options.inspect) actorOptions.inspect = options.inspect;
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
        if (!this.stopPromise && !this.allSettled()) return;
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

  /** Every tool of every enabled server (or of one), from the last known catalogs. */
  listTools(server?: string): ToolInfo[] {
    const index = this.toolIndex();
    return server === undefined ? index.tools() : index.toolsOf(server);
  }

  /** Calls a tool by bare, qualified or `server__tool` name; resolves with the server's result unchanged. */
  callTool(name: string, args?: Record<string, unknown>, options: CallToolOptions = {}): Promise<CallToolResult> {
    if (this.stopPromise) return Promise.reject(stoppedError());
    let route;
    try {
      route = this.toolIndex().resolve(name, options.server, (s) => this.registry.isEnabled(s), () => this.unconnected());
    } catch (error) {
      return Promise.reject(error);
    }
    const server = this.registry.get(route.server)!.config;
    const problem = argumentsProblem(args, server.limits.maxMessageBytes);
    if (problem) return Promise.reject(problem);
    const timeoutMs = Math.min(options.timeoutMs ?? server.timeouts.callMs, server.timeouts.maxCallMs);
    const { requestId, promise } = this.calls.open({
      server: route.server,
      tool: route.tool,
      args,
      meta: options.meta,
      timeoutMs,
      maxTimeoutMs: server.timeouts.maxCallMs,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    this.outbox.push(route.server, requestId);
    return promise;
  }

  /** One server's status, or undefined when no such server is configured. */
  getServer(name: string): ServerStatus | undefined {
    const entry = this.registry.get(name);
    if (!entry) return undefined;
    const status = describeServer(entry.config, this.child(`server:${name}`), this.child(`breaker:${name}`), entry.stderr, this.clock.now());
    const failed = this.failure(name);
    if (failed) return { ...status, state: 'error', lastError: failed };
    // After stop() no actor is left: an enabled server is then stopped, not disabled.
    return this.stopPromise && entry.config.enabled ? { ...status, state: 'disconnected', substate: 'stopped' } : status;
  }

  /** Every configured server's status. */
  listServers(): ServerStatus[] {
    return this.registry.all().map((entry) => this.getServer(entry.name)!);
  }

  /** Live ping round trip of every enabled server (or one); error messages are masked. */
  async health(server?: string): Promise<Record<string, HealthReport>> {
    if (server !== undefined && !this.registry.has(server)) throw new SwitchboardError('ServerNotFound', `no server named "${server}"`);
    const names = server !== undefined ? [server] : this.registry.all().filter((s) => s.config.enabled).map((s) => s.name);
    const reports = await Promise.all(names.map(async (name) => [name, this.maskReport(name, await this.probes.probe(name, this.registry.get(name)!.config.health.timeoutMs))] as const));
    return Object.fromEntries(reports);
  }

  /** Adds and (once started) connects a server; a bad config throws ConfigError. */
  addServer(name: string, config: unknown): void {
    if (this.stopPromise) throw stoppedError();
    const problem = serverNameProblem(name);
    if (problem) throw new ConfigError([{ path: `servers.${name}`, message: problem }]);
    if (this.registry.has(name)) throw new ConfigError([{ path: `servers.${name}`, message: 'a server with this name exists already' }]);
    const resolved = resolveConfig({ servers: { [name]: config }, ...(this.defaults ? { defaults: this.defaults } : {}) }, this.envOption());
    const server = resolved.servers[name]!;
    const transport = this.transportOf(name);
    this.registry.add(server, transport);
    if (server.enabled) this.actor.send({ type: 'server.add', server: toManagedServer(server, this.seed(), restartable(server, transport)) });
  }

  /** Stops and forgets a server; its tools disappear and its process is ended before this resolves. */
  async removeServer(name: string): Promise<void> {
    if (!this.registry.has(name)) throw new SwitchboardError('ServerNotFound', `no server named "${name}"`);
    this.actor.send({ type: 'server.remove', name });
    await this.closing.drain();
    this.registry.remove(name);
  }

  /** Forces a fresh connection now, from any state, forgetting earlier failures. */
  reconnect(name: string): void {
    this.requireEnabled(name);
    if (this.failure(name)) {
      // Its actors failed and are gone: supervise it afresh.
      const entry = this.registry.get(name)!;
      this.actor.send({ type: 'server.remove', name });
      this.actor.send({ type: 'server.add', server: toManagedServer(entry.config, this.seed(), restartable(entry.config, entry.transport)) });
      return;
    }
    this.actor.send({ type: 'server.reconnect', name });
  }

  /** Closes a server's circuit breaker and clears its window. */
  resetBreaker(name: string): void {
    this.requireEnabled(name);
    this.actor.send({ type: 'breaker.reset', name, at: this.clock.now() });
  }

  /** Masks every configured secret (every `${VAR}` value, header and env values, URL query values of every server) in `text`. */
  redact(text: string): string {
    return this.registry.redactAll(text);
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

  private portsOf(name: string): SessionPorts | undefined {
    const server = this.registry.get(name);
    if (!server) return undefined;
    return {
      server,
      calls: this.calls,
      breaker: new BreakerGate(() => this.actor.system.get(`breaker:${name}`), name, this.clock),
      clock: this.clock,
      clientInfo: this.options.clientInfo ?? { name: 'mcp-switchboard', version: '0.1.0' },
      annotations: (tool) => this.catalogOf(name).find((t) => t.name === tool)?.annotations,
      track: (closing) => this.closing.track(closing),
      log: (level, message) => this.hub.publish({ type: 'server.log', server: name, level, message }),
      registerProbe: (pinger) => this.probes.register(name, pinger),
    };
  }

  private catalogOf(name: string): ToolInfo[] {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    return Object.hasOwn(catalogs, name) ? catalogs[name]! : [];
  }

  private failure(name: string) {
    const failed = this.actor.getSnapshot().context.failed;
    return Object.hasOwn(failed, name) ? failed[name]! : undefined;
  }

  private child(id: string): AnyActorRef | undefined {
    const children = this.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    return Object.hasOwn(children, id) ? children[id] : undefined;
  }

  private maskReport(name: string, report: HealthReport): HealthReport {
    return report.error ? { ...report, error: { ...report.error, message: this.registry.redact(name, report.error.message) } } : report;
  }

  /** Enabled servers that are not connected now, for messages that must say why a name is unknown. */
  private unconnected(): string[] {
    return this.registry.all().filter((s) => s.config.enabled && this.getServer(s.name)?.state !== 'connected').map((s) => s.name);
  }

  private allSettled(): boolean {
    for (const entry of this.registry.all()) {
      if (!entry.config.enabled || this.failure(entry.name)) continue;
      const child = this.child(`server:${entry.name}`);
      if (child && !child.getSnapshot().hasTag('settled')) return false;
    }
    return true;
  }

  private toolIndex(): ToolIndex {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    if (this.index?.catalogs !== catalogs) this.index = { catalogs, index: new ToolIndex(catalogs) };
    return this.index.index;
  }

  private requireEnabled(name: string): void {
    if (!this.registry.isEnabled(name)) throw new SwitchboardError('ServerNotFound', `no enabled server named "${name}"`);
  }

  private seed(): number {
    return Math.floor(this.random() * 2 ** 31);
  }

  private envOption(): { env?: NodeJS.ProcessEnv } {
    return this.options.env ? { env: this.options.env } : {};
  }
}

/** Whether a stopped session can start again by itself (idle stop needs a fresh transport each time). */
function restartable(server: RuntimeServer, transport: TransportSource | undefined): boolean {
  return transport ? typeof transport === 'function' : server.transport === 'stdio';
}

/**
 * Creates a switchboard from a config object or `{ configPath }`. The config is validated here:
 * a bad config throws ConfigError synchronously. Nothing connects until `start()`.
 */
export function createSwitchboard(input: SwitchboardInput, options: SwitchboardOptions = {}): Switchboard {
  const env = options.env ? { env: options.env } : {};
  const isPath = input && typeof input === 'object' && 'configPath' in input && typeof input.configPath === 'string';
  const resolved = isPath ? loadConfigFileSync((input as { configPath: string }).configPath, env) : resolveConfig(input, env);
  return new Switchboard(resolved, options);
}
