import { resolveConfig, serverNameProblem } from '../config/resolve.js';
import type { PolicyOverrides, ResolvedConfig, ResolvedServer } from '../config/schema.js';
import type { ManagerEvent } from '../../machines/manager.js';
import type { PendingCalls } from '../calls/index.js';
import type { ClosingTracker } from './closing.js';
import { ConfigError, SwitchboardError } from '../core/errors.js';
import type { EventHub } from '../events/index.js';
import { restartable, toManagedServer } from './managedServer.js';
import type { Servers } from './servers.js';
import { diffServers, type ReloadResult } from './reload.js';
import type { TransportSource } from '../protocol/index.js';

/** What changing the set of servers needs from the facade. */
export interface ServerSetPorts {
  /** The one collection of server records. */
  servers: Servers;
  calls: PendingCalls;
  closing: ClosingTracker;
  hub: EventHub;
  /** Sends to the manager actor. */
  send(event: ManagerEvent): void;
  /** What a server's actor threw, when it failed. */
  failure(name: string): unknown;
  transportOf(name: string): TransportSource | undefined;
  /** `${VAR}` values of servers added later. */
  env: { env?: NodeJS.ProcessEnv };
  /** Seeds of the backoff jitter. */
  random: () => number;
  /** A new config took effect (after its servers were applied). */
  applied(config: ResolvedConfig): void;
}

/**
 * Changes to the set of supervised servers: add, remove, reconnect a failed one, and reload a
 * whole config (DESIGN §13). The server records and the manager's children change together here,
 * so the records and the actor system never disagree about which servers exist: adding a server
 * creates one record, removing it deletes that record (subscriptions, gate, probe, session and
 * consent state with it), and a reload replaces the record of each changed server.
 */
export class ServerSet {
  constructor(
    private readonly ports: ServerSetPorts,
    /** The `defaults` block of the config in force, applied to servers added later too. */
    private defaults: PolicyOverrides | undefined,
  ) {}

  /** Validates and adds a server (one new record); a bad config or a taken name throws ConfigError. */
  add(name: string, config: unknown): void {
    const problem = serverNameProblem(name);
    if (problem) throw new ConfigError([{ path: `servers.${name}`, message: problem }]);
    if (this.ports.servers.has(name)) throw new ConfigError([{ path: `servers.${name}`, message: 'a server with this name exists already' }]);
    const resolved = resolveConfig({ servers: { [name]: config }, ...(this.defaults ? { defaults: this.defaults } : {}) }, this.ports.env);
    this.admit(resolved.servers[name]!);
  }

  /** Stops a server's actors, waits until its sessions closed, then deletes its record. */
  async remove(name: string): Promise<void> {
    const record = this.ports.servers.get(name);
    if (!record) throw new SwitchboardError('ServerNotFound', `no server named "${name}"`);
    record.gate.settle();
    this.ports.send({ type: 'server.remove', name });
    await this.ports.closing.drain();
    // Another remove of the same name may have deleted it (and an add made a new one) meanwhile.
    if (this.ports.servers.get(name) === record) this.ports.servers.delete(name);
  }

  /** A fresh connection now; a server whose actors failed (and are gone) is supervised afresh. */
  reconnect(name: string): void {
    if (!this.ports.failure(name)) {
      this.ports.send({ type: 'server.reconnect', name });
      return;
    }
    const entry = this.ports.servers.get(name)!;
    this.ports.send({ type: 'server.remove', name });
    this.ports.send({ type: 'server.add', server: toManagedServer(entry.config, this.seed(), restartable(entry.config, entry.transport)) });
  }

  /** Applies the config `resolve` returns (it throws ConfigError for a bad one: nothing changes). */
  async reload(resolve: () => ResolvedConfig): Promise<ReloadResult> {
    let next: ResolvedConfig;
    try {
      next = resolve();
    } catch (error) {
      if (error instanceof ConfigError) this.ports.hub.publish({ type: 'config.rejected', issues: error.issues });
      throw error;
    }
    const diff = diffServers(this.ports.servers.all(), next.servers);
    this.defaults = next.defaults;
    await Promise.all(
      [...diff.removed, ...diff.changed].map(async (name) => {
        const old = this.ports.servers.get(name)!.config;
        await this.ports.calls.settleServer(name, old.timeouts.shutdownMs, () => new SwitchboardError('Stopped', `server "${name}" was restarted by a reload`));
        await this.remove(name);
      }),
    );
    for (const name of [...diff.changed, ...diff.added]) this.admit(next.servers[name]!);
    this.ports.applied(next);
    this.ports.hub.publish({ type: 'config.reloaded', ...diff });
    return diff;
  }

  /** Creates a resolved server's record and, when enabled, supervises it. */
  private admit(server: ResolvedServer): void {
    const transport = this.ports.transportOf(server.name);
    this.ports.servers.create(server, transport);
    if (server.enabled) this.ports.send({ type: 'server.add', server: toManagedServer(server, this.seed(), restartable(server, transport)) });
  }

  /** A seed for one server's backoff jitter. */
  seed(): number {
    return Math.floor(this.ports.random() * 2 ** 31);
  }
}
