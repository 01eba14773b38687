import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { EventEmitter } from 'eventemitter3';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { managerMachine } from '../machines/manager.js';
import { serverConnectionMachine } from '../machines/serverConnection.js';
import type { ToolInfo } from '../machines/types.js';
import { PendingCalls } from './calls.js';
import { toRuntimeClock, type Clock, type RuntimeClock } from './clock.js';
import { loadConfigFileSync } from './config/load.js';
import { resolveConfig, serverNameProblem } from './config/resolve.js';
import { DEFAULT_POLICY, type PolicyOverrides, type ResolvedConfig, type RuntimeServer, type SwitchboardConfig } from './config/schema.js';
import { ConfigError, SwitchboardError } from './errors.js';
import type { EventOf, SwitchboardEvent, SwitchboardEventMap, SwitchboardEventType } from './events.js';
import { toManagedServer } from './managedServer.js';
import { redactText, secretsOf } from './redact.js';
import { ToolIndex } from './routing.js';
import { describeServer, type ServerStatus } from './serverView.js';
import { createSessionLogic, type SessionRuntime } from './session/session.js';
import type { TransportSource } from './session/connect.js';
import { StderrRing } from './session/stderrRing.js';
import { HealthProbes, type HealthReport } from './health.js';

/** Options of `createSwitchboard`. */
export interface SwitchboardOptions {
  /** XState inspection observer (e.g. the Stately inspector's). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** The clock of every timer and deadline; tests pass XState's `SimulatedClock`. Defaults to real time. */
  clock?: Clock;
  /** Ready SDK transports (or factories of fresh ones) by server name; kept out of config and context. */
  transports?: Record<string, TransportSource>;
  /** Variables for `${VAR}` in the config. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Source of the backoff jitter seeds. Defaults to `Math.random`. */
  random?: () => number;
  /** Name and version sent in `initialize`. */
  clientInfo?: { name: string; version: string };
}

/** Per-call options of `callTool`. */
export interface CallToolOptions {
  /** Route to this server (the name may then be bare or qualified). */
  server?: string;
  /** Deadline for waiting, queueing and the call itself. Defaults to the server's `timeouts.callMs`. */
  timeoutMs?: number;
  /** Aborting it rejects the call with `Cancelled` and sends `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Progress notifications; each one extends the deadline up to `timeouts.maxCallMs`. */
  onProgress?: (progress: Progress) => void;
  /** Passed to the server as `_meta`. */
  meta?: Record<string, unknown>;
}

export type SwitchboardInput = SwitchboardConfig | { configPath: string };

type RootActor = Actor<typeof managerMachine>;

/** The switchboard: many MCP servers behind one supervised, typed facade. Create it with `createSwitchboard`. */
export class Switchboard {
  /** The root XState actor (the manager), for inspection. */
  readonly actor: RootActor;
  /** Non-fatal notes about the config, e.g. unknown keys skipped in an `mcpServers` file. */
  readonly warnings: readonly string[];
  private readonly clock: RuntimeClock;
  private readonly servers = new Map<string, RuntimeServer>();
  private readonly secrets = new Map<string, string[]>();
  private readonly stderrRings = new Map<string, StderrRing>();
  private readonly closing = new Set<Promise<unknown>>();
  private readonly emitter = new EventEmitter();
  private readonly calls: PendingCalls;
  private readonly probes: HealthProbes;
  private readonly random: () => number;
  private readonly defaults: PolicyOverrides | undefined;
  private readonly admin: ResolvedConfig['admin'];
  private index: { catalogs: object; index: ToolIndex } | null = null;
  private startPromise: Promise<void> | null = null;
  private settleStart: () => void = () => undefined;
  private outbox = new Map<string, string[]>();
  private flushScheduled = false;
  private stopPromise: Promise<void> | null = null;

  constructor(config: ResolvedConfig, private readonly options: SwitchboardOptions = {}) {
    this.clock = toRuntimeClock(options.clock);
    this.random = options.random ?? Math.random;
    this.defaults = config.defaults;
    this.warnings = config.warnings;
    this.admin = config.admin;
    for (const server of Object.values(config.servers)) this.register(server);
    for (const name of Object.keys(options.transports ?? {})) {
      if (!this.servers.has(name)) this.register({ ...structuredClone(DEFAULT_POLICY), name, transport: 'custom', enabled: true });
    }
    this.calls = new PendingCalls(
      this.clock,
      (event) => this.publish(event),
      () => this.emitter.listenerCount('call.completed') > 0,
    );
    this.probes = new HealthProbes(this.clock);
    const runtime: SessionRuntime = {
      calls: this.calls,
      clock: this.clock,
      config: (name) => this.servers.get(name),
      transport: (name) => options.transports?.[name],
      stderr: (name) => this.stderrOf(name),
      track: (promise) => this.track(promise),
      log: (server, level, message) => this.publish({ type: 'server.log', server, level, message }),
      redact: (server, text) => redactText(text, this.secrets.get(server) ?? []),
      clientInfo: options.clientInfo ?? { name: 'mcp-switchboard', version: '0.1.0' },
      probes: this.probes,
    };
    const logic = managerMachine.provide({
      actors: { connection: serverConnectionMachine.provide({ actors: { session: createSessionLogic(runtime) } }) },
    });
    const enabled = [...this.servers.values()].filter((s) => s.enabled);
    const actorOptions: Parameters<typeof createActor<typeof logic>>[1] = {
      input: { servers: enabled.map((s) => toManagedServer(s, this.seed())) },
      clock: this.clock,
    };
    if (options.inspect) actorOptions.inspect = options.inspect;
    this.actor = createActor(logic, actorOptions);
    // An unobserved actor error would crash the host process; report it instead.
    this.actor.subscribe({ error: (error) => this.publish({ type: 'error', error: { code: 'InternalError', message: String((error as Error)?.message ?? error) } }) });
    this.actor.on('*', (event) => {
      if (event.type !== 'call.unroutable') this.publish(event);
      else for (const id of event.requestIds) this.calls.reject(id, new SwitchboardError('ServerNotFound', `server "${event.server}" was removed`));
    });
    this.actor.start();
  }

  /** Connects every enabled server; resolves when each is connected, in `error` or backing off. */
  start(): Promise<void> {
    if (this.stopPromise) return Promise.reject(this.stoppedError());
    this.startPromise ??= new Promise<void>((resolve) => {
      const check = () => {
        if (this.stopPromise || this.allSettled()) {
          off();
          resolve();
        }
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
    const catalogs = this.actor.getSnapshot().context.catalogs;
    if (server !== undefined) return [...(catalogs[server] ?? [])];
    return Object.values(catalogs).flat();
  }

  /** Calls a tool by bare, qualified or `server__tool` name; resolves with the server's result unchanged. */
  callTool(name: string, args?: Record<string, unknown>, options: CallToolOptions = {}): Promise<CallToolResult> {
    if (this.stopPromise) return Promise.reject(this.stoppedError());
    let route;
    try {
      route = this.toolIndex().resolve(name, options.server, (s) => this.servers.get(s)?.enabled === true);
    } catch (error) {
      return Promise.reject(error);
    }
    const server = this.servers.get(route.server)!;
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
    this.enqueueCall(route.server, requestId);
    return promise;
  }

  /**
   * Calls travel as `tool.call` events, coalesced per microtask and server: a burst of calls made
   * in one tick (64 callers woken by one batch of answers) costs one event through the manager and
   * the connection instead of one each. A lone call waits one microtask.
   */
  private enqueueCall(server: string, requestId: string): void {
    const batch = this.outbox.get(server);
    if (batch) batch.push(requestId);
    else this.outbox.set(server, [requestId]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushCalls);
    }
  }

  private readonly flushCalls = (): void => {
    this.flushScheduled = false;
    const batches = this.outbox;
    this.outbox = new Map();
    if (this.stopPromise) return;
    for (const [server, requestIds] of batches) this.actor.send({ type: 'tool.call', requestIds, server });
  };

  /** One server's status, or undefined when no such server is configured. */
  getServer(name: string): ServerStatus | undefined {
    const server = this.servers.get(name);
    if (!server) return undefined;
    const system = this.actor.system;
    return describeServer(server, system.get(`server:${name}`), system.get(`breaker:${name}`), this.stderrRings.get(name), this.clock.now());
  }

  /** Every configured server's status. */
  listServers(): ServerStatus[] {
    return [...this.servers.keys()].map((name) => this.getServer(name)!);
  }

  /** Live ping round trip of every connected server (or one). */
  async health(server?: string): Promise<Record<string, HealthReport>> {
    const names = server !== undefined ? [server] : [...this.servers.keys()].filter((n) => this.servers.get(n)!.enabled);
    if (server !== undefined && !this.servers.has(server)) throw new SwitchboardError('ServerNotFound', `no server named "${server}"`);
    const reports = await Promise.all(names.map(async (name) => [name, await this.probes.probe(name, this.servers.get(name)!.health.timeoutMs)] as const));
    return Object.fromEntries(reports);
  }

  /** Adds and (once started) connects a server; a bad config throws ConfigError. */
  addServer(name: string, config: unknown): void {
    if (this.stopPromise) throw this.stoppedError();
    const problem = serverNameProblem(name);
    if (problem) throw new ConfigError([{ path: `servers.${name}`, message: problem }]);
    if (this.servers.has(name)) throw new ConfigError([{ path: `servers.${name}`, message: 'a server with this name exists already' }]);
    const resolved = resolveConfig({ servers: { [name]: config }, ...(this.defaults ? { defaults: this.defaults } : {}) }, this.envOption());
    const server = resolved.servers[name]!;
    this.register(server);
    if (server.enabled) this.actor.send({ type: 'server.add', server: toManagedServer(server, this.seed()) });
  }

  /** Stops and forgets a server; its tools disappear and its process is ended. */
  async removeServer(name: string): Promise<void> {
    if (!this.servers.has(name)) throw new SwitchboardError('ServerNotFound', `no server named "${name}"`);
    this.actor.send({ type: 'server.remove', name });
    this.servers.delete(name);
    this.secrets.delete(name);
    await this.drain();
    this.stderrRings.delete(name);
  }

  /** Forces a fresh connection now, from any state, forgetting earlier failures. */
  reconnect(name: string): void {
    this.requireEnabled(name);
    this.actor.send({ type: 'server.reconnect', name });
  }

  /** Closes a server's circuit breaker and clears its window. */
  resetBreaker(name: string): void {
    this.requireEnabled(name);
    this.actor.send({ type: 'breaker.reset', name, at: this.clock.now() });
  }

  /** Masks every configured secret (header and env values of every server) in `text`. */
  redact(text: string): string {
    let out = text;
    for (const secrets of this.secrets.values()) out = redactText(out, secrets);
    return out;
  }

  /** The admin settings of the config (`admin:` block). */
  get adminConfig(): ResolvedConfig['admin'] {
    return this.admin;
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<T extends SwitchboardEventType>(type: T, listener: SwitchboardEventMap[T]): () => void {
    this.emitter.on(type, listener as (event: EventOf<T>) => void);
    return () => {
      this.emitter.off(type, listener as (event: EventOf<T>) => void);
    };
  }

  /** Stops every server and rejects every pending call with Stopped; idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.calls.rejectAll('stopped', () => this.stoppedError());
      this.actor.stop();
      this.settleStart();
      await this.drain();
    })();
    return this.stopPromise;
  }

  private register(server: RuntimeServer): void {
    this.servers.set(server.name, server);
    this.secrets.set(server.name, secretsOf(server));
  }

  private stderrOf(name: string): StderrRing {
    let ring = this.stderrRings.get(name);
    if (!ring) {
      ring = new StderrRing(this.servers.get(name)?.limits.stderrBufferBytes ?? DEFAULT_POLICY.limits.stderrBufferBytes);
      this.stderrRings.set(name, ring);
    }
    return ring;
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.closing.add(settled);
    void settled.then(() => this.closing.delete(settled));
  }

  /** Waits until every session that is closing has closed (closing may start more). */
  private async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private publish(event: SwitchboardEvent): void {
    if (event.type === 'error' && this.emitter.listenerCount('error') === 0) return;
    this.emitter.emit(event.type, event);
  }

  private allSettled(): boolean {
    for (const [name, server] of this.servers) {
      if (!server.enabled) continue;
      const value = this.actor.system.get(`server:${name}`)?.getSnapshot().value;
      if (value === undefined) continue;
      const settled = value === 'error' || (typeof value === 'object' && ('connected' in value || (value as { disconnected?: string }).disconnected === 'backoff'));
      if (!settled) return false;
    }
    return true;
  }

  private toolIndex(): ToolIndex {
    const catalogs = this.actor.getSnapshot().context.catalogs;
    if (this.index?.catalogs !== catalogs) this.index = { catalogs, index: new ToolIndex(catalogs) };
    return this.index.index;
  }

  private requireEnabled(name: string): void {
    if (this.servers.get(name)?.enabled !== true) throw new SwitchboardError('ServerNotFound', `no enabled server named "${name}"`);
  }

  private seed(): number {
    return Math.floor(this.random() * 2 ** 31);
  }

  private envOption(): { env?: NodeJS.ProcessEnv } {
    return this.options.env ? { env: this.options.env } : {};
  }

  private stoppedError(): SwitchboardError {
    return new SwitchboardError('Stopped', 'the switchboard is stopped');
  }
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

